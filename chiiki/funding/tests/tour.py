"""Funding rows for the accessibility tour (chiiki/core/tests/test_accessibility.py): a published plan with a flag,
a draft, a campaign with a receipt, a 地域再生計画 with a project and a wide-area draft of 東京都; returns the ids
the tour's page list formats in."""

import datetime as dt

from chiiki import access
from chiiki.funding import actions
from chiiki.funding.models import ImplementationPlan, NonGrantStatus, RevitalisationProject
from chiiki.programs.models import SupportProgram
from chiiki.regions.models import Municipality
from chiiki.roadmap.models import Sector


def seed() -> dict:
    hachioji = Municipality.objects.select_related("prefecture").get(pk="132012")
    sector = Sector.objects.get(pk="disaster")
    plan = actions.create_plan(access.SYSTEM, hachioji, sector=sector, title="八王子市 防災IoT実装計画", start_year=2026,
                               years=[{"fiscal_year": 2026, "phase": "people_knowhow", "total_cost": 1_000_000},
                                      {"fiscal_year": 2027, "phase": "implementation", "total_cost": 5_000_000}])
    year = plan.years.get(fiscal_year=2026)
    actions.add_line(access.SYSTEM, year, source_kind="general", amount=1_000_000, state="confirmed")
    plan = actions.set_status(access.SYSTEM, plan, "published", version=plan.version)
    draft = actions.create_plan(access.SYSTEM, hachioji, sector=sector, title="下書きの計画", start_year=2026)
    campaign = actions.create_campaign(
        access.SYSTEM, hachioji, title="避難所のWi-Fi", use_of_funds="避難所の通信設備", target_amount=1_000_000,
        start_date=dt.date(2026, 4, 1), end_date=dt.date(2027, 3, 31), donation_url="https://example.jp/cf")
    actions.record_receipt(access.SYSTEM, campaign, received_on=dt.date(2026, 5, 1), amount=30_000, external_id="T1")
    rr = actions.create_revitalisation_plan(access.SYSTEM, hachioji, name="八王子市 地域再生計画", start_year=2025,
                                            end_year=2029, approved_on=dt.date(2025, 6, 1))
    project = actions.add_revitalisation_project(access.SYSTEM, rr, name="防災センサー網", sector=sector,
                                                 target_amount=10_000_000)
    wide = actions.create_plan(access.SYSTEM, hachioji.prefecture, sector=sector, title="東京都 島しょ防災計画",
                               start_year=2026, participants=[hachioji])
    return {"plan": plan.pk, "draft": draft.pk, "campaign": campaign.pk, "project": project.pk, "rr": rr.pk,
            "wide": wide.pk}


def seed_list_rows(users, ids: dict) -> None:
    """On top of seed(): a row in the 財源の崖 list of 2027 (a national program of at most one year funds the plan's
    last 年度) and a pledge of the `company` user, so that those lists have a row to look at."""
    plan = ImplementationPlan.objects.get(pk=ids["plan"])
    program = SupportProgram.objects.get(public_id="CAS-DIGIDEN-JISSO")  # max_years = 1 in the catalog
    actions.add_line(access.SYSTEM, plan.years.get(fiscal_year=2027), source_kind="national_program",
                     amount=4_000_000, state="confirmed", program=program)
    company = actions.register_company(users["company"], name="株式会社サンプル",
                                       corporate_number="7000012050002",  # 国税庁の法人番号
                                       head_office=Municipality.objects.get(pk="131016"))
    NonGrantStatus.objects.create(code="132012", fiscal_year=2026, non_grant=False, metropolitan=True)
    actions.pledge(users["company"], company, RevitalisationProject.objects.get(pk=ids["project"]), amount=200_000,
                   fiscal_year=2026, no_return_declared=True)
