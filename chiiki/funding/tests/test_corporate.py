"""企業版ふるさと納税 through the API and pages: every refusal reason, the relief estimate and its legal period,
idempotent pledges, receipt by the recipient, the public list of projects, the 不交付団体 import."""

import datetime as dt
import io

import pytest

from chiiki import access
from chiiki.funding import actions, queries
from chiiki.funding.models import CorporateDonationPledge, NonGrantStatus
from chiiki.roadmap.models import Sector

VALID_NUMBER = "7000012050002"  # 国税庁's own 法人番号


@pytest.fixture
def corp(register, users):
    """A company of the `company` user with its head office in 千代田区, and approved projects of 八王子市,
    of 東京都 (the prefecture) and of 松江市 (島根県)."""
    m, p = register["municipalities"], register["prefectures"]
    company = actions.register_company(users["company"], name="株式会社サンプル", corporate_number=VALID_NUMBER,
                                       head_office=m["131016"])
    sector = Sector.objects.get(pk="disaster")

    def project(owner, name, *, approved=dt.date(2025, 6, 1), start=2025, end=2029):
        plan = actions.create_revitalisation_plan(access.SYSTEM, owner, name=f"{name}の地域再生計画", approved_on=approved,
                                                  start_year=start, end_year=end)
        return actions.add_revitalisation_project(access.SYSTEM, plan, name=name, sector=sector,
                                                  target_amount=10_000_000)

    for code, year, non_grant, metropolitan in (("132012", 2026, False, True), ("322016", 2026, False, False),
                                                ("131016", 2026, False, True), ("134023", 2026, True, True)):
        NonGrantStatus.objects.create(code=code, fiscal_year=year, non_grant=non_grant, metropolitan=metropolitan)
    return {"company": company, "hachioji": project(m["132012"], "八王子 防災センサー"),
            "tokyo": project(p["13"], "東京都 広域防災"), "matsue": project(m["322016"], "松江 見守り"),
            "chiyoda": project(m["131016"], "千代田 事業"), "aogashima": project(m["134023"], "青ヶ島 通信"),
            "unapproved": project(m["322016"], "松江 未認定", approved=None),
            "old": project(m["322016"], "松江 旧計画", start=2020, end=2024),
            "sapporo": project(m["011002"], "札幌 未登録区分")}


