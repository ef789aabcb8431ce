"""Funding pages read from the HTML: every aria-describedby points at an element on the page, each refused field is
marked aria-invalid and described by its own message (as core's field.html and Django 5.2 promise), a refused choice
group is marked as a group, no id repeats, and on a page with several tables each table has a name."""

import re
from collections import Counter

import pytest

from chiiki import access
from chiiki.funding import actions

from .conftest import CONFIRMED, GENERAL, NATIONAL, PLANNED

pytestmark = pytest.mark.django_db


def _ids(page: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', page))


def _dangling(page: str) -> list[str]:
    ids = _ids(page)
    return [f"{ref} (from {tag[:80]})" for tag in re.findall(r"<(?:input|select|textarea|fieldset)\b[^>]*>", page)
            for refs in re.findall(r'aria-describedby="([^"]*)"', tag) for ref in refs.split() if ref not in ids]


def _tag(page: str, ident: str) -> str:
    return re.search(rf'<(?:input|select|textarea)\b[^>]*\bid="{ident}"[^>]*>', page).group(0)


def _described_by(page: str, tag: str) -> str:
    """The text of the elements a tag's aria-describedby names (what a screen reader reads with the field)."""
    refs = re.search(r'aria-describedby="([^"]*)"', tag)
    assert refs, f"{tag} is described by nothing"
    texts = []
    for ref in refs.group(1).split():
        element = re.search(rf'<(\w+)\b[^>]*\bid="{ref}"[^>]*>(.*?)</\1>', page, re.S)
        assert element, f"{ref} is named but not on the page"
        texts.append(re.sub(r"<[^>]+>", "", element.group(2)))
    return " ".join(texts)


def test_a_plan_refused_by_the_action_describes_the_field_with_its_message(client_for, users):
    # owner and sector are fine, so the action judges the post and refuses the empty title: its message replaces
    # Django's one (views._put_errors once=True) and must keep the id the field's aria-describedby names
    response = client_for(users["hachioji"]).post("/funding/plans/new", {
        "owner": "m:132012", "title": "", "sector": "disaster", "start_year": "2026", "operator_kind": "direct"})
    assert response.status_code == 422
    page = response.content.decode()
    title = _tag(page, "id_title")
    assert 'aria-invalid="true"' in title and 'aria-describedby="id_title_error"' in title
    assert "計画名を入力してください" in _described_by(page, title)
    assert re.search(r'<ul class="errorlist" id="id_title_error"><li>計画名を入力してください', page)
    assert _dangling(page) == []


def test_a_plan_edit_without_a_sector_describes_the_sector_with_its_message(client_for, users, plan_factory):
    plan = plan_factory([(2026, "people_knowhow", 0, [])])
    response = client_for(users["hachioji"]).post(f"/funding/plans/{plan.pk}/edit", {
        "title": plan.title, "sector": "", "start_year": "2026", "operator_kind": "direct", "version": plan.version})
    assert response.status_code == 422
    page = response.content.decode()
    sector = _tag(page, "id_sector")
    assert 'aria-describedby="id_sector_error"' in sector
    assert "分野を選んでください" in _described_by(page, sector)
    assert _dangling(page) == []


@pytest.mark.parametrize("url", ["/funding/plans/new", "/funding/campaigns/new"])
def test_funding_forms_help_texts_are_the_ones_their_fields_name(client_for, users, url):
    page = client_for(users["hachioji"]).get(url).content.decode()
    assert "aria-describedby=" in page
    assert _dangling(page) == []  # was: id_start_year_helptext, id_kpis_helptext, id_model_helptext … missing


def test_a_plan_edit_page_names_every_help_text(client_for, users, plan_factory):
    plan = plan_factory([(2026, "people_knowhow", 0, [])])
    page = client_for(users["hachioji"]).get(f"/funding/plans/{plan.pk}/edit").content.decode()
    assert _dangling(page) == []


def test_a_refused_choice_group_is_marked_and_described_as_a_group(client_for, users):
    # 「分野別モデル」 (checkboxes) with a model outside the chosen sector: Django puts no aria-describedby on a
    # fieldset's inputs, so the group itself must carry the refusal and name the message
    response = client_for(users["hachioji"]).post("/funding/plans/new", {
        "owner": "m:132012", "title": "計画", "sector": "disaster", "start_year": "2026", "operator_kind": "direct",
        "sector_models": ["no-such-model"]})
    assert response.status_code == 422
    page = response.content.decode()
    tag = re.search(r'(<fieldset\b[^>]*>)\s*<legend>分野別モデル</legend>', page).group(1)
    assert 'aria-invalid="true"' in tag, tag
    assert "id_sector_models_error" in tag.split('aria-describedby="')[1].split('"')[0], tag
    assert "id_sector_models_helptext" in tag, tag  # the help text stays read with the group
    assert "id_sector_models_error" in _ids(page)
    assert _dangling(page) == []


def test_a_refused_company_marks_each_field_with_its_own_message(client_for, users):
    client = client_for(users["company"])
    response = client.post("/funding/companies/new", {"name": "", "corporate_number": "", "head_office": ""})
    assert response.status_code == 422
    page = response.content.decode()
    assert _dangling(page) == []
    name, number, head = (_tag(page, ident) for ident in ("c-name", "c-number", "c-head"))
    for tag in (name, number, head):
        assert 'aria-invalid="true"' in tag, tag
    assert "法人名を入力してください" in _described_by(page, name)
    assert "法人番号を入力してください" in _described_by(page, number)
    assert "本社所在地の団体コードを入力してください" in _described_by(page, head)
    # an unknown 団体コード is refused before the action, and said at its field
    page = client.post("/funding/companies/new", {
        "name": "株式会社サンプル", "corporate_number": "7000012050002", "head_office": "999999"}).content.decode()
    head = _tag(page, "c-head")
    assert 'aria-invalid="true"' in head and "999999" in _described_by(page, head)
    assert 'aria-invalid="true"' not in _tag(page, "c-name")


def test_a_refused_revitalisation_plan_marks_its_fields(client_for, users):
    response = client_for(users["admin"]).post("/funding/revitalisation/new", {
        "owner": "m:132012", "name": "", "start_year": "", "end_year": "", "project_name": "", "sector": "",
        "target_amount": ""})
    assert response.status_code == 422
    page = response.content.decode()
    name = _tag(page, "r-name")
    assert 'aria-invalid="true"' in name
    assert "地域再生計画の名称を入力してください" in _described_by(page, name)
    assert 'aria-invalid="true"' not in _tag(page, "r-owner")
    assert _dangling(page) == []


def test_a_refused_revitalisation_project_marks_the_project_fields_not_the_plans(client_for, users):
    # the plan is fine, its first project is not: the project's "name" is the form's 事業名 (project_name)
    response = client_for(users["admin"]).post("/funding/revitalisation/new", {
        "owner": "m:132012", "name": "防災計画", "start_year": "2026", "end_year": "2028", "project_name": "",
        "sector": "", "target_amount": "0"})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'aria-invalid="true"' not in _tag(page, "r-name")
    project, sector, target = (_tag(page, ident) for ident in ("r-project", "r-sector", "r-target"))
    assert "事業名を入力してください" in _described_by(page, project)
    assert "分野を選んでください" in _described_by(page, sector)
    assert 'aria-invalid="true"' in target and "寄附の目標額" in _described_by(page, target)
    assert _dangling(page) == []


def test_a_refused_owner_of_a_revitalisation_plan_is_marked(client_for, users):
    response = client_for(users["admin"]).post("/funding/revitalisation/new", {"owner": "", "name": "計画"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "策定団体を選んでください" in _described_by(page, _tag(page, "r-owner"))


def test_a_refused_revitalisation_edit_marks_its_fields(client_for, users, register):
    plan = actions.create_revitalisation_plan(access.SYSTEM, register["municipalities"]["132012"], name="防災計画",
                                              start_year=2026, end_year=2028)
    response = client_for(users["hachioji"]).post(f"/funding/revitalisation/{plan.pk}/edit", {
        "name": "防災計画", "approved_on": "", "start_year": "2028", "end_year": "2026", "version": plan.version})
    assert response.status_code == 422
    page = response.content.decode()
    end = _tag(page, "r-end")
    assert 'aria-invalid="true"' in end
    assert "終了年度は開始年度以降にしてください" in _described_by(page, end)
    assert 'aria-invalid="true"' not in _tag(page, "r-name")
    assert _dangling(page) == []


# ---- Tables and ids ------------------------------------------------------------------------------------------


def _unnamed_tables(page: str) -> list[str]:
    """The tables of a page with two or more that have no name (caption, aria-label, aria-labelledby naming an
    element on the page): a screen reader's table list would show them all alike."""
    tables = re.findall(r"<table\b[^>]*>(?:\s*<caption\b)?", page)
    if len(tables) < 2:
        return []
    ids = _ids(page)
    unnamed = []
    for table in tables:
        label = re.search(r'aria-label="([^"]+)"', table)
        labelledby = re.search(r'aria-labelledby="([^"]+)"', table)
        if table.endswith("<caption") or label or (labelledby and all(
                ref in ids for ref in labelledby.group(1).split())):
            continue
        unnamed.append(table)
    return unnamed


@pytest.fixture
def funded(register, users, plan_factory, program):
    """A published plan with KPIs and lines (years, flows, lines list), a campaign, a 企業版 project and a pledge."""
    from chiiki.funding.models import NonGrantStatus
    from chiiki.funding.tests.test_corporate import VALID_NUMBER
    from chiiki.roadmap.models import Sector

    plan = plan_factory([
        (2026, "people_knowhow", 1000, [(NATIONAL, 600, CONFIRMED, program), (GENERAL, 400, PLANNED, None)]),
        (2027, "implementation", 800, [(GENERAL, 800, PLANNED, None)])], status="published",
        kpis=[{"indicator": "端末の利用率", "baseline": "40%", "target": "90%", "fiscal_year": 2028}])
    m = register["municipalities"]
    campaign = actions.create_campaign(access.SYSTEM, m["132012"], title="図書館", use_of_funds="本",
                                       target_amount=100_000, start_date="2026-04-01", end_date="2026-06-30",
                                       donation_url="https://example.jp/cf")
    revitalisation = actions.create_revitalisation_plan(access.SYSTEM, m["132012"], name="防災計画",
                                                        approved_on="2025-06-01", start_year=2025, end_year=2029)
    project = actions.add_revitalisation_project(access.SYSTEM, revitalisation, name="防災センサー",
                                                 sector=Sector.objects.get(pk="disaster"), target_amount=10_000_000)
    NonGrantStatus.objects.create(code="132012", fiscal_year=2026, non_grant=False, metropolitan=True)
    company = actions.register_company(users["company"], name="株式会社サンプル", corporate_number=VALID_NUMBER,
                                       head_office=m["131016"])
    pledge, _created = actions.pledge(users["company"], company, project, amount=1_000_000, fiscal_year=2026,
                                      no_return_declared=True, idempotency_key="k1")
    return {"plan": plan, "campaign": campaign, "project": project, "pledge": pledge}


def _funding_pages(funded) -> list[str]:
    plan, campaign, project, pledge = (funded[k] for k in ("plan", "campaign", "project", "pledge"))
    return ["/funding/plans/", f"/funding/plans/{plan.pk}/", f"/funding/plans/{plan.pk}/edit", "/funding/plans/new",
            "/funding/lines/", f"/funding/lines/?plan={plan.pk}", "/funding/flows/", "/funding/flows/?prefecture=13",
            "/funding/cliffs/?fiscal_year=2026", "/funding/campaigns/", f"/funding/campaigns/{campaign.pk}/",
            f"/funding/campaigns/{campaign.pk}/edit", "/funding/campaigns/new", "/funding/projects/",
            f"/funding/projects/{project.pk}/", f"/funding/projects/{project.pk}/?amount=1000000",
            f"/funding/projects/{project.pk}/edit", f"/funding/revitalisation/{project.plan_id}/edit",
            "/funding/revitalisation/new", "/funding/pledges/", f"/funding/pledges/{pledge.pk}/",
            "/funding/companies/new", "/funding/tax-credit", "/funding/lines/import/"]


@pytest.mark.parametrize("who", [None, "hachioji", "admin", "company"])
def test_every_table_of_a_funding_page_with_several_is_named(client_for, users, funded, who):
    client = client_for(users[who] if who else None)
    several = []
    for url in _funding_pages(funded):
        response = client.get(url)
        if response.status_code != 200:
            continue  # not this user's page
        page = response.content.decode()
        if len(re.findall(r"<table\b", page)) >= 2:
            several.append(url)
        assert _unnamed_tables(page) == [], url
    # the pages this is about: the plan page (KPI, 年度 × 財源, each 年度's lines to a reader) and お金の流れ
    assert "/funding/flows/" in several and f"/funding/plans/{funded['plan'].pk}/" in several, several


@pytest.mark.parametrize("who", ["hachioji", None])
def test_no_id_repeats_and_nothing_dangles_on_a_plan_page(client_for, users, funded, plan_factory, program, who):
    # to its editor a draft has a form per 年度 and per line, each with a version, and 参加団体 / 状態 forms
    plan = funded["plan"] if who is None else plan_factory([
        (2026, "people_knowhow", 1000, [(NATIONAL, 600, CONFIRMED, program), (GENERAL, 400, PLANNED, None)]),
        (2027, "implementation", 800, [(GENERAL, 800, PLANNED, None)])], municipality="132012")
    page = client_for(users[who] if who else None).get(f"/funding/plans/{plan.pk}/").content.decode()
    assert len(re.findall(r'name="[^"]*version"', page)) >= (6 if who else 0)
    repeated = [ident for ident, n in Counter(re.findall(r'\sid="([^"]+)"', page)).items() if n > 1]
    assert repeated == []
    assert _dangling(page) == []


def test_no_id_repeats_on_a_refused_plan_page(client_for, users, funded):
    plan = funded["plan"]
    year = plan.years.order_by("fiscal_year").first()
    response = client_for(users["hachioji"]).post(f"/funding/plans/{plan.pk}/years/{year.pk}", {
        f"year{year.pk}-fiscal_year": "2026", f"year{year.pk}-phase": "people_knowhow",
        f"year{year.pk}-total_cost": "-5", f"year{year.pk}-activities": "", f"year{year.pk}-version": year.version})
    assert response.status_code == 422
    page = response.content.decode()
    assert [i for i, n in Counter(re.findall(r'\sid="([^"]+)"', page)).items() if n > 1] == []
    assert _dangling(page) == []
