"""The PDCA demo: something to click through for the 長野県 demo users, loaded once."""

import pytest
from django.utils import timezone

from chiiki.access import SYSTEM
from chiiki.regions.models import Prefecture

from .. import demo
from ..models import InstitutionProposal, Review
from .conftest import make_kpi

pytestmark = pytest.mark.django_db


def test_demo_reviews_actions_and_proposals(register, client):
    assert "先に load_reference" in demo.load(actor=SYSTEM)
    Prefecture.objects.create(code="20", lg_code="200000", name="長野県", kana="ナガノケン")
    make_kpi("DIGIDEN-1500", target="1500")
    summary = demo.load(actor=SYSTEM)
    assert "年次レビュー3件" in summary
    assert Review.objects.filter(is_demo=True).count() == 3
    nagano = Review.objects.get(prefecture="20")
    assert [e.kpi_id for e in nagano.entries.all()] == [demo.PREFECTURE_KPI]
    overdue = [a for r in Review.objects.all() for a in r.actions.all() if a.is_overdue(timezone.localdate())]
    assert len(overdue) == 1
    assert set(InstitutionProposal.objects.values_list("status", flat=True)) == {"under_review", "declined"}
    assert "作成済み" in demo.load(actor=SYSTEM)
    assert Review.objects.count() == 3
    page = client.get("/pdca/reviews/").content.decode()
    assert page.count('badge badge--demo">デモ') == 3
