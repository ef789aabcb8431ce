"""The main forms of 事例 (cases), PDCA and 推進体制 (promotion) filled and sent with the keyboard only, at 1280 px and
on a 375 px phone, each by the role the form belongs to: a municipal officer (case, 制度の見直しの提案, 協議会, 課題),
the national admin (review assessment and action, model-region designation), a company (its organisation and a
proposal answering a challenge) and anyone signed in (event registration).

Each form is first sent with a mistake: focus must land on the first field to correct (or on the error summary when
the refusal is not about a field), what was typed must still be there, every error must be in Japanese and tied to
its field (aria-describedby), every control labelled, and the page must not scroll sideways. Every element passed
on the way by Tab shows a focus ring on screen (tab_to)."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from chiiki.access import SYSTEM
from chiiki.cases.actions import save_case
from chiiki.cases.models import Case
from chiiki.conftest import PASSWORD
from chiiki.pdca.models import Action, InstitutionProposal, Review
from chiiki.pdca.tests import tour as pdca_tour
from chiiki.promotion import actions as promotion
from chiiki.promotion import models as promo
from chiiki.testing import collect_errors

from .keyboard import activate, arrow_to, assert_focus_visible, retype, sign_in, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [pytest.param(1280, id="1280px"), pytest.param(375, id="375px")]
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")

# What a keyboard user and a screen reader need from the page as it stands: no sideways scroll, every control with
# a name, every aria-describedby pointing at text that exists, every field marked invalid described by a message.
PAGE_STATE = """() => {
  const main = document.getElementById('main');
  const controls = [...main.querySelectorAll('input:not([type=hidden]), select, textarea')];
  const described = (el) => (el.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
  return {
    sideways: document.documentElement.scrollWidth - innerWidth,
    unlabelled: controls.filter(el => !el.labels.length && !el.getAttribute('aria-label')).map(el => el.name),
    dangling: [...main.querySelectorAll('[aria-describedby]')].flatMap(el => described(el)
      .filter(id => !document.getElementById(id)).map(id => (el.id || el.tagName) + ' → ' + id)),
    invalid: [...main.querySelectorAll('[aria-invalid=true]')].filter(el => !el.closest('fieldset[aria-invalid=true]'))
      .map(el => ({id: el.id || el.tagName, errors: described(el).map(id => document.getElementById(id))
        .filter(n => n && n.classList.contains('errorlist')).map(n => n.textContent.trim())})),
  };
}"""


def check_page(page) -> list[dict]:
    """The page-wide checks; returns the fields marked invalid with their messages."""
    state = page.evaluate(PAGE_STATE)
    assert state["sideways"] <= 0, f"the page scrolls sideways by {state['sideways']}px"
    assert state["unlabelled"] == [] and state["dangling"] == [], state
    for field in state["invalid"]:
        assert field["errors"] and all(JAPANESE.search(e) for e in field["errors"]), field
    return state["invalid"]


def refused(page, first: str, expected: set[str] | None = None) -> set[str]:
    """After a refused send: focus on the first field to correct (#first), with its ring, on screen."""
    page.wait_for_function("(id) => document.activeElement && document.activeElement.id === id", arg=first)
    assert_focus_visible(page)
    invalid = {f["id"] for f in check_page(page)}
    assert first in invalid, invalid
    if expected is not None:
        assert invalid == expected
    return invalid


def fill(page, selector: str, text: str):
    """Tab to a field and type into it."""
    tab_to(page, selector)
    page.keyboard.type(text)


def value(page, selector: str):
    return page.evaluate("(s) => { const el = document.querySelector(s); return el.type === 'checkbox' ? el.checked"
                         " : el.value; }", selector)


def send(page, form: str):
    """Tab to the form's submit button and press Enter."""
    tab_to(page, f"{form} button[type=submit]")
    page.keyboard.press("Enter")


def type_date(page, day: dt.date):
    """A focused <input type=date>: headless Chromium shows it as mm/dd/yyyy (browser locale) and moves from part to
    part by itself as digits are typed."""
    page.keyboard.type(day.strftime("%m%d%Y"))
    assert page.evaluate("document.activeElement.value") == day.isoformat()


def start(page, width: int, username: str) -> list[str]:
    """A window of the given width (a phone's height below 700 px), signed in as username; returns the page errors
    collected from now on."""
    errors = collect_errors(page)
    page.set_viewport_size({"width": width, "height": 800 if width < 700 else 900})
    sign_in(page, username, PASSWORD)
    return errors


def _unexpected(errors: list[str]) -> list[str]:
    """Page errors other than the 422 answers of the forms sent back with errors on purpose."""
    return [e for e in errors if "(Unprocessable Entity)" not in e]


@pytest.fixture
def world(users):
    pdca_tour.seed_site(users)  # KPIs, a national review with two actions, a proposal, a case
    case = save_case(SYSTEM, None, {"municipality": "132012", "title": "見守りセンサーの導入", "summary": "独居高齢者の見守り",
                                    "sectors": ["health"], "status": "published"}, version=0)[0]
    deadline = timezone.localdate() + dt.timedelta(days=20)
    challenge = promotion.save_challenge(users["hachioji"], users["hachioji"].municipality, None, {
        "sector": "health", "title": "見守りの仕組み", "problem": "独居高齢者の安否確認", "requirements": "通知まで",
        "budget_max": "3000000", "deadline": deadline.isoformat(), "no_track_record": "1"})
    day = timezone.localdate() + dt.timedelta(days=10)
    event = {"organiser": "municipality:132012", "format": "online", "starts_at": f"{day.isoformat()}T14:00",
             "ends_at": f"{day.isoformat()}T15:00", "online_url": "https://example.jp/meet", "sectors": ["health"]}
    full = promotion.save_event(users["hachioji"], None, {**event, "title": "満員の説明会", "capacity": 1})
    promotion.register_for_event(users["sapporo"], full)
    open_event = promotion.save_event(users["hachioji"], None, {**event, "title": "見守りIoT説明会", "capacity": 30})
    return {**pdca_tour.tour_values(), "my_case": case.pk, "challenge": challenge.pk, "full": full.pk,
            "event": open_event.pk}


@pytest.mark.parametrize("width", WIDTHS)
def test_a_case_created_and_edited_with_the_keyboard(users, world, page, screenshot, width):
    errors = start(page, width, "hachioji")
    page.goto("/cases/")
    activate(page, 'main a[href="/cases/new"]', "**/cases/new")
    check_page(page)
    assert value(page, "#id_municipality") == "132012"  # the officer's own, filled in

    # Sent without 事例名 and with a cost in words: focus on 事例名, everything typed is still there
    fill(page, "#id_summary", "防災無線の内容をアプリで配信")
    tab_to(page, 'input[name=sectors][value="disaster"]')
    page.keyboard.press("Space")
    fill(page, "#id_cost", "たくさん")
    send(page, "main form")
    refused(page, "id_title", {"id_title", "id_cost"})
    assert value(page, "#id_summary") == "防災無線の内容をアプリで配信"
    assert value(page, 'input[name=sectors][value="disaster"]') is True
    assert value(page, "#id_cost") == "たくさん"
    screenshot(page, f"keyboard-case-refused-{width}")
    page.keyboard.type("防災アプリ")
    tab_to(page, "#id_cost")
    retype(page, "1200000")
    send(page, "main form")
    page.wait_for_url("**/cases/*/")
    case = Case.objects.get(municipality_id="132012", title="防災アプリ")
    assert (case.sectors, case.cost) == (["disaster"], 1_200_000)

    # Edit: a wrong outcome line is refused with focus on it and kept; corrected, it is saved
    activate(page, f'main a[href="/cases/{case.pk}/edit"]', f"**/cases/{case.pk}/edit")
    fill(page, "#id_outcomes", "登録者|人|少ない|900|2026")
    fill(page, "#id_operator", "八王子市防災課")
    send(page, "main form")
    refused(page, "id_outcomes", {"id_outcomes"})
    assert value(page, "#id_outcomes") == "登録者|人|少ない|900|2026"
    assert value(page, "#id_operator") == "八王子市防災課"
    screenshot(page, f"keyboard-case-edit-refused-{width}")
    retype(page, "登録者|人|10|900|2026")
    send(page, "main form")
    page.wait_for_url(f"**/cases/{case.pk}/")
    case.refresh_from_db()
    assert case.operator == "八王子市防災課" and case.outcomes[0]["before"] == 10
    assert _unexpected(errors) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_review_assessment_and_action_by_the_national_admin(users, world, page, screenshot, width):
    errors = start(page, width, "admin")
    review = Review.objects.get(pk=world["review"])
    entry = review.entries.order_by("pk").first()
    page.goto(f"/pdca/reviews/{review.pk}/")
    check_page(page)
    # On a phone the KPI table is one card per KPI: its 評価 boxes are on screen without scrolling the table
    # sideways (scrolled, the rows were tall grey blocks with the boxes out of sight).
    wrap = "document.querySelector('[data-testid=review-entries]').parentElement"
    assert page.evaluate(f"{wrap}.scrollWidth <= {wrap}.clientWidth")

    # An assessment over 5,000 characters is refused: focus on it, and the text sent is still in the box
    box = f"#assessment-{entry.pk}"
    fill(page, box, "目標に近づいている。")
    page.keyboard.insert_text("説明" * 2500)  # pasted
    send(page, f'form[action$="/entries/{entry.pk}"]')
    refused(page, f"assessment-{entry.pk}", {f"assessment-{entry.pk}"})
    assert value(page, box) == "目標に近づいている。" + "説明" * 2500
    screenshot(page, f"keyboard-review-assessment-refused-{width}")
    retype(page, "目標に近づいている。")
    send(page, f'form[action$="/entries/{entry.pk}"]')
    page.wait_for_url(f"**/pdca/reviews/{review.pk}/")
    entry.refresh_from_db()
    assert entry.assessment == "目標に近づいている。"

    # 対応を追加 (folded): Enter opens it; without 担当組織 it is refused, open, focus on that field, the rest kept
    add = 'form[action$="/actions/new"]'
    tab_to(page, f"details:has({add}) > summary")
    page.keyboard.press("Enter")
    fill(page, "#id_new-title", "町村向けの研修")
    tab_to(page, "#id_new-due_date")
    due = dt.date(review.fiscal_year + 1, 3, 31)
    type_date(page, due)
    tab_to(page, "#id_new-status")
    arrow_to(page, "in_progress")
    send(page, add)
    refused(page, "id_new-owner_organisation", {"id_new-owner_organisation"})
    assert (value(page, "#id_new-title"), value(page, "#id_new-due_date"), value(page, "#id_new-status")) == (
        "町村向けの研修", due.isoformat(), "in_progress")
    screenshot(page, f"keyboard-review-action-refused-{width}")
    page.keyboard.type("総務省")
    send(page, add)
    page.wait_for_url(f"**/pdca/reviews/{review.pk}/")
    action = Action.objects.get(review=review, title="町村向けの研修")
    assert (action.owner_organisation, action.due_date, action.status) == ("総務省", due, "in_progress")

    # 対応の更新: the title emptied by mistake is refused; the new status chosen with the arrows is kept
    form = f'form[action$="/actions/{action.pk}"]'
    tab_to(page, f"details:has({form}) > summary")
    page.keyboard.press("Enter")
    prefix = f"id_action-{action.pk}"
    tab_to(page, f"#{prefix}-title")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    tab_to(page, f"#{prefix}-status")
    arrow_to(page, "done")
    send(page, form)
    refused(page, f"{prefix}-title", {f"{prefix}-title"})
    assert value(page, f"#{prefix}-status") == "done"
    page.keyboard.type("町村向けの研修（全3回）")
    send(page, form)
    # 完了 needs a 結果: refused again, now on that field, with the corrected title kept
    refused(page, f"{prefix}-result", {f"{prefix}-result"})
    assert value(page, f"#{prefix}-title") == "町村向けの研修（全3回）"
    page.keyboard.type("3回実施した")
    send(page, form)
    page.wait_for_url(f"**/pdca/reviews/{review.pk}/")
    action.refresh_from_db()
    assert (action.title, action.status, action.result) == ("町村向けの研修（全3回）", "done", "3回実施した")
    assert _unexpected(errors) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_an_officer_proposes_a_rule_change_a_council_a_challenge_and_a_commitment(users, world, page, screenshot, width):
    errors = start(page, width, "hachioji")

    # 制度の見直しを提案する: without 対象の制度・ルール → focus there, the rest kept
    page.goto("/pdca/proposals/")
    activate(page, 'main a[href="/pdca/proposals/new"]', "**/pdca/proposals/new")
    fill(page, "#id_title", "実績報告の簡素化")
    fill(page, "#id_problem", "補助事業の実績報告に毎年同じ資料を求められる")
    fill(page, "#id_evidence_links", "/progress/")
    send(page, "main form")
    refused(page, "id_rule_concerned", {"id_rule_concerned"})
    assert value(page, "#id_title") == "実績報告の簡素化" and value(page, "#id_evidence_links") == "/progress/"
    screenshot(page, f"keyboard-pdca-proposal-refused-{width}")
    page.keyboard.type("補助金の実績報告様式")
    send(page, "main form")
    page.wait_for_url("**/pdca/proposals/*/")
    assert InstitutionProposal.objects.get(title="実績報告の簡素化").rule_concerned == "補助金の実績報告様式"

    # 協議会を登録する: a web site that is not a URL → focus on it, the name kept
    page.goto("/promotion/councils/")
    activate(page, 'main a[href="/promotion/councils/new"]', "**/promotion/councils/new")
    fill(page, "#id_name", "八王子市地域IoT推進協議会")
    fill(page, "#id_website", "hachioji-iot")
    send(page, "main form")
    refused(page, "id_website", {"id_website"})
    assert value(page, "#id_name") == "八王子市地域IoT推進協議会"
    screenshot(page, f"keyboard-council-refused-{width}")
    retype(page, "https://example.jp/iot")
    send(page, "main form")
    page.wait_for_url("**/promotion/councils/*/")
    assert promo.Council.objects.get(name="八王子市地域IoT推進協議会").website == "https://example.jp/iot"

    # 課題を掲載する: without 解決策に求めること → focus there; the sector, budget, deadline and checkbox are kept
    page.goto("/promotion/challenges/")
    activate(page, 'main a[href="/promotion/challenges/new?municipality=132012"]', "**/promotion/challenges/new?municipality=132012")
    tab_to(page, "#id_sector")
    arrow_to(page, "disaster")
    fill(page, "#id_title", "避難所の混雑状況")
    fill(page, "#id_problem", "避難所の混雑が分からない")
    fill(page, "#id_budget_max", "2000000")
    tab_to(page, "#id_deadline")
    deadline = timezone.localdate() + dt.timedelta(days=30)
    type_date(page, deadline)
    tab_to(page, "#id_pilot_first")
    page.keyboard.press("Space")
    send(page, "main form")
    refused(page, "id_requirements", {"id_requirements"})
    assert [value(page, s) for s in ("#id_sector", "#id_title", "#id_budget_max", "#id_deadline", "#id_pilot_first")
            ] == ["disaster", "避難所の混雑状況", "2000000", deadline.isoformat(), True]
    screenshot(page, f"keyboard-challenge-refused-{width}")
    page.keyboard.type("混雑を地図に表示する")
    send(page, "main form")
    page.wait_for_url("**/promotion/challenges/*/")
    challenge = promo.Challenge.objects.get(title="避難所の混雑状況")
    assert (challenge.sector_id, challenge.deadline, challenge.pilot_first) == ("disaster", deadline, True)

    # 首長のコミットメントを記録する: a document address that is not a URL → focus on it, the rest kept
    page.goto("/promotion/m/132012/")
    activate(page, 'main a[href="/promotion/m/132012/commitments/new"]', "**/promotion/m/132012/commitments/new")
    tab_to(page, "#id_declared_on")
    declared = timezone.localdate() - dt.timedelta(days=3)
    type_date(page, declared)
    fill(page, "#id_title", "市長が地域IoTの実装を表明")
    fill(page, "#id_document_url", "市の広報誌")
    send(page, "main form")
    refused(page, "id_document_url", {"id_document_url"})
    assert (value(page, "#id_declared_on"), value(page, "#id_title")) == (declared.isoformat(), "市長が地域IoTの実装を表明")
    retype(page, "https://example.jp/koho")
    send(page, "main form")
    page.wait_for_url("**/promotion/m/132012/")
    assert promo.Commitment.objects.get(municipality_id="132012").document_url == "https://example.jp/koho"
    assert _unexpected(errors) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_national_admin_designates_a_model_region(users, world, page, screenshot, width):
    errors = start(page, width, "admin")
    page.goto("/promotion/manage/designate")
    check_page(page)
    fill(page, "#id_code", "999999")
    tab_to(page, 'input[name=sectors][value="health"]')
    page.keyboard.press("Space")
    fill(page, "#id_story", "見守りの取組を周辺の町村へ広げる")
    send(page, "main form")
    refused(page, "id_code", {"id_code"})
    assert value(page, 'input[name=sectors][value="health"]') is True
    assert value(page, "#id_story") == "見守りの取組を周辺の町村へ広げる"
    screenshot(page, f"keyboard-designate-refused-{width}")
    retype(page, "132012")
    send(page, "main form")
    page.wait_for_url("**/promotion/model-regions/132012/**")
    region = promo.ModelRegion.objects.get(municipality_id="132012")
    assert list(region.sectors.values_list("code", flat=True)) == ["health"]
    assert _unexpected(errors) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_a_company_registers_its_organisation_and_answers_a_challenge(users, world, page, screenshot, width):
    errors = start(page, width, "company")
    page.goto(f"/promotion/challenges/{world['challenge']}/")
    activate(page, 'main a[href="/promotion/organisations/new"]', "**/promotion/organisations/new")
    fill(page, "#id_name", "見守りスタートアップ合同会社")
    tab_to(page, "#id_kind")
    arrow_to(page, "startup")
    fill(page, "#id_corporate_number", "123")
    send(page, "main form")
    refused(page, "id_corporate_number", {"id_corporate_number"})
    assert (value(page, "#id_name"), value(page, "#id_kind")) == ("見守りスタートアップ合同会社", "startup")
    screenshot(page, f"keyboard-organisation-refused-{width}")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")  # 法人番号 is optional
    send(page, "main form")
    page.wait_for_url("**/promotion/organisations/*/")
    organisation = promo.Organisation.objects.get(name="見守りスタートアップ合同会社")

    # The proposal: 見積額 left out → focus on it, what was written kept; then sent
    page.goto(f"/promotion/challenges/{world['challenge']}/")
    fill(page, "#id_summary", "LPWAセンサーで見守り")
    fill(page, "#id_approach", "3か月の実証から")
    fill(page, "#id_team", "技術者2名")
    send(page, "main form:has(#id_summary)")
    refused(page, "id_cost", {"id_cost"})
    assert [value(page, s) for s in ("#id_summary", "#id_approach", "#id_team")] == [
        "LPWAセンサーで見守り", "3か月の実証から", "技術者2名"]
    screenshot(page, f"keyboard-proposal-refused-{width}")
    page.keyboard.type("2500000")
    send(page, "main form:has(#id_summary)")
    page.wait_for_selector('[data-testid="proposal"]')  # the same address: wait for the page that shows it
    proposal = promo.Proposal.objects.get(challenge_id=world["challenge"], organisation=organisation)
    assert (proposal.cost, proposal.team) == (2_500_000, "技術者2名")

    # The municipality selects it: an emptied 契約金額 is refused on that field (before, the message was not shown
    # at all and the amount came back as the proposal's cost); then the outcome is published
    page.context.clear_cookies()
    sign_in(page, "hachioji", PASSWORD)
    page.goto(f"/promotion/challenges/{world['challenge']}/")
    tab_to(page, f"#amount-{proposal.pk}")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    tab_to(page, f'form:has(#amount-{proposal.pk}) button[value="select"]')
    page.keyboard.press("Enter")
    refused(page, f"amount-{proposal.pk}", {f"amount-{proposal.pk}"})
    assert value(page, f"#amount-{proposal.pk}") == ""
    page.keyboard.type("2400000")
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-testid="outcome"]')
    assert promo.Challenge.objects.get(pk=world["challenge"]).outcome_amount == 2_400_000
    assert _unexpected(errors) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_event_registration_with_the_keyboard(users, world, page, screenshot, width):
    errors = start(page, width, "aogashima")

    # A full event says 満員 instead of offering the button (the server still refuses a race: test_events.py)
    page.goto("/promotion/events/")
    # The list's filter 「終了した催しも表示」: the checkbox keeps its size on the label's line (on a phone the
    # filters' full-width rule stretched it into a wide box alone above the words)
    box = page.evaluate("(() => { const c = document.querySelector('input[name=past]');"
                        " return [c.getBoundingClientRect().width, c.closest('label').getBoundingClientRect().height];"
                        " })()")
    assert box[0] < 40 and box[1] < 40, box
    tab_to(page, "input[name=past]")
    page.keyboard.press("Space")
    assert value(page, "input[name=past]") is True
    activate(page, f'main a[href="/promotion/events/{world["full"]}/"]', f"**/promotion/events/{world['full']}/")
    assert "満員" in page.get_by_test_id("event-full").inner_text()
    assert page.locator("main button", has_text="参加を申し込む").count() == 0
    check_page(page)
    screenshot(page, f"keyboard-event-full-{width}")
    assert not promo.Registration.objects.filter(event_id=world["full"], user=users["aogashima"]).exists()

    # Another event: 参加を申し込む, then 申込を取り消す, all with Enter
    page.goto("/promotion/events/")
    activate(page, f'main a[href="/promotion/events/{world["event"]}/"]', f"**/promotion/events/{world['event']}/")
    send(page, "main form")
    page.locator("text=申し込み済みです").wait_for()
    assert promo.Registration.objects.filter(event_id=world["event"], user=users["aogashima"]).exists()
    send(page, "main form")
    page.locator("main form button", has_text="参加を申し込む").wait_for()
    assert not promo.Registration.objects.filter(event_id=world["event"], user=users["aogashima"]).exists()
    assert _unexpected(errors) == []
