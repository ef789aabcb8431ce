"""Annual reviews: frozen snapshots beside live values, assessments, actions with overdue flags, the previous
review's actions; web and API, every role at the boundary."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from chiiki.access import SYSTEM
from chiiki.core.models import ChangeRecord

from .. import actions
from ..models import Action, Review
from .conftest import YEAR, bearer, make_kpi, seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def kpis(register):
    seed([("131016", "disaster", YEAR - 1, "implemented"), ("011002", "education", YEAR, "implemented")])
    return {"national": make_kpi("K-NAT", target="5"),
            "tokyo": make_kpi("K-TOKYO", target="3", prefecture="13", name="都内の実装団体数"),
            "cf": make_kpi("K-CF", measure="funding_crowdfunding_raised", unit="円", target="1000")}


def test_a_review_freezes_values_and_shows_the_live_ones_beside(client_for, client, users, kpis, monkeypatch):
    from .test_kpi_pages import without_app

    without_app(monkeypatch, "funding_crowdfunding_raised")
    response = client_for(users["admin"]).post("/pdca/reviews/new", {"fiscal_year": str(YEAR), "prefecture": ""})
    review = Review.objects.get(fiscal_year=YEAR, prefecture=None)
    assert response.status_code == 302 and response["Location"] == f"/pdca/reviews/{review.pk}/"
    entries = {e.kpi_id: e for e in review.entries.all()}
    assert set(entries) == {"K-NAT", "K-CF"}  # the national KPIs only
    assert entries["K-NAT"].value == 2 and entries["K-CF"].value is None
    assert entries["K-NAT"].outlook == "未達見込み" and "見込み値 =" in entries["K-NAT"].formula
    seed([("325252", "tourism", YEAR, "self_sustaining")])  # the platform moves on after the review
    page = client.get(f"/pdca/reviews/{review.pk}/").content.decode()
    assert 'data-testid="frozen-K-NAT">2団体' in page
    assert re.search(r'data-testid="live-K-NAT"><a href="[^"]+">3</a>団体', page)  # the live one links to its rows
    assert 'data-testid="frozen-K-CF"><span class="muted">この機能はまだありません' in page
    body = client.get(f"/api/v1/reviews/{review.pk}").json()
    nat = next(e for e in body["entries"] if e["kpi"] == "K-NAT")
    assert (nat["value"], nat["live_value"]) == (2, 3)
    entries["K-NAT"].refresh_from_db()
    assert entries["K-NAT"].value == 2


def test_review_scope_and_permissions(client_for, users, kpis):
    assert client_for(users["hachioji"]).post("/pdca/reviews/new", {"fiscal_year": str(YEAR)}).status_code == 403
    assert client_for(users["tokyo"]).post("/pdca/reviews/new", {"fiscal_year": str(YEAR)}).status_code == 403
    response = client_for(users["tokyo"]).post("/pdca/reviews/new", {"fiscal_year": str(YEAR), "prefecture": "13"})
    assert response.status_code == 302
    review = Review.objects.get(prefecture="13")
    assert [e.kpi_id for e in review.entries.all()] == ["K-TOKYO"]
    again = client_for(users["admin"]).post("/pdca/reviews/new", {"fiscal_year": str(YEAR), "prefecture": "13"})
    assert again.status_code == 422 and f"{YEAR}年度の東京都のレビューはすでにあります" in again.content.decode()
    bad = client_for(users["admin"]).post("/pdca/reviews/new", {"fiscal_year": "昨年"})
    assert bad.status_code == 422 and "年度が正しくありません" in bad.content.decode()


def test_assessment_and_actions_through_the_web(client_for, client, users, kpis):
    review = actions.open_review(SYSTEM, fiscal_year=YEAR, prefecture="13")
    entry = review.entries.get()
    tokyo, hachioji = client_for(users["tokyo"]), client_for(users["hachioji"])
    url = f"/pdca/reviews/{review.pk}/entries/{entry.pk}"
    assert hachioji.post(url, {"assessment": "x", "version": "1"}).status_code == 403
    assert tokyo.post(url, {"assessment": "順調", "version": "1"}).status_code == 302
    stale = tokyo.post(url, {"assessment": "上書き", "version": "1"})
    assert stale.status_code == 409 and "ほかの人が先に保存しました" in stale.content.decode()
    entry.refresh_from_db()
    assert (entry.assessment, entry.version) == ("順調", 2)

    new = f"/pdca/reviews/{review.pk}/actions/new"
    past = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    form = {"new-title": "町村に説明会を開く", "new-owner_organisation": "東京都 デジタルサービス局", "new-due_date": past,
            "new-kpi": "K-TOKYO", "new-status": "in_progress"}
    assert hachioji.post(new, form).status_code == 403
    missing = tokyo.post(new, {**form, "new-title": "", "new-due_date": "3月末"})
    assert missing.status_code == 422
    assert "対応内容を入力してください" in missing.content.decode()
    assert "期限は YYYY-MM-DD の形式で入力してください" in missing.content.decode()
    assert tokyo.post(new, form).status_code == 302
    action = Action.objects.get()
    page = client.get(f"/pdca/reviews/{review.pk}/").content.decode()
    assert f'data-testid="overdue-{action.pk}">期限切れ' in page
    assert "期限を過ぎた未完了の対応が" in client.get("/pdca/").content.decode()

    save = f"/pdca/reviews/{review.pk}/actions/{action.pk}"
    prefix = f"action-{action.pk}-"
    done = {f"{prefix}title": action.title, f"{prefix}owner_organisation": action.owner_organisation,
            f"{prefix}due_date": past, f"{prefix}status": "done", f"{prefix}result": "", f"{prefix}version": "1"}
    refused = tokyo.post(save, done)
    assert refused.status_code == 422 and "完了にするときは結果を入力してください" in refused.content.decode()
    assert tokyo.post(save, {**done, f"{prefix}result": "12団体が参加"}).status_code == 302
    action.refresh_from_db()
    assert (action.status, action.version, action.is_overdue(timezone.localdate())) == ("done", 2, False)
    assert f'data-testid="overdue-{action.pk}"' not in client.get(f"/pdca/reviews/{review.pk}/").content.decode()
    change = ChangeRecord.objects.filter(model="pdca.action", object_id=str(action.pk)).order_by("-pk").first()
    assert change.before["status"] == "in_progress" and change.after["status"] == "done"
    csv = client.get(f"/pdca/reviews/{review.pk}/?format=csv").content.decode("utf-8-sig").splitlines()
    assert csv[1].split(",")[1:5] == ["町村に説明会を開く", "東京都 デジタルサービス局", past, "完了"]


def test_the_next_review_shows_what_happened_to_the_previous_actions(client, kpis):
    before = actions.open_review(SYSTEM, fiscal_year=YEAR - 1)
    actions.add_action(SYSTEM, before, {"title": "先行事例を紹介する", "owner_organisation": "総務省",
                                        "due_date": dt.date(YEAR, 3, 31), "status": "in_progress"})
    now = actions.open_review(SYSTEM, fiscal_year=YEAR)
    page = client.get(f"/pdca/reviews/{now.pk}/").content.decode()
    section = page[page.index("前回のレビューの対応のその後"):]
    assert "先行事例を紹介する" in section and "対応中" in section
    body = client.get(f"/api/v1/reviews/{now.pk}").json()
    assert body["previous_review"] == before.pk
    assert [(a["title"], a["overdue"]) for a in body["previous_actions"]] == [
        ("先行事例を紹介する", dt.date(YEAR, 3, 31) < timezone.localdate())]
    assert [r["id"] for r in client.get("/api/v1/reviews").json()["items"]] == [now.pk, before.pk]


def test_review_api_writes(client, users, kpis):
    admin, tokyo = bearer(users["admin"]), bearer(users["tokyo"])
    created = client.post("/api/v1/reviews", {"fiscal_year": f"R{YEAR - 2018}"}, content_type="application/json",
                          **admin)
    assert created.status_code == 201
    review = created.json()
    assert review["fiscal_year"] == YEAR and {e["kpi"] for e in review["entries"]} == {"K-NAT", "K-CF"}
    assert client.post("/api/v1/reviews", {"fiscal_year": str(YEAR)}, content_type="application/json",
                       **admin).status_code == 422
    url = f"/api/v1/reviews/{review['id']}/entries/K-NAT"
    assert client.put(url, {"assessment": "x", "version": 1}, content_type="application/json",
                      **tokyo).status_code == 403
    saved = client.put(url, {"assessment": "伸びている", "version": 1}, content_type="application/json", **admin)
    assert saved.status_code == 200 and saved.json()["assessment"] == "伸びている" and saved.json()["version"] == 2
    assert client.put(url, {"assessment": "古い版", "version": 1}, content_type="application/json",
                      **admin).status_code == 409
    action = client.post(f"/api/v1/reviews/{review['id']}/actions", {
        "title": "説明会", "owner_organisation": "総務省", "due_date": f"{YEAR + 1}-03-31"},
        content_type="application/json", **admin)
    assert action.status_code == 201 and action.json()["status_label"] == "未着手"
    action_id = action.json()["id"]
    bad = client.post(f"/api/v1/reviews/{review['id']}/actions", {
        "title": "説明会", "owner_organisation": "総務省", "due_date": "2027/03/31", "kpi": "K-TOKYO"},
        content_type="application/json", **admin)
    assert bad.status_code == 422 and set(bad.json()["detail"]) == {"due_date", "kpi"}
    update = {"title": "説明会", "owner_organisation": "総務省", "due_date": f"{YEAR + 1}-03-31", "status": "cancelled",
              "result": "予算が付かず中止", "version": 1}
    assert client.put(f"/api/v1/actions/{action_id}", update, content_type="application/json",
                      **tokyo).status_code == 403
    done = client.put(f"/api/v1/actions/{action_id}", update, content_type="application/json", **admin)
    assert done.status_code == 200 and done.json()["status_label"] == "中止" and done.json()["version"] == 2
    assert client.put(f"/api/v1/actions/{action_id}", update, content_type="application/json",
                      **admin).status_code == 409


def test_overdue_follows_the_date_in_japan(client, users, kpis, monkeypatch):
    """At 23:30 UTC it is already the next day in Japan: an action due "today" by UTC is overdue on the page and in
    every API answer alike."""
    utc_today = timezone.now().date()
    late_evening = dt.datetime.combine(utc_today, dt.time(23, 30), tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: late_evening)
    review = actions.open_review(SYSTEM, fiscal_year=YEAR)
    created = client.post(f"/api/v1/reviews/{review.pk}/actions", {
        "title": "説明会", "owner_organisation": "総務省", "due_date": utc_today.isoformat(), "status": "in_progress"},
        content_type="application/json", **bearer(users["admin"]))
    assert created.status_code == 201 and created.json()["overdue"] is True
    assert client.get(f"/api/v1/reviews/{review.pk}").json()["actions"][0]["overdue"] is True
    assert f'data-testid="overdue-{created.json()["id"]}">期限切れ' in client.get(
        f"/pdca/reviews/{review.pk}/").content.decode()


@pytest.fixture
def moved_on(kpis, monkeypatch):
    """A national review of YEAR (K-NAT frozen at 2, assessed), after which the platform moved on (K-NAT now 3)."""
    from .test_kpi_pages import without_app

    without_app(monkeypatch, "funding_crowdfunding_raised")
    review = actions.open_review(SYSTEM, fiscal_year=YEAR)
    entry = review.entries.get(kpi_id="K-NAT")
    actions.save_assessment(SYSTEM, entry, assessment="=順調", version=entry.version)
    seed([("325252", "tourism", YEAR, "self_sustaining")])
    return review


def test_the_live_value_links_to_the_rows_it_counts(client, moved_on):
    """「現在の値」 leads to the list of the rows it counts: the KPI page's link for that 年度."""
    review = moved_on
    page = client.get(f"/pdca/reviews/{review.pk}/").content.decode()
    link = re.search(r'data-testid="live-K-NAT"><a href="([^"]+)">3</a>団体', page)
    assert link, "the live value is not a link"
    assert 'data-testid="live-K-CF">—' in page  # no value, nothing to link
    listed = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert 'data-testid="records-count">3<' in listed
    kpi_page = client.get(f"/pdca/kpis/K-NAT/?fiscal_year={YEAR}").content.decode()
    assert link.group(1) in kpi_page  # the same rows as the KPI page's figure for that 年度


