"""The pages through the Django test client: the request written from free text, the workflow buttons,
lists with exports and empty states, analytics whose numbers link to their rows, the municipality page."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from chiiki import access
from chiiki.core.fiscal import current_fiscal_year
from chiiki.talent import actions
from chiiki.talent.models import ApplicationRound, Status, TalentRequest

from .conftest import profile_data, request_data


def test_public_pages_render_for_anonymous_visitors(client, vocabulary):
    for url in ("/talent/", "/talent/capabilities/", "/talent/profiles/", "/talent/analytics/",
                "/talent/municipalities/132012/"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert "条件に合う人材はいません" in client.get("/talent/profiles/").content.decode()
    assert client.get("/talent/requests/").status_code == 302  # login


def test_the_talent_menu_marks_the_page_it_is_on(client, vocabulary):
    """The menu is the site's tab bar (as in 見える化 and PDCA), with the current page marked for screen readers."""
    for url, label in (("/talent/", "人材トップ"), ("/talent/capabilities/", "できること一覧"),
                       ("/talent/profiles/", "人材を探す"), ("/talent/analytics/", "需要と供給")):
        page = client.get(url).content.decode()
        assert '<nav class="progress-nav" aria-label="人材のメニュー">' in page, url
        assert re.findall(r'aria-current="page">([^<]+)</a>', page) == [label], url
    assert 'aria-current="page"' not in client.get("/talent/municipalities/132012/").content.decode()


def test_free_text_suggests_and_the_form_saves_a_draft(users, client_for, vocabulary):
    client = client_for(users["hachioji"])
    page = client.get("/talent/requests/new", {"wish": "見守りセンサーを入れられる人"}).content.decode()
    assert 'data-capability="CAP-HLT-07"' in page
    response = client.post("/talent/requests/new", {
        "title": "見守りセンサーを入れられる人", "sector": "health", "vision": "高齢者が安心して暮らせる",
        "required": ["CAP-HLT-07"], "format": "mixed"})
    assert response.status_code == 302
    created = TalentRequest.objects.get()
    assert created.status == Status.DRAFT and created.municipality_id == "132012"
    assert list(created.required.values_list("pk", flat=True)) == ["CAP-HLT-07"]


def test_looking_for_suggestions_keeps_what_was_typed(users, client_for, vocabulary):
    """「できることの候補を見る」 (or Enter) sends the whole form: it comes back as typed with the suggestions for the
    wish, nothing saved and no errors for the fields not filled in yet."""
    client = client_for(users["hachioji"])
    page = client.get("/talent/requests/new").content.decode()
    assert re.search(r'<button type="submit" name="look" value="1">できることの候補を見る</button>', page)
    assert page.index('id="id_wish_search"') > page.index('<form method="post" novalidate id="request-form">')
    response = client.post("/talent/requests/new", {
        "look": "1", "wish": "見守りセンサーを入れられる人", "sector": "health", "vision": "高齢者が安心して暮らせる",
        "required": ["CAP-EDU-01"], "format": "online", "preferred_from": "2026-06-01"})
    assert response.status_code == 200 and not TalentRequest.objects.exists()
    page = response.content.decode()
    assert 'data-capability="CAP-HLT-07"' in page and 'data-focus-on-load' in page
    assert 'value="見守りセンサーを入れられる人" size="40"' in page  # the wish, in its box
    assert re.search(r'<input type="text" name="title" value="見守りセンサーを入れられる人"', page)  # 求める人 from it
    assert re.search(r'<option value="health" selected>', page)
    assert "高齢者が安心して暮らせる</textarea>" in page
    assert re.search(r'name="required" value="CAP-EDU-01"[^>]*checked', page)
    assert re.search(r'<option value="online" selected>', page)
    assert 'value="2026-06-01"' in page
    assert "errorlist" not in page and "data-error-summary" not in page
    # a 求める人 already typed is kept, not replaced by the wish
    page = client.post("/talent/requests/new", {"look": "1", "wish": "見守り", "title": "見守りの専門家"}).content.decode()
    assert re.search(r'<input type="text" name="title" value="見守りの専門家"', page)


def test_form_errors_are_japanese(users, client_for, vocabulary):
    response = client_for(users["hachioji"]).post("/talent/requests/new", {"title": "", "sector": "", "vision": ""})
    assert response.status_code == 422
    body = response.content.decode()
    assert "目指す姿を入力してください" in body and "必須のできることを選んでください" in body
    assert "分野を選んでください" in body and "分野を入力してください" not in body


