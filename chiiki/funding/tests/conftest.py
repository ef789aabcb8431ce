import pytest

from chiiki import access
from chiiki.funding import actions
from chiiki.funding.models import FundingState, SourceKind
from chiiki.programs.models import SupportProgram


def make_program(public_id, *, max_years=None, kind="subsidy", entity_kinds=(), **extra):
    return SupportProgram.objects.create(
        public_id=public_id, name=extra.pop("name", f"支援{public_id}"), provider="総務省", provider_type="national",
        kind=kind, support_type="funding", all_sectors=True, summary="テスト用の支援メニュー", max_years=max_years,
        entity_kinds=list(entity_kinds), **extra)


@pytest.fixture
def program():
    return make_program("TEST-SUBSIDY", max_years=1, name="地域実装補助金")


@pytest.fixture
def plan_factory(register):
    """plan_factory(years=[(fy, phase, cost, [(kind, amount, state, program)])], **plan fields) → a plan made
    through the actions by the system actor (the tests then read it through pages and the API)."""
    from chiiki.roadmap.models import Sector

    def make(years, *, municipality="132012", status=None, operator_kind="direct", title="テスト計画", **fields):
        owner = register["municipalities"][municipality]
        plan = actions.create_plan(
            access.SYSTEM, owner, sector=Sector.objects.get(pk="education"), title=title,
            start_year=years[0][0] if years else 2026, operator_kind=operator_kind,
            years=[{"fiscal_year": fy, "phase": phase, "total_cost": cost} for fy, phase, cost, _lines in years],
            **fields)
        by_year = {y.fiscal_year: y for y in plan.years.all()}
        for fy, _phase, _cost, lines in years:
            for kind, amount, state, prog in lines:
                actions.add_line(access.SYSTEM, by_year[fy], source_kind=kind, amount=amount, state=state,
                                 program=prog)
        if status:
            plan.refresh_from_db()
            plan = actions.set_status(access.SYSTEM, plan, status, version=plan.version)
        return plan

    return make


GENERAL, NATIONAL = SourceKind.GENERAL, SourceKind.NATIONAL_PROGRAM
CONFIRMED, PLANNED, RECEIVED, REJECTED = (FundingState.CONFIRMED, FundingState.PLANNED, FundingState.RECEIVED,
                                          FundingState.REJECTED)


@pytest.fixture
def receiving_campaign(register, users):
    """A campaign of 八王子市 open today, and API keys of two people who may record its receipts (the municipality
    and its prefecture): for writes that race."""
    from django.utils import timezone

    from chiiki.accounts.models import ApiToken

    today = timezone.localdate()
    campaign = actions.create_campaign(access.SYSTEM, register["municipalities"]["132012"], title="同時受付",
                                       use_of_funds="テスト", target_amount=1_000_000, start_date=today,
                                       end_date=today, donation_url="https://example.jp/cf")
    return campaign, [ApiToken.issue(users["hachioji"], "t")[1], ApiToken.issue(users["tokyo"], "t")[1]]