def test_the_kpi_table_of_a_review_downloads_as_csv_and_xlsx(client, moved_on):
    """The KPI table — frozen value, live value, target, outlook, assessment — downloads as CSV and XLSX."""
    from chiiki.core import tabular

    review = moved_on
    page = client.get(f"/pdca/reviews/{review.pk}/").content.decode()
    assert 'href="?table=entries&amp;format=csv"' in page and 'href="?table=entries&amp;format=xlsx"' in page
    response = client.get(f"/pdca/reviews/{review.pk}/?table=entries&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    table = tabular.read_table(response.content, "entries.csv")
    rows = {r.values["KPIコード"]: r.values for r in table.rows}
    assert set(rows) == {"K-NAT", "K-CF"}
    nat = rows["K-NAT"]
    assert (nat["記録した値"], nat["現在の値"], nat["目標値（当時）"], nat["見通し（当時）"]) == ("2", "3", "5", "未達見込み")
    assert nat["評価"] == "=順調"  # written neutralised, read back as typed
    assert (rows["K-CF"]["記録した値"], rows["K-CF"]["現在の値"]) == ("", "")
    xlsx = client.get(f"/pdca/reviews/{review.pk}/?table=entries&format=xlsx")
    assert xlsx.status_code == 200 and {r.values["KPIコード"] for r in tabular.read_table(
        xlsx.content, "entries.xlsx").rows} == {"K-NAT", "K-CF"}
    # Without table=entries the download is still the actions, as before.
    assert client.get(f"/pdca/reviews/{review.pk}/?format=csv").content.decode("utf-8-sig").startswith("ID,対応内容")