@pytest.mark.parametrize("role", ["advisor", "company", "tokyo", "admin"])
def test_only_municipal_staff_open_the_request_form(users, client_for, vocabulary, role):
    assert client_for(users[role]).get("/talent/requests/new").status_code == 403


@pytest.mark.parametrize("role, offered", [("hachioji", True), ("admin", False), ("tokyo", False), ("advisor", False),
                                           (None, False)])
def test_the_request_form_is_linked_only_for_those_it_opens_for(users, client_for, vocabulary, role, offered):
    client = client_for(users[role] if role else None)
    for path in ("/talent/", "/talent/requests/"):
        response = client.get(path)
        if response.status_code != 200:  # the request list is for signed-in users
            continue
        assert ('href="/talent/requests/new"' in response.content.decode()) is offered, path
    if offered:
        assert client.get("/talent/requests/new").status_code == 200


def test_the_workflow_through_the_pages(users, client_for, vocabulary, rounds, advisor_profile, clock):
    officer, admin, advisor = (client_for(users[r]) for r in ("hachioji", "admin", "advisor"))
    r = actions.create_request(users["hachioji"], users["hachioji"].municipality, request_data())
    assert officer.post(f"/talent/requests/{r.pk}/move/submit", {"version": 1}).status_code == 302
    admin.post(f"/talent/requests/{r.pk}/move/receive", {"version": 2})
    page = admin.get(f"/talent/requests/{r.pk}/").content.decode()
    assert "候補（理由つき）" in page and "見守 一郎" in page and "必須 1/1" in page
    admin.post(f"/talent/requests/{r.pk}/move/ask", {"version": 3, "talent": advisor_profile.pk})
    advisor.post(f"/talent/requests/{r.pk}/move/accept", {"version": 4})
    day = dt.date(current_fiscal_year(), 6, 2)
    advisor.post(f"/talent/requests/{r.pk}/visits", {"version": 5, "date": day.isoformat(), "hours": "4",
                                                      "mode": "onsite", "participants": 6})
    advisor.post(f"/talent/requests/{r.pk}/report", {"version": 6, "done": "試験導入", "handed_over_to": "福祉課へ",
                                                      "gained": ["CAP-HLT-07"]})
    officer.post(f"/talent/requests/{r.pk}/rate", {"version": 7, "rating": 4, "comment": "助かりました"})
    admin.post(f"/talent/requests/{r.pk}/move/complete", {"version": 8})
    r.refresh_from_db()
    assert r.status == Status.COMPLETED and r.rating == 4
    page = officer.get(f"/talent/requests/{r.pk}/").content.decode()
    assert "申請 → 受付" in page and "評価済 → 完了" in page and "見守りセンサー" in page
    muni = officer.get("/talent/municipalities/132012/").content.decode()
    assert "IoTセンサーによる高齢者の見守りを導入できる" in muni
    # The gains are public, and so are the dispatches behind them: everyone follows the count to its rows.
    link = f'<a href="/talent/dispatches/?gained=CAP-HLT-07&amp;fiscal_year={r.fiscal_year}">1</a>'
    for viewer in (admin, client_for(None)):
        assert link in viewer.get("/talent/analytics/").content.decode()
        behind = viewer.get(f"/talent/dispatches/?gained=CAP-HLT-07&fiscal_year={r.fiscal_year}")
        assert [x.pk for x in behind.context["page"].object_list] == [r.pk]
        assert "IoTセンサーによる高齢者の見守りを導入できる」ようになった" in behind.content.decode()
    assert client_for(None).get(f"/talent/dispatches/?gained=CAP-EDU-01&fiscal_year={r.fiscal_year}"
                                ).context["page"].paginator.count == 0


def test_a_refused_move_shows_the_reason(users, client_for, vocabulary, hachioji_request):
    ApplicationRound.objects.all().delete()
    response = client_for(users["hachioji"]).post(f"/talent/requests/{hachioji_request.pk}/move/submit",
                                                  {"version": 1})
    assert response.status_code == 422 and "受付中の募集回がありません" in response.content.decode()


def test_other_municipalities_cannot_see_a_request(users, client_for, hachioji_request):
    assert client_for(users["sapporo"]).get(f"/talent/requests/{hachioji_request.pk}/").status_code == 404
    assert client_for(users["company"]).get(f"/talent/requests/{hachioji_request.pk}/").status_code == 404
    assert client_for(users["tokyo"]).get(f"/talent/requests/{hachioji_request.pk}/").status_code == 200