def _pledge(c, project, amount=1_000_000, year=2026, declared=True, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return c.post("/api/v1/pledges", content_type="application/json", data={
        "project": project.pk, "amount": amount, "fiscal_year": year, "no_return_declared": declared}, **headers)


def test_a_valid_pledge_is_idempotent_and_received_by_the_recipient(client_for, users, corp):
    c = client_for(users["company"])
    first = _pledge(c, corp["hachioji"], key="order-1")
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["state"] == "offered" and body["recipient"] == "東京都八王子市"
    assert body["relief"] | {} == {**body["relief"], "deduction": 300_000, "resident_tax_credit": 400_000,
                                   "business_tax_credit": 200_000, "total": 900_000, "net_cost": 100_000,
                                   "within_period": True, "credit_end_year": 2027}
    again = _pledge(c, corp["hachioji"], key="order-1")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert CorporateDonationPledge.objects.count() == 1
    # The recipient (八王子市) confirms receipt; another municipality cannot see it; a stale version is 409.
    assert client_for(users["sapporo"]).post(f"/api/v1/pledges/{body['id']}/receive", data={"version": 1},
                                             content_type="application/json").status_code == 404
    assert c.post(f"/api/v1/pledges/{body['id']}/receive", data={"version": 1},
                  content_type="application/json").status_code == 403  # the company cannot confirm its own
    received = client_for(users["hachioji"]).post(f"/api/v1/pledges/{body['id']}/receive", data={"version": 1},
                                                  content_type="application/json")
    assert received.status_code == 200 and received.json()["state"] == "received"
    assert client_for(users["hachioji"]).post(f"/api/v1/pledges/{body['id']}/cancel", data={"version": 1},
                                              content_type="application/json").status_code == 409
    listed = client_for(None).get("/api/v1/revitalisation-projects?prefecture=13").json()["items"]
    hachioji = next(i for i in listed if i["id"] == corp["hachioji"].pk)
    assert (hachioji["pledged"], hachioji["received"], hachioji["remaining"]) == (1_000_000, 1_000_000, 9_000_000)


@pytest.mark.parametrize("case,field,reason", [
    ("small", "amount", "寄附額は100,000円以上にしてください（企業版ふるさと納税の下限）"),
    ("undeclared", "no_return_declared", "寄附の代償として経済的な見返りを受けないことの申告が必要です"),
    ("head_office", "head_office", "本社が所在する市区町村（東京都千代田区）への寄附は対象外です"),
    ("tokyo", "head_office", "本社が所在する都道府県（東京都）への寄附は対象外です"),
    ("non_grant", "recipient", "東京都青ヶ島村は2026年度、三大都市圏の不交付団体のため対象外です"),
    ("unknown", "recipient", "北海道札幌市が2026年度に三大都市圏の不交付団体に当たるか要確認です"),
    ("unapproved", "plan", "地域再生計画「松江 未認定の地域再生計画」は認定されていません"),
    ("out_of_period", "fiscal_year", "2026年度に効力のある地域再生計画がこの事業を含んでいません"),
])
def test_each_refusal_has_its_reason(client_for, users, corp, case, field, reason):
    project, amount, declared = {
        "small": (corp["matsue"], 99_999, True), "undeclared": (corp["matsue"], 100_000, False),
        "head_office": (corp["chiyoda"], 100_000, True), "tokyo": (corp["tokyo"], 100_000, True),
        "non_grant": (corp["aogashima"], 100_000, True), "unknown": (corp["sapporo"], 100_000, True),
        "unapproved": (corp["unapproved"], 100_000, True), "out_of_period": (corp["old"], 100_000, True)}[case]
    response = _pledge(client_for(users["company"]), project, amount=amount, declared=declared)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[field].startswith(reason), detail
    assert not CorporateDonationPledge.objects.exists()


def test_tokyo_prefecture_is_excluded_for_everyone(client_for, users, corp, register):
    # A company headquartered outside Tokyo: the 東京都 refusal is its own reason.
    company = corp["company"]
    company.head_office = register["municipalities"]["322016"]
    company.save()
    detail = _pledge(client_for(users["company"]), corp["tokyo"]).json()["detail"]
    assert detail == {"recipient": "東京都への寄附は対象外です"}


def test_relief_after_the_legal_period(client_for, users, corp):
    body = client_for(None).get(f"/api/v1/revitalisation-projects/{corp['matsue'].pk}/relief"
                                "?amount=1000000&fiscal_year=2028").json()
    assert (body["within_period"], body["total"], body["net_cost"]) == (False, 300_000, 700_000)
    assert "制度期限後" in body["note"]
    actions.set_credit_end_year(users["admin"], 2030, version=1)
    body = client_for(None).get(f"/api/v1/revitalisation-projects/{corp['matsue'].pk}/relief"
                                "?amount=1000000&fiscal_year=2028").json()
    assert (body["within_period"], body["total"]) == (True, 900_000)
    page = client_for(None).get(f"/funding/projects/{corp['matsue'].pk}/?amount=1000000&fiscal_year=2026")
    assert "実質負担" in page.content.decode() and "100,000円" in page.content.decode()


def test_company_registration_checks_the_corporate_number(client_for, users, register):
    c = client_for(users["company"])
    bad = c.post("/api/v1/companies", data={"name": "x", "corporate_number": "7000012050003",
                                            "head_office": "132012"}, content_type="application/json")
    assert bad.status_code == 422
    assert bad.json()["detail"]["corporate_number"] == "法人番号のチェックデジットが一致しません"
    assert client_for(users["hachioji"]).post("/api/v1/companies", data={
        "name": "x", "corporate_number": VALID_NUMBER, "head_office": "132012"},
        content_type="application/json").status_code == 403
    page = c.post("/funding/companies/new", {"name": "株式会社テスト", "corporate_number": VALID_NUMBER,
                                             "head_office": "132012"})
    assert page.status_code == 302


def test_company_pledges_on_the_project_page(client_for, users, corp):
    c = client_for(users["company"])
    page = c.get(f"/funding/projects/{corp['matsue'].pk}/").content.decode()
    assert "寄附を申し出る" in page and "株式会社サンプル" in page
    response = c.post(f"/funding/projects/{corp['matsue'].pk}/pledge", {"amount": "500000", "fiscal_year": "2026",
                                                                       "no_return_declared": "1",
                                                                       "idempotency_key": "form-1"})
    made = CorporateDonationPledge.objects.get()
    assert response.status_code == 302 and response["Location"] == made.get_absolute_url()
    detail = c.get(made.get_absolute_url()).content.decode()
    assert "500,000円" in detail and "実質負担" in detail
    refused = c.post(f"/funding/projects/{corp['matsue'].pk}/pledge", {"amount": "500", "fiscal_year": "2026",
                                                                      "no_return_declared": "1"}, follow=True)
    assert "寄附額は100,000円以上にしてください" in refused.content.decode()
    assert client_for(None).get(made.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("role", ["public", "admin", "tokyo", "hachioji", "aogashima", "sapporo", "advisor", "company"])
def test_visible_pledges_follow_the_access_rule(client_for, users, corp, role):
    actions.pledge(users["company"], corp["company"], corp["hachioji"], amount=200_000, fiscal_year=2026,
                   no_return_declared=True)
    actions.pledge(users["company"], corp["company"], corp["matsue"], amount=300_000, fiscal_year=2026,
                   no_return_declared=True)
    user = None if role == "public" else users[role]
    expected = {p.pk for p in CorporateDonationPledge.objects.all() if access.can(user, "funding.pledge_view", p)}
    assert {p.pk for p in queries.visible_pledges(user)} == expected


def test_public_project_list_filters(client, corp):
    page = client.get("/funding/projects/?prefecture=32").content.decode()
    assert "松江 見守り" in page and "八王子 防災センサー" not in page
    assert "松江 旧計画" not in page  # not in force this 年度
    assert client.get("/api/v1/revitalisation-projects?min_remaining=10000001").json()["count"] == 0


def _csv(text: str) -> io.BytesIO:
    data = io.BytesIO(text.encode("cp932"))
    data.name = "non_grant.csv"
    return data


def test_non_grant_import_by_the_national_admin(client_for, users, register):
    c = client_for(users["admin"])
    bad = ("団体コード,年度,不交付団体,三大都市圏\r\n132012,2027,はい,はい\r\n999999,2027,はい,はい\r\n"
           "131016,2027,はい,たぶん\r\n")
    response = c.post("/funding/non-grant/import/", {"file": _csv(bad)})
    preview = c.get(response["Location"]).content.decode()
    assert "団体コードが正しくありません" in preview
    assert "「はい」「いいえ」（1/0）で入力してください" in preview
    assert not NonGrantStatus.objects.exists()
    good = "団体コード,年度,不交付団体,三大都市圏\r\n132012,令和9年度,はい,はい\r\n130001,2027,1,1\r\n"
    from chiiki.funding.imports import NON_GRANT

    result = NON_GRANT.run(users["admin"], good.encode("cp932"), "x.csv")
    assert result.committed and result.created == 2
    assert NonGrantStatus.objects.get(code="132012", fiscal_year=2027).excluded
    assert client_for(users["tokyo"]).get("/funding/non-grant/import/").status_code == 403


def test_recipient_adds_a_project_to_its_plan(client_for, users, corp):
    url = f"/funding/projects/{corp['hachioji'].pk}/"
    assert "この地域再生計画に事業を追加" in client_for(users["hachioji"]).get(url).content.decode()
    assert "この地域再生計画に事業を追加" not in client_for(users["sapporo"]).get(url).content.decode()
    response = client_for(users["tokyo"]).post(url + "add", {"name": "避難所Wi-Fi", "sector": "disaster",
                                                             "target_amount": "3,000,000"})
    added = corp["hachioji"].plan.projects.get(name="避難所Wi-Fi")
    assert response["Location"] == added.get_absolute_url() and added.target_amount == 3_000_000
    assert client_for(users["sapporo"]).post(url + "add", {"name": "x", "sector": "disaster",
                                                           "target_amount": "1"}).status_code == 403
    bad = client_for(users["hachioji"]).post(url + "add", {"name": "", "sector": "disaster", "target_amount": "0"},
                                             follow=True).content.decode()
    assert "事業名を入力してください" in bad and "寄附の目標額は1円以上で入力してください" in bad


@pytest.mark.parametrize("role", ["company", "hachioji", "tokyo", "sapporo"])
def test_pledge_list_exports_exactly_the_visible_pledges(client_for, users, corp, role):
    from chiiki.core.tabular import read_table

    actions.pledge(users["company"], corp["company"], corp["hachioji"], amount=200_000, fiscal_year=2026,
                   no_return_declared=True)
    actions.pledge(users["company"], corp["company"], corp["matsue"], amount=300_000, fiscal_year=2026,
                   no_return_declared=True)
    c = client_for(users[role])
    expected = {str(p.pk) for p in queries.visible_pledges(users[role])}
    table = read_table(c.get("/funding/pledges/?format=csv").content, "p.csv")
    assert table.header == ["申出番号", "企業", "法人番号", "事業", "団体", "年度", "寄附額（円）", "状態", "受領日",
                            "申出日時"]
    assert {r.values["申出番号"] for r in table.rows} == expected
    for row in table.rows:
        assert row.values["企業"] == "株式会社サンプル" and row.values["法人番号"] == VALID_NUMBER
    xlsx = read_table(c.get("/funding/pledges/?format=xlsx").content, "p.xlsx")
    assert [r.values for r in xlsx.rows] == [r.values for r in table.rows]
    page = c.get("/funding/pledges/").content.decode()
    assert ("format=csv" in page) is bool(expected) and (("申出はありません" in page) is not bool(expected))
    if role == "company":
        hachioji = next(r.values for r in table.rows if r.values["事業"] == "八王子 防災センサー")
        assert hachioji["寄附額（円）"] == "200000" and hachioji["団体"] == "東京都八王子市"
    assert client_for(None).get("/funding/pledges/?format=csv").status_code == 302  # sign-in first


@pytest.mark.parametrize("role,linked", [("hachioji", {"hachioji"}), ("tokyo", {"hachioji"}),
                                         ("admin", {"hachioji", "matsue"}), ("sapporo", set()), ("public", set())])
def test_project_list_figures_link_to_the_pledges_behind_them(client_for, users, corp, role, linked):
    """The 申出・受領 column of the project list links, row by row, to the pledges it adds up, for those who see
    every pledge of that project (as on the project page)."""
    import re

    from chiiki.funding.models import PledgeState

    for project, amount in (("hachioji", 200_000), ("hachioji", 300_000), ("hachioji", 700_000), ("matsue", 400_000)):
        made, _ = actions.pledge(users["company"], corp["company"], corp[project], amount=amount, fiscal_year=2026,
                                 no_return_declared=True)
    actions.set_pledge_state(access.SYSTEM, made, PledgeState.RECEIVED,
                             version=made.version, received_on=dt.date(2026, 5, 1))
    cancelled = CorporateDonationPledge.objects.get(amount=700_000)
    actions.set_pledge_state(users["hachioji"], cancelled, PledgeState.CANCELLED, version=cancelled.version)
    c = client_for(None if role == "public" else users[role])
    html = c.get("/funding/projects/").content.decode()
    assert "500,000円" in html and "400,000円" in html
    links = dict(re.findall(r'<a href="/funding/pledges/\?project=(\d+)&amp;active=1">([\d,]+)円</a>', html))
    assert set(links) == {str(corp[name].pk) for name in linked}
    for pk, figure in links.items():
        listed = c.get(f"/funding/pledges/?project={pk}&active=1").content.decode()
        amounts = [int(a.replace(",", "")) for a in re.findall(r'<td class="num"[^>]*>([\d,]+)円</td>', listed)]
        assert sum(amounts) == int(figure.replace(",", ""))


@pytest.mark.parametrize("role,linked", [("hachioji", True), ("tokyo", True), ("admin", True), ("sapporo", False),
                                         ("public", False)])
def test_project_figures_link_to_the_pledges_behind_them(client_for, users, corp, role, linked):
    """申出・受領 and うち受領 on a project page link to exactly the pledges they add up, for those who see them all."""
    import re

    from chiiki.funding.models import PledgeState

    def pledge(amount):
        made, _ = actions.pledge(users["company"], corp["company"], corp["hachioji"], amount=amount, fiscal_year=2026,
                                 no_return_declared=True)
        return made

    pledge(200_000)
    received = pledge(300_000)
    actions.set_pledge_state(users["hachioji"], received, PledgeState.RECEIVED, version=received.version,
                             received_on=dt.date(2026, 5, 1))
    cancelled = pledge(700_000)
    actions.set_pledge_state(users["hachioji"], cancelled, PledgeState.CANCELLED, version=cancelled.version)
    c = client_for(None if role == "public" else users[role])
    html = c.get(f"/funding/projects/{corp['hachioji'].pk}/").content.decode()
    assert "申出・受領" in html and "500,000円" in html and "300,000円" in html
    links = re.findall(r'<a href="(/funding/pledges/\?[^"]+)">([\d,]+)円</a>', html)
    assert bool(links) is linked
    for href, figure in links:
        listed = c.get(href.replace("&amp;", "&")).content.decode()
        amounts = [int(a.replace(",", "")) for a in re.findall(r'<td class="num"[^>]*>([\d,]+)円</td>', listed)]
        assert sum(amounts) == int(figure.replace(",", "")), href
        assert "条件: 事業「" in listed
    if linked:
        assert [f for _h, f in links] == ["500,000", "300,000"]
        export = c.get(f"/funding/pledges/?project={corp['hachioji'].pk}&active=1&format=csv").content.decode("utf-8-sig")
        assert export.count("\n") == 3  # header + the two pledges that are not cancelled
