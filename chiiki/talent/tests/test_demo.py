"""The demo loader: ~200 fictional talents, requests in every state for the demo municipalities, idempotent."""

import datetime as dt

import pytest

from chiiki.accounts.models import Role, User
from chiiki.core.fiscal import current_fiscal_year
from chiiki.regions.models import Municipality, Prefecture
from chiiki.talent import demo
from chiiki.talent.models import Status, TalentProfile, TalentRequest, Visit


@pytest.fixture
def nagano(register, vocabulary):
    pref = Prefecture.objects.create(code="20", lg_code="200000", name="長野県", kana="ナガノケン")
    for code, name, kind in (("202011", "長野市", "core_city"), ("202151", "塩尻市", "city"),
                             ("204072", "阿智村", "village")):
        Municipality.objects.create(code=code, prefecture=pref, name=name, kana=name, kind=kind)
    for code in ("10", "14", "15", "19", "21", "23", "27"):
        Prefecture.objects.create(code=code, lg_code=f"{code}0000x"[:6], name=f"県{code}", kana="ケン")
    User.objects.create(username="demo-advisor", role=Role.ADVISOR)
    User.objects.create(username="demo-company", role=Role.COMPANY)


def test_demo_pool_and_requests_in_every_state(nagano):
    summary = demo.load()
    assert summary.startswith("人材デモデータ: 人材202人・派遣依頼13件")
    assert TalentProfile.objects.filter(is_demo=True).count() == 202
    assert not TalentProfile.objects.exclude(display_name__contains="デモ").exists()
    assert set(TalentRequest.objects.values_list("status", flat=True)) == set(Status.values)
    assert set(TalentRequest.objects.values_list("municipality_id", flat=True)) == set(demo.DEMO_MUNICIPALITIES)
    advisor = TalentProfile.objects.get(user__username="demo-advisor")
    assert TalentRequest.objects.filter(talent=advisor, status=Status.DISPATCHING).exists()
    names = list(TalentProfile.objects.order_by("id").values_list("display_name", "kind", "home_prefecture_id")[:5])
    assert demo.load() == "人材デモデータ: 作成済みのため変更しませんでした"
    assert TalentProfile.objects.count() == 202
    # Deterministic: a second run from scratch yields the same pool.
    TalentRequest.objects.all().delete()
    TalentProfile.objects.all().delete()
    demo.load()
    assert list(TalentProfile.objects.order_by("id").values_list("display_name", "kind", "home_prefecture_id")[:5]) == names


@pytest.mark.parametrize("month_day", [(4, 1), (4, 2), (5, 4)])
def test_demo_visits_are_never_after_today(nagano, clock, month_day):
    """On the first days of a 年度 the demo's visits fall back to its first days: add_visit refuses a date after today,
    so one would stop load_demo."""
    today = clock(dt.date(current_fiscal_year(), *month_day))
    demo.load()
    dates = list(Visit.objects.values_list("date", flat=True))
    assert dates and max(dates) <= today
    assert TalentRequest.objects.filter(status=Status.DISPATCHING).exists()
