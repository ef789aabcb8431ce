"""What a refused form sends back, read from the HTML (no browser, so it also runs on PostgreSQL): the fields to
correct are marked aria-invalid and described by their Japanese message, every aria-describedby points at an element
that exists, and what was sent is still in the form. The keyboard behaviour on top of this (focus on the first field
to correct) is in test_keyboard_forms.py."""

import re
from html.parser import HTMLParser

import pytest

from chiiki.pdca.models import Review
from chiiki.pdca.tests import tour as pdca_tour
from chiiki.promotion import actions as promotion

pytestmark = pytest.mark.django_db

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


class Markup(HTMLParser):
    """The elements of <main> with their attributes, and the text of each element that has an id."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[dict] = []
        self.text: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []
        self._in_main = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v if v is not None else "") for k, v in attrs}
        if attrs.get("id") == "main":
            self._in_main = True
        if not self._in_main:
            return
        self.elements.append({"tag": tag, **attrs})
        if tag not in ("input", "br", "img", "meta", "link", "hr"):
            self._open.append((tag, attrs.get("id")))
            if attrs.get("id"):
                self.text[attrs["id"]] = ""

    def handle_endtag(self, tag):
        while self._open:
            name, _ = self._open.pop()
            if name == tag:
                break

    def handle_data(self, data):
        for _, ident in self._open:
            if ident:
                self.text[ident] += data

    def invalid(self) -> dict[str, list[str]]:
        """id (or name) of every element marked invalid → the texts it is described by."""
        return {el.get("id") or el.get("name") or el["tag"]: [self.text.get(i, None) for i in
                                                               el.get("aria-describedby", "").split()]
                for el in self.elements if el.get("aria-invalid") == "true"}

    def dangling(self) -> list[str]:
        return [f"{el.get('id') or el['tag']} → {i}" for el in self.elements
                for i in el.get("aria-describedby", "").split() if i not in self.text]

    def value(self, ident: str) -> str:
        el = next(e for e in self.elements if e.get("id") == ident)
        return self.text[ident] if el["tag"] == "textarea" else el.get("value", "")


def refused(response, *, invalid: set[str]) -> Markup:
    assert response.status_code == 422, response.status_code
    page = Markup(response.content.decode())
    assert page.dangling() == []
    marked = page.invalid()
    assert set(marked) == invalid, marked
    for ident, texts in marked.items():
        assert any(t and JAPANESE.search(t) for t in texts), (ident, texts)
    return page


@pytest.fixture
def world(users):
    pdca_tour.seed_site(users)
    return pdca_tour.tour_values()


def test_case_form(client_for, users, world):
    response = client_for(users["hachioji"]).post("/cases/new", {
        "municipality": "132012", "summary": "防災無線の内容をアプリで配信", "sectors": ["disaster"], "cost": "たくさん",
        "status": "published", "version": "0"})
    page = refused(response, invalid={"id_title", "id_cost"})
    assert page.value("id_summary").strip() == "防災無線の内容をアプリで配信" and page.value("id_cost") == "たくさん"
    # the help texts are tied to their fields too
    assert "id_partners_helptext" in next(e for e in page.elements if e.get("id") == "id_partners")["aria-describedby"]


def test_pdca_proposal_and_action_forms(client_for, users, world):
    page = refused(client_for(users["hachioji"]).post("/pdca/proposals/new", {
        "title": "実績報告の簡素化", "problem": "毎年同じ資料", "evidence_links": "/progress/"}),
        invalid={"id_rule_concerned"})
    assert page.value("id_title") == "実績報告の簡素化"
    review = Review.objects.get(pk=world["review"])
    page = refused(client_for(users["admin"]).post(f"/pdca/reviews/{review.pk}/actions/new", {
        "new-title": "町村向けの研修", "new-due_date": f"{review.fiscal_year + 1}-03-31", "new-status": "in_progress"}),
        invalid={"id_new-owner_organisation"})
    assert page.value("id_new-title") == "町村向けの研修"


def test_a_refused_review_assessment_keeps_the_text_sent(client_for, users, world):
    review = Review.objects.get(pk=world["review"])
    entry = review.entries.order_by("pk").first()
    sent = "目標に近づいている。" + "説明" * 2500
    page = refused(client_for(users["admin"]).post(f"/pdca/reviews/{review.pk}/entries/{entry.pk}", {
        "assessment": sent, "version": str(entry.version)}), invalid={f"assessment-{entry.pk}"})
    assert page.value(f"assessment-{entry.pk}") == sent
    entry.refresh_from_db()
    assert entry.assessment == ""


def test_promotion_forms(client_for, users, world):
    officer = client_for(users["hachioji"])
    page = refused(officer.post("/promotion/councils/new", {
        "name": "八王子市地域IoT推進協議会", "municipality": "132012", "website": "hachioji-iot"}),
                   invalid={"id_website"})
    assert page.value("id_name") == "八王子市地域IoT推進協議会"
    refused(officer.post("/promotion/challenges/new?municipality=132012", {
        "municipality": "132012", "sector": "nothing", "title": "避難所の混雑状況", "problem": "混雑が分からない",
        "requirements": "地図に表示", "deadline": "2099-01-01"}), invalid={"id_sector"})  # a select, marked too
    page = refused(client_for(users["admin"]).post("/promotion/manage/designate", {
        "code": "999999", "fiscal_year": "2026", "sectors": ["health"], "story": "見守りの取組を広げる"}),
        invalid={"id_code"})
    assert page.value("id_story").strip() == "見守りの取組を広げる"
    page = refused(client_for(users["admin"]).post("/promotion/manage/weights", {
        "version": "0", "max_population": "50000", "implemented_weight": "たくさん", "progress_weight": "1",
        "commitment_weight": "1", "plans_weight": "1"}), invalid={"id_implemented_weight"})
    assert page.value("id_implemented_weight") == "たくさん" and page.value("id_max_population") == "50000"


def test_a_full_event_refuses_with_a_summary_to_focus(client_for, users, world):
    event = promotion.save_event(users["hachioji"], None, {
        "title": "満員の説明会", "organiser": "municipality:132012", "format": "online", "starts_at": "2099-01-01T14:00",
        "ends_at": "2099-01-01T15:00", "online_url": "https://example.jp/meet", "capacity": 1})
    promotion.register_for_event(users["sapporo"], event)
    response = client_for(users["aogashima"]).post(f"/promotion/events/{event.pk}/", {})  # a race: the page was open
    assert response.status_code == 409
    page = Markup(response.content.decode())
    summary = [el for el in page.elements if "data-error-summary" in el]
    assert len(summary) == 1 and "定員に達したため申し込めません" in response.content.decode()
