"""「この組み合わせで計画を作る」 from the navigator's package, the fund-flow page and API, and the query
functions PDCA KPIs will count."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings

from chiiki import access
from chiiki.core.fiscal import current_fiscal_year
from chiiki.funding import actions, queries
from chiiki.funding.models import Campaign, FundingLine, ImplementationPlan, Receipt
from chiiki.programs.navigator import navigator
from chiiki.programs.reference import load_catalog
from chiiki.roadmap.reference import load as load_sectors

from .conftest import CONFIRMED, GENERAL, NATIONAL, PLANNED, RECEIVED, make_program

DATA_DIR = Path(settings.BASE_DIR) / "data"


@pytest.fixture
def catalog(register):
    load_sectors(data_dir=DATA_DIR, force=False, stdout=None, progress=False)
    load_catalog(data_dir=DATA_DIR)


def test_navigator_package_becomes_a_draft_plan(client_for, users, register, catalog):
    c = client_for(users["hachioji"])
    page = c.get("/programs/navigator/?municipality=132012&sector=education").content.decode()
    assert "この組み合わせで計画を作る" in page
    response = c.post("/funding/plans/from-package", {"municipality": "132012", "sector": "education"})
    plan = ImplementationPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == plan.get_absolute_url()
    _items, steps = navigator(register["municipalities"]["132012"], "education")
    assert plan.status == "draft" and plan.start_year == current_fiscal_year()
    assert [(y.fiscal_year, y.phase) for y in plan.years.all()] == [(s.fiscal_year, s.role) for s in steps]
    for step, year in zip(steps, plan.years.all(), strict=True):
        assert year.activities == step.why
        # A national program is linked; 企業版ふるさと納税 and crowdfunding are lines of their own kind, named.
        assert sorted(line.program.public_id if line.program else line.label for line in year.lines.all()) == sorted(
            p.public_id if p.funding_source_kind == NATIONAL else p.name for p in step.programs)
        assert {(line.source_kind, line.amount, line.state) for line in year.lines.all()} == {
            (p.funding_source_kind, 0, PLANNED) for p in step.programs}
    assert FundingLine.objects.exists()


def test_a_plan_from_the_package_is_not_flagged_as_relying_on_national_money_in_its_last_year(
        client_for, users, register, catalog):
    """The navigator's 自走 step and the plan risk check agree: fill in the package's last year and the plan is not
    「一時的な国の財源に依存」 (it was, when 企業版ふるさと納税 and crowdfunding lines were recorded as national)."""
    from chiiki.funding import flags

    sapporo = users["sapporo"]
    _items, steps = navigator(register["municipalities"]["011002"], "disaster")
    last = steps[-1]
    assert {p.public_id for p in last.programs} == {"CAO-KIGYOBAN-FURUSATO", "PRIV-GCF"}
    assert all(p.funding_source_kind != NATIONAL for p in last.programs)
    assert "「新しい地方経済・生活環境創生交付金」も運用経費に使えますが" in last.why
    response = client_for(sapporo).post("/funding/plans/from-package", {"municipality": "011002", "sector": "disaster"})
    assert response.status_code == 302
    plan = ImplementationPlan.objects.get()
    final_year = plan.years.order_by("fiscal_year").last()
    lines = list(final_year.lines.all())
    assert {(line.source_kind, line.label) for line in lines} == {
        ("corporate_donation", "企業版ふるさと納税（地方創生応援税制）"),
        ("crowdfunding", "ガバメントクラウドファンディング（GCF）")}
    for line in lines:
        actions.update_line(sapporo, line, version=line.version, amount=1_000_000)
    assert flags.ONE_TIME_HEAVY not in {f.code for f in flags.for_plan(plan)}


def test_program_kinds_map_to_funding_source_kinds():
    from chiiki.funding.models import SourceKind
    from chiiki.programs.models import Kind, SupportProgram

    assert {SupportProgram(kind=kind).funding_source_kind for kind in Kind.values} <= set(SourceKind.values)


@pytest.mark.parametrize("role,shown", [("public", False), ("company", False), ("sapporo", False),
                                        ("tokyo", True), ("admin", True)])
def test_package_button_only_for_editors(client_for, users, catalog, role, shown):
    c = client_for(None if role == "public" else users[role])
    page = c.get("/programs/navigator/?municipality=132012&sector=education").content.decode()
    assert ("この組み合わせで計画を作る" in page) is shown


def test_package_post_refused_to_others(client_for, users, catalog):
    response = client_for(users["sapporo"]).post("/funding/plans/from-package",
                                                 {"municipality": "132012", "sector": "education"})
    assert response.status_code == 403 and not ImplementationPlan.objects.exists()


@pytest.fixture
def money(plan_factory):
    program = make_program("MONEY", name="実装補助金")
    plan_factory([(2026, "implementation", 1000, [(NATIONAL, 600, CONFIRMED, program), (GENERAL, 400, RECEIVED, None)]),
                  (2027, "operation", 500, [(GENERAL, 500, PLANNED, None)])], status="published")
    plan_factory([(2026, "implementation", 300, [(GENERAL, 300, RECEIVED, None)])], municipality="011002",
                 status="published")
    plan_factory([(2026, "implementation", 9999, [(GENERAL, 9999, RECEIVED, None)])])  # a draft: never counted


def test_flows_api(client, money):
    body = client.get("/api/v1/funding/flows?group_by=source_kind").json()
    assert body["rows"] == [
        {"source_kind": "general", "sector": None, "fiscal_year": None, "prefecture": None, "planned": 1200,
         "secured": 700, "received": 700, "lines": 3},
        {"source_kind": "national_program", "sector": None, "fiscal_year": None, "prefecture": None, "planned": 600,
         "secured": 600, "received": 0, "lines": 1}]
    assert body["total"] == {"planned": 1800, "secured": 1300, "received": 700, "lines": 4}
    by_pref = client.get("/api/v1/funding/flows?group_by=prefecture&prefecture=01").json()["rows"]
    assert [(r["prefecture"], r["planned"]) for r in by_pref] == [("01", 300)]
    assert client.get("/api/v1/funding/flows?group_by=colour").status_code == 422


def test_flows_page_links_every_figure_to_its_lines(client, money):
    page = client.get("/funding/flows/").content.decode()
    assert "1,800円" in page and "1,200円" in page
    link = "/funding/lines/?exclude_rejected=1&amp;public=1&amp;source_kind=general"
    assert link in page
    lines = client.get(link.replace("&amp;", "&")).content.decode()
    assert lines.count("円</td>") == 3  # the three general lines of public plans, not the draft's
    # The flow diagram: one band per (source, sector), as wide as its money, linking to the same lines.
    assert page.count("<path d=") == 2
    assert 'aria-label="一般財源から教育へ 1,200円"' in page and 'aria-label="国の支援メニューから教育へ 600円"' in page
    band = re.search(r'<a href="([^"]+)" aria-label="一般財源から教育へ', page).group(1).replace("&amp;", "&")
    assert client.get(band).content.decode().count("円</td>") == 3
    municipal = client.get("/funding/flows/?municipality=011002").content.decode()
    assert "北海道札幌市" in municipal and "300円" in municipal and "1,800円" not in municipal


def test_flows_figures_link_to_the_same_lines_for_the_draft_owner(client_for, users, money):
    """八王子市 staff own the draft (9,999円): the page leaves it out, so the lines each figure links to (page, CSV
    and API) must too, while the plain line list still shows the owner their draft."""
    client = client_for(users["hachioji"])
    page = client.get("/funding/flows/").content.decode()
    assert "1,800円" in page and "9,999" not in page
    tables = "".join(re.findall(r'<table class="data flow-(?:table|pairs)">(.*?)</table>', page, re.S))
    cells = re.findall(r'<td class="num"><a href="([^"]+)">([\d,]+)円</a></td>', tables)
    assert len(cells) >= 6
    for href, figure in cells:
        href = href.replace("&amp;", "&")
        lines = client.get(href).content.decode()
        amounts = [int(a.replace(",", "")) for a in re.findall(r'<td class="num"[^>]*>([\d,]+)円</td>', lines)]
        assert sum(amounts) == int(figure.replace(",", "")), (href, figure, amounts)
        assert "下書きの計画を除く" in lines
        exported = client.get(href + "&format=csv").content.decode("utf-8-sig").splitlines()[1:]
        assert sum(int(row.split(",")[10]) for row in exported) == int(figure.replace(",", ""))
        api = client.get("/api/v1/funding/lines?" + href.split("?", 1)[1]).json()
        assert api["total_amount"] == int(figure.replace(",", ""))
    everything = client.get("/funding/lines/?source_kind=general").content.decode()
    assert "9,999円" in everything


def test_pdca_figures(plan_factory, register):
    three = [(2026, "people_knowhow", 0, []), (2027, "implementation", 0, []), (2028, "operation", 0, [])]
    plan_factory(three, status="published")
    done = plan_factory(three, status="published")
    actions.set_status(access.SYSTEM, done, "completed", version=done.version)
    plan_factory(three)  # draft
    plan_factory(three[:2], status="published")
    stopped = plan_factory(three, status="published")
    actions.set_status(access.SYSTEM, stopped, "discontinued", version=stopped.version, reason="撤退")
    assert queries.published_plans_with_min_years(3) == 2  # published and completed
    assert queries.published_plans_with_min_years(2) == 3
    campaign = Campaign.objects.create(municipality=register["municipalities"]["132012"], title="CF",
                                       use_of_funds="機器", target_amount=100, start_date=dt.date(2026, 5, 1),
                                       end_date=dt.date(2026, 7, 1), donation_url="https://example.jp/cf")
    Receipt.objects.create(campaign=campaign, received_on=dt.date(2026, 5, 2), amount=3000, external_id="A1")
    Receipt.objects.create(campaign=campaign, received_on=dt.date(2027, 4, 2), amount=5000, external_id="A2")
    assert queries.crowdfunding_raised() == 8000
    assert queries.crowdfunding_raised(fiscal_year=2026) == 3000
    assert queries.crowdfunding_raised(prefecture="01") == 0


def test_every_flows_table_figure_links_to_lines_that_add_up_to_it(client, money):
    """合計 and the 財源→分野 table link their 確定額 and 受領額 too; each link lists lines summing to the figure."""
    page = client.get("/funding/flows/").content.decode()
    tables = re.findall(r'<table class="data flow-(?:table|pairs)">(.*?)</table>', page, re.S)
    cells = [cell for table in tables for cell in re.findall(r'<td class="num">(.*?)</td>', table)]
    assert len(cells) == 3 * 3 + 3 * 2  # (2 sources + 合計) and 2 source → sector pairs, 3 figures each
    for cell in cells:
        found = re.fullmatch(r'<a href="([^"]+)">([\d,]+)円</a>', cell)
        assert found, cell
        lines = client.get(found.group(1).replace("&amp;", "&")).content.decode()
        amounts = [int(a.replace(",", "")) for a in re.findall(r'<td class="num"[^>]*>([\d,]+)円</td>', lines)]
        assert sum(amounts) == int(found.group(2).replace(",", "")), found.group(1)
    assert "/funding/lines/?exclude_rejected=1&amp;public=1&amp;secured=1" in page  # 合計の確定額


@pytest.mark.parametrize("query,message", [("municipality=abc", "団体コードは数字で入力してください"),
                                           ("municipality=999999", "団体コードが正しくありません"),
                                           ("prefecture=99", "都道府県コード 99 は登録されていません")])
def test_flows_mistyped_filter_is_said_on_the_form(client, money, query, message):
    response = client.get(f"/funding/flows/?{query}")
    html = response.content.decode()
    assert response.status_code == 200 and message in html and 'role="alert"' in html
    field = "flow-muni" if query.startswith("municipality") else "flow-pref"
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', html) and html.count('aria-invalid="true"') == 1
    assert "1,800円" not in html and "条件を直して" in html
    assert client.get("/funding/flows/?municipality=01100").content.decode().count("300円") >= 1  # 5 digits
