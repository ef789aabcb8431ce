"""PDCA rows for the site-wide browser tours (chiiki/core/tests/test_accessibility.py): the national KPIs, a
prefecture KPI, a review with an overdue and a finished action, and a proposal."""

import datetime as dt
from pathlib import Path

from django.conf import settings

from chiiki.access import SYSTEM
from chiiki.cases.actions import save_case
from chiiki.cases.models import Case
from chiiki.core.fiscal import current_fiscal_year

from .. import actions
from ..models import InstitutionProposal, Review
from ..reference import load_kpis


def seed_site(users) -> None:
    load_kpis(data_dir=Path(settings.BASE_DIR) / "data")
    year = current_fiscal_year()
    actions.save_kpi(SYSTEM, None, {"code": "TOKYO-DISASTER", "name": "都内で防災分野を実装済の団体数", "unit": "団体",
                                    "target_value": "3", "target_fiscal_year": year + 2,
                                    "measure": "progress_implemented_sectors", "sectors": ["disaster"],
                                    "prefecture": "13"}, version=0)
    review = actions.open_review(SYSTEM, fiscal_year=year, summary="実装済の団体は増えている。")
    actions.add_action(SYSTEM, review, {"title": "町村向けの説明会", "owner_organisation": "総務省",
                                        "due_date": dt.date(year, 4, 1), "status": "in_progress"})
    actions.add_action(SYSTEM, review, {"title": "事例集の作成", "owner_organisation": "総務省",
                                        "due_date": dt.date(year + 1, 3, 31), "status": "done", "result": "公開済み"})
    actions.submit_proposal(users["hachioji"], {"title": "様式の共通化", "problem": "負担が大きい",
                                                "rule_concerned": "申請様式", "evidence_links": ["/progress/"]})
    save_case(SYSTEM, None, {"municipality": "131016", "title": "防災アプリの導入", "summary": "避難情報をアプリで配信",
                             "sectors": ["disaster"], "funding_kinds": ["crowdfunding"], "status": "published",
                             "outcomes": [{"indicator": "登録者", "unit": "人", "before": 10, "after": 900,
                                           "fiscal_year": year}]}, version=0)


def tour_values() -> dict:
    return {"review": Review.objects.order_by("pk").values_list("pk", flat=True).first(),
            "proposal": InstitutionProposal.objects.order_by("pk").values_list("pk", flat=True).first(),
            "case": Case.objects.order_by("pk").values_list("pk", flat=True).first()}
