"""A dispatch's page carries the visit and report forms together: their ids are unique on the page (each form had
its hidden version as id_version), also when a refused visit comes back with what was typed."""

import collections
import datetime as dt
import re

import pytest

from chiiki.core.fiscal import current_fiscal_year
from chiiki.talent.models import Status, TalentRequest, Visit

pytestmark = pytest.mark.django_db


def _repeated_ids(page: str) -> list[str]:
    return [i for i, n in collections.Counter(re.findall(r'\sid="([^"]+)"', page)).items() if n > 1]


@pytest.fixture
def dispatching(hachioji_request, advisor_profile):
    TalentRequest.objects.filter(pk=hachioji_request.pk).update(
        status=Status.DISPATCHING, talent=advisor_profile, talent_label=advisor_profile.display_name)
    return hachioji_request


def test_the_dispatch_page_has_unique_ids(client_for, users, dispatching):
    response = client_for(users["advisor"]).get(f"/talent/requests/{dispatching.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="visit-form"' in page and 'id="report-form"' in page
    assert _repeated_ids(page) == []


def test_a_refused_visit_comes_back_with_unique_ids_and_its_version(client_for, users, dispatching, clock):
    response = client_for(users["advisor"]).post(f"/talent/requests/{dispatching.pk}/visits", {
        "version": "1", "date": dt.date(current_fiscal_year(), 7, 1).isoformat(), "hours": "30", "mode": "onsite",
        "participants": "3", "note": "キックオフ"})
    assert response.status_code == 422
    page = response.content.decode()
    visit_form = re.search(r'<form [^>]*id="visit-form".*?</form>', page, re.S).group(0)
    assert '<input type="hidden" name="version" value="1">' in visit_form and "キックオフ" in visit_form
    assert _repeated_ids(page) == []
    assert not Visit.objects.exists()
