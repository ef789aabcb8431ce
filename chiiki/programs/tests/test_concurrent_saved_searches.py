"""A saved search deleted with two clicks at once, or while its alerts are switched (page forms, live server): it is
deleted once and recorded once; the requests that came too late get 404 as they would later — never a 500."""

from collections import Counter

import pytest

from chiiki.core.models import ChangeRecord
from chiiki.programs import actions
from chiiki.programs.models import SavedSearch
from chiiki.testing import posted_together

pytestmark = pytest.mark.django_db(transaction=True)

COPIES = 8
ROUNDS = 3


def _deletions(saved) -> int:
    return ChangeRecord.objects.filter(model="programs.savedsearch", object_id=str(saved.pk), action="delete").count()


def test_one_search_deleted_twice_at_once_is_deleted_and_recorded_once(live_server, users):
    user = users["hachioji"]
    for n in range(ROUNDS):
        saved = actions.save_search(user, name=f"見守り{n}", params="q=見守り", alerts=False)
        statuses = posted_together(user, [(f"{live_server.url}/programs/saved/{saved.pk}/delete", {})] * COPIES)
        assert Counter(statuses) == {302: 1, 404: COPIES - 1}, statuses
        assert not SavedSearch.objects.filter(pk=saved.pk).exists() and _deletions(saved) == 1


def test_alerts_switched_while_the_search_is_deleted(live_server, users):
    user = users["hachioji"]
    user.email = "hachioji@example.jp"
    user.save()
    for n in range(ROUNDS):
        saved = actions.save_search(user, name=f"防災{n}", params="q=防災", alerts=False)
        url = f"{live_server.url}/programs/saved/{saved.pk}"
        statuses = posted_together(user, [(f"{url}/delete", {})] + [(f"{url}/alerts", {"alerts": "on"})] * (COPIES - 1))
        assert statuses[0] == 302 and set(statuses) <= {302, 404}, statuses
        assert not SavedSearch.objects.filter(pk=saved.pk).exists() and _deletions(saved) == 1