def test_lists_export_csv_and_xlsx(users, client_for, hachioji_request, advisor_profile):
    client = client_for(users["admin"])
    csv_body = client.get("/talent/requests/?format=csv").content.decode("utf-8-sig")
    assert "見守りセンサーを導入できる人" in csv_body.splitlines()[1]
    assert client.get("/talent/requests/?format=xlsx")["Content-Type"].startswith("application/vnd.openxmlformats")
    profiles_csv = client.get("/talent/profiles/?format=csv").content.decode("utf-8-sig")
    assert "見守 一郎" in profiles_csv and "ichiro@example.jp" not in profiles_csv
    assert "CAP-HLT-07" in client.get("/talent/capabilities/?format=csv").content.decode("utf-8-sig")


def test_analytics_numbers_link_to_their_rows(users, client_for, hachioji_request, advisor_profile):
    TalentRequest.objects.filter(pk=hachioji_request.pk).update(status=Status.SUBMITTED)
    client = client_for(users["admin"])
    page = client.get("/talent/analytics/").content.decode()
    assert '<a href="/talent/requests/?demand=1&amp;capability=CAP-HLT-07">1</a>' in page
    assert '<a href="/talent/profiles/?capability=CAP-HLT-07">1</a>' in page
    rows = client.get("/talent/requests/?capability=CAP-HLT-07").context["page"].paginator.count
    assert rows == 1
    assert "人材ごとの派遣件数" in page
    public = client_for(None).get("/talent/analytics/").content.decode()
    assert "人材ごとの派遣件数" not in public and "見守 一郎" not in public


def test_unmet_count_links_to_the_unmet_requests(users, client_for, vocabulary, register):
    r = actions.create_request(access.SYSTEM, register["municipalities"]["132012"], request_data(
        required=["CAP-TOU-04"]))
    TalentRequest.objects.filter(pk=r.pk).update(status=Status.RECEIVED)
    client = client_for(users["admin"])
    assert client.get("/talent/analytics/").context["unmet"] == 1
    listed = client.get("/talent/requests/?unmet=1").context["page"].object_list
    assert [x.pk for x in listed] == [r.pk]


def test_profile_self_edit_through_the_pages(users, client_for, vocabulary):
    client = client_for(users["company"])
    assert client.get("/talent/me").url == "/talent/profiles/new"
    data = {"display_name": "企業 次郎", "kind": "company_staff", "capabilities": ["CAP-BIZ-04", "CAP-COM-12"],
            "level": 2, "available_days": "3", "available_hours": "0", "email": "jiro@example.jp"}
    response = client.post("/talent/profiles/new", data)
    assert response.status_code == 302
    profile = users["company"].talent_profile
    assert client.get("/talent/me").url == f"/talent/profiles/{profile.pk}/"
    response = client.post(f"/talent/profiles/{profile.pk}/edit", data | {"display_name": "企業 次郎（更新）",
                                                                          "version": 1})
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.display_name == "企業 次郎（更新）" and profile.version == 2
    per_skill = client.post(f"/talent/profiles/{profile.pk}/edit", data | {
        "version": 2, "capabilities": ["CAP-BIZ-04", "CAP-COM-12", "CAP-COM-03"], "level": 1, "evidence": "新規",
        "level_CAP-BIZ-04": 3, "evidence_CAP-BIZ-04": "導入20店", "level_CAP-COM-12": 2, "evidence_CAP-COM-12": ""})
    assert per_skill.status_code == 302
    assert {(s.capability_id, s.level, s.evidence) for s in profile.skills.all()} == {
        ("CAP-BIZ-04", 3, "導入20店"), ("CAP-COM-12", 2, ""), ("CAP-COM-03", 1, "新規")}
    assert "導入20店" in client.get(f"/talent/profiles/{profile.pk}/edit").content.decode()
    stale = client.post(f"/talent/profiles/{profile.pk}/edit", data | {"version": 1})
    assert stale.status_code == 409 and "ほかの人が先に保存しました" in stale.content.decode()


def test_a_second_profile_for_the_same_person_is_refused(users, vocabulary):
    from chiiki.core.errors import Invalid

    actions.create_profile(users["advisor"], profile_data())
    with pytest.raises(Invalid):
        actions.create_profile(users["advisor"], profile_data())


