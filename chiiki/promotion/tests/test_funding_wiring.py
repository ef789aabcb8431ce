"""What promotion reads from funding: the published-plans component of the candidate score and the programs the
similar municipalities' plans used in package advice — through the API and pages, plans written through funding's
actions; a funding write shows on the next anonymous request of the cached promotion pages."""

import pytest

from chiiki.access import SYSTEM
from chiiki.funding import actions as funding_actions
from chiiki.funding.tests.conftest import make_program
from chiiki.promotion import queries
from chiiki.roadmap.models import Sector

from .test_packages import schema_json, towns  # noqa: F401 (fixture)
from .test_scoring import MATSUMAE, expected, scored  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def _plan(place, sector, years, *, publish=True, participants=(), lines=()):
    plan = funding_actions.create_plan(
        SYSTEM, place, sector=Sector.objects.get(pk=sector), title=f"{place.name}の{sector}計画", start_year=years[0],
        operator_kind="direct", participants=list(participants),
        years=[{"fiscal_year": y, "phase": "implementation", "total_cost": 100} for y in years])
    for program in lines:
        funding_actions.add_line(SYSTEM, plan.years.get(fiscal_year=years[0]), source_kind="national_program",
                                 amount=1_000_000, state="confirmed", program=program)
    plan.refresh_from_db()
    return funding_actions.set_status(SYSTEM, plan, "published", version=plan.version) if publish else plan


def _matsumae(client):
    items = client.get("/api/v1/model-regions/candidates?fiscal_year=2026").json()["items"]
    return next(i for i in items if i["code"] == MATSUMAE)


def test_a_published_plan_adds_the_plans_component(client, scored):  # noqa: F811
    page = client.get("/promotion/candidates/?fiscal_year=2026").content.decode()
    without = expected(2, [2, 4, 0], True)
    assert _matsumae(client)["score"] == without and _matsumae(client)["plans"] is False
    assert "20×計画" in page and "計画 = その年度までに始まる公開中" in page
    _plan(scored[MATSUMAE], "education", [2027, 2028, 2029])  # starts after 2026: not yet
    _plan(scored[MATSUMAE], "health", [2026, 2027], publish=False)  # a draft does not count
    assert _matsumae(client)["score"] == without
    _plan(scored["012025"], "education", [2025, 2026], participants=[scored[MATSUMAE]])  # 松前町 takes part
    got = _matsumae(client)
    assert got["plans"] is True and got["score"] == expected(2, [2, 4, 0], True, planned=True) == 53.8
    page = client.get("/promotion/candidates/?fiscal_year=2026").content.decode()
    assert "53.8" in page and f'/funding/plans/?municipality={MATSUMAE}&amp;status=public&amp;started_by=2026"' in page


def test_package_advice_names_the_programs_the_members_plans_used(client, towns):  # noqa: F811
    advisor = make_program("MIC-ADVISOR", name="地域情報化アドバイザー派遣")
    subsidy = make_program("MIC-SUBSIDY", name="地域デジタル基盤活用補助金")
    other = make_program("MIC-OTHER", name="医療だけの補助金")
    _plan(towns["T1"], "education", [2026, 2027], lines=[advisor, subsidy])
    _plan(towns["T4"], "tourism", [2026, 2027], lines=[advisor])
    _plan(towns["T5"], "health", [2026, 2027], lines=[other])  # T5 is in no combination
    _plan(towns["T2"], "education", [2026, 2027], lines=[other], publish=False)  # draft: not shown
    url = f"/api/v1/municipalities/{towns['M'].code}/packages?fiscal_year=2026"
    got = {tuple(c["sectors"]): c for c in client.get(url).json()["combinations"]}
    assert got[("education", "tourism")]["programs"] == [
        {"public_id": "MIC-ADVISOR", "name": "地域情報化アドバイザー派遣", "plans": 2,
         "municipalities": sorted([towns["T1"].code, towns["T4"].code])},
        {"public_id": "MIC-SUBSIDY", "name": "地域デジタル基盤活用補助金", "plans": 1, "municipalities": [towns["T1"].code]}]
    assert [p["public_id"] for p in got[("education", "health")]["programs"]] == ["MIC-SUBSIDY", "MIC-ADVISOR"]  # 1 plan each: by name
    assert client.get(url).content == schema_json(queries.compute_package_advice(towns["M"], 2026))  # programs too
    page = client.get(f"/promotion/m/{towns['M'].code}/?fiscal_year=2026").content.decode()
    assert 'href="/programs/p/MIC-ADVISOR/">地域情報化アドバイザー派遣</a>（2計画）' in page and "医療だけの補助金" not in page
    csv = client.get(f"/promotion/m/{towns['M'].code}/?fiscal_year=2026&format=csv").content.decode("utf-8-sig")
    assert "地域情報化アドバイザー派遣（2計画）" in csv


def test_a_funding_write_shows_on_the_next_anonymous_promotion_page(client, towns):  # noqa: F811
    url = f"/promotion/m/{towns['M'].code}/?fiscal_year=2026"
    assert "地域情報化アドバイザー派遣" not in client.get(url).content.decode()
    _plan(towns["T1"], "education", [2026, 2027], lines=[make_program("MIC-ADVISOR", name="地域情報化アドバイザー派遣")])
    assert "地域情報化アドバイザー派遣" in client.get(url).content.decode()


def test_the_programs_stay_right_across_progress_and_program_writes(client, towns, users):  # noqa: F811
    """The plans' programs are cached apart from progress (a progress write recomputes the combinations, not the
    plans' programs); renaming a program (a programs write) shows on the next request."""
    from chiiki.programs.actions import save_program
    from chiiki.programs.catalog import row_of
    from chiiki.progress import actions as progress_actions

    advisor = make_program("MIC-ADVISOR", name="地域情報化アドバイザー派遣")
    _plan(towns["T1"], "education", [2026, 2027], lines=[advisor])
    _plan(towns["T4"], "tourism", [2026, 2027], lines=[advisor])
    url = f"/api/v1/municipalities/{towns['M'].code}/packages?fiscal_year=2026"

    def combos():
        return {tuple(c["sectors"]): c for c in client.get(url).json()["combinations"]}

    assert combos()[("education", "tourism")]["programs"][0]["municipalities"] == sorted(
        [towns["T1"].code, towns["T4"].code])
    # T5 adds tourism: health+tourism reaches 3 (T1, T2, T5), with no program (no member has a plan in health or
    # tourism); education+tourism keeps its two plans.
    progress_actions.save_progress(SYSTEM, towns["T5"], Sector.objects.get(pk="tourism"), 2026, stage="implemented",
                                   version=0)
    got = combos()
    assert got[("health", "tourism")]["support"] == 3
    assert [m["code"] for m in got[("health", "tourism")]["municipalities"]] == sorted(
        [towns["T1"].code, towns["T2"].code, towns["T5"].code])
    assert got[("health", "tourism")]["programs"] == [] and got[("education", "tourism")]["programs"][0]["plans"] == 2
    row = row_of(advisor)
    row["name"] = "地域情報化アドバイザー派遣（改称）"
    save_program(users["admin"], advisor, row, version=advisor.version)
    assert combos()[("education", "tourism")]["programs"][0]["name"] == "地域情報化アドバイザー派遣（改称）"
