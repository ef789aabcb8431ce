"""One resource deleted with two clicks at once (page form, live server): deleted and recorded once, the dataset's
version raised once; the clicks that came too late get 404 as they would later."""

from collections import Counter

import pytest

from chiiki.core.models import ChangeRecord
from chiiki.opendata import actions
from chiiki.opendata.models import Dataset
from chiiki.testing import posted_together

pytestmark = pytest.mark.django_db(transaction=True)

COPIES = 8
ROUNDS = 3


def test_one_resource_deleted_twice_at_once_is_deleted_and_recorded_once(live_server, users):
    user = users["hachioji"]
    dataset = actions.create_dataset(user, user.municipality, {"name": "aed-list", "title": "AED設置場所一覧"})
    url = f"{live_server.url}/opendata/dataset/aed-list/resources"
    for n in range(ROUNDS):
        resource = actions.add_resource(user, dataset, name=f"AED{n}", url=f"https://example.jp/aed{n}.csv",
                                        format="CSV")
        version = Dataset.objects.get(pk=dataset.pk).version
        statuses = posted_together(user, [(url, {"delete": str(resource.uid)})] * COPIES)
        assert Counter(statuses) == {302: 1, 404: COPIES - 1}, statuses
        assert ChangeRecord.objects.filter(model="opendata.resource", object_id=str(resource.pk),
                                           action="delete").count() == 1
        assert Dataset.objects.get(pk=dataset.pk).version == version + 1