def test_rounds_page_for_the_admin_only(users, client_for, db):
    admin = client_for(users["admin"])
    response = admin.post("/talent/manage/rounds", {"fiscal_year": 2026, "number": 1, "deadline": "2026-04-20",
                                                   "version": 0})
    assert response.status_code == 302 and ApplicationRound.objects.count() == 1
    bad = admin.post("/talent/manage/rounds", {"fiscal_year": 2026, "number": 2, "deadline": "2027-01-20",
                                              "version": 0})
    assert bad.status_code == 422 and "募集回の締切は4月から12月までです" in bad.content.decode()
    assert client_for(users["hachioji"]).get("/talent/manage/rounds").status_code == 403


def test_a_round_changed_meanwhile_is_not_overwritten(users, client_for, db):
    """Two admins open 第1回 and change its deadline: the second save is refused with the first's date shown, and
    what the second typed comes back; the same form with a new pair cannot overwrite an existing round either."""
    from chiiki.core.models import ChangeRecord

    admin = client_for(users["admin"])
    assert admin.post("/talent/manage/rounds", {"fiscal_year": 2026, "number": 1, "deadline": "2026-04-20",
                                                "version": 0}).status_code == 302
    round_ = ApplicationRound.objects.get()
    opened = admin.get(f"/talent/manage/rounds?round={round_.pk}").content.decode()
    assert 'value="2026-04-20"' in opened and 'name="version" value="1"' in opened
    first = admin.post("/talent/manage/rounds", {"fiscal_year": 2026, "number": 1, "deadline": "2026-04-24",
                                                 "version": 1})
    assert first.status_code == 302
    second = admin.post("/talent/manage/rounds", {"fiscal_year": 2026, "number": 1, "deadline": "2026-04-17",
                                                  "version": 1})
    body = second.content.decode()
    assert second.status_code == 409 and "ほかの人が先に保存しました" in body
    assert 'value="2026-04-17"' in body and "2026-04-24" in body and 'name="version" value="2"' in body
    assert "2026年度 第1回の締切を変更" in body
    added_again = admin.post("/talent/manage/rounds", {"fiscal_year": 2026, "number": 1, "deadline": "2026-04-10",
                                                       "version": 0})
    assert added_again.status_code == 409
    round_.refresh_from_db()
    assert round_.deadline == dt.date(2026, 4, 24) and round_.version == 2
    deliberate = admin.post("/talent/manage/rounds", {"fiscal_year": 2026, "number": 1, "deadline": "2026-04-17",
                                                      "version": 2})
    assert deliberate.status_code == 302
    changes = ChangeRecord.objects.filter(model="talent.applicationround", object_id=str(round_.pk))
    assert [(c.before or {}).get("deadline") for c in changes.order_by("pk")] == [None, "2026-04-20", "2026-04-24"]


def test_overdue_report_is_flagged_on_the_admin_list(users, client_for, hachioji_request, advisor_profile):
    from chiiki.talent.models import Visit

    TalentRequest.objects.filter(pk=hachioji_request.pk).update(status=Status.DISPATCHING, talent=advisor_profile)
    Visit.objects.create(request=hachioji_request, date=timezone.localdate() - dt.timedelta(days=9), hours=2, mode="onsite")
    body = client_for(users["admin"]).get("/talent/requests/").content.decode()
    assert "報告期限切れ" in body
    assert client_for(users["admin"]).get("/talent/requests/?overdue=1").context["page"].paginator.count == 1


def test_the_completed_dispatch_kpi_query(users, hachioji_request, register):
    from chiiki.talent import queries

    year = hachioji_request.fiscal_year
    assert queries.completed_dispatches(fiscal_year=year).count() == 0
    TalentRequest.objects.filter(pk=hachioji_request.pk).update(status=Status.COMPLETED)
    assert queries.completed_dispatches(fiscal_year=year).count() == 1
    assert queries.completed_dispatches(fiscal_year=year, prefecture="13", sector="health").count() == 1
    assert queries.completed_dispatches(fiscal_year=year, prefecture="01").count() == 0
    assert queries.completed_dispatches(fiscal_year=year - 1).count() == 0


@pytest.mark.parametrize("days, hours, shown", [("10", "20", "10日・オンライン20時間"), ("3", "0", "3日"),
                                                ("0", "7.5", "オンライン7.5時間"), ("0", "0", "未登録")])
def test_the_profile_says_how_much_time_the_person_has_in_plain_words(client, users, vocabulary, days, hours, shown):
    """Before: 「3.0日・0.0時間」 for a person who gave only days."""
    profile = actions.create_profile(users["advisor"], profile_data(available_days=days, available_hours=hours))
    html = client.get(f"/talent/profiles/{profile.pk}/").content.decode()
    assert re.sub(r"<[^>]+>", "", re.search(r'data-testid="availability">(.*?)</dd>', html).group(1)) == shown
