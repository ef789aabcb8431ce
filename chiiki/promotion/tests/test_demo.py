"""Demo promotion data: loads through the actions, marked デモ, idempotent, skipped without the demo prefecture."""

import pytest

from chiiki.core.models import ChangeRecord
from chiiki.promotion import demo
from chiiki.promotion.models import (
    Challenge,
    ChallengeStatus,
    Commitment,
    Council,
    Event,
    ModelRegion,
    Proposal,
)
from chiiki.testing import mypage_section

pytestmark = pytest.mark.django_db


@pytest.fixture
def nagano(register):
    from chiiki.regions.models import Municipality, Prefecture

    pref = Prefecture.objects.create(code="20", lg_code="200000", name="長野県", kana="ナガノケン")
    for code, name, kind in (("202011", "長野市", "core_city"), ("202151", "塩尻市", "city"),
                             ("204072", "阿智村", "village")):
        Municipality.objects.create(code=code, name=name, kana="テスト", kind=kind, prefecture=pref)


def test_demo_loads_once_and_is_marked(client, nagano, django_user_model):
    django_user_model.objects.create(username="demo-company", role="company")
    summary = demo.load()
    assert "首長のコミットメント 3件" in summary and "見本となる地域 2件" in summary
    assert "協議会 1件・課題 3件・イベント 3件" in summary
    assert Proposal.objects.filter(is_demo=True, organisation__name="株式会社チイキIoT（デモ）").count() == 2
    assert Council.objects.get().memberships.count() == 4
    assert set(ModelRegion.objects.values_list("is_demo", flat=True)) == {True}
    assert set(Commitment.objects.values_list("is_demo", flat=True)) == {True}
    assert set(ChangeRecord.objects.filter(model__startswith="promotion.").values_list("source", flat=True)) == {"demo"}
    assert set(Event.objects.values_list("is_demo", flat=True)) == {True}
    again = demo.load()
    assert "見本となる地域 0件" in again and "協議会 0件・課題 0件・イベント 0件" in again
    assert ModelRegion.objects.count() == 2 and Event.objects.count() == 3
    page = client.get("/promotion/").content.decode()
    assert "塩尻市" in page and "デモ" in page


def test_the_demo_has_a_published_outcome_to_read(client, client_for, nagano, django_user_model):
    """One demo challenge is decided, so the outcome shows on its page and on the demo company's マイページ."""
    company = django_user_model.objects.create(username="demo-company", role="company")
    demo.load()
    decided = Challenge.objects.get(status=ChallengeStatus.DECIDED)
    assert decided.is_demo and decided.outcome_amount == 1_150_000
    assert decided.selected.organisation.name == "株式会社チイキIoT（デモ）"
    public = client.get(decided.get_absolute_url()).content.decode()
    assert "予約サイトとスマートロックの連携" in public and "1,150,000" in public
    outcomes = mypage_section(client_for(company), "promotion-outcomes")
    assert outcomes is not None and decided.title in outcomes
    open_ones = Challenge.objects.exclude(pk=decided.pk)
    assert set(open_ones.values_list("status", flat=True)) == {ChallengeStatus.OPEN}


def test_demo_without_the_demo_prefecture_creates_nothing(register):
    assert "0件" in demo.load() and not ModelRegion.objects.exists()


def test_demo_organisations_take_roles_in_the_funding_demo_plan(client, nagano, django_user_model):
    from chiiki.funding import demo as funding_demo
    from chiiki.promotion.models import PlanParticipation

    assert "計画での役割 0件" in demo.load()  # without the funding demo there is no plan to join
    funding_demo.load()
    assert "計画での役割 3件" in demo.load()
    roles = {(p.organisation.kind, p.role) for p in PlanParticipation.objects.select_related("organisation")}
    assert roles == {("industry", "operator"), ("academia", "partner"), ("finance", "funder")}
    assert set(PlanParticipation.objects.values_list("is_demo", flat=True)) == {True}
    plan = PlanParticipation.objects.first().plan
    page = client.get(plan.get_absolute_url()).content.decode()
    assert "信州IoT推進機構（デモ）" in page and "運営主体" in page
    assert "計画での役割 0件" in demo.load()  # idempotent
