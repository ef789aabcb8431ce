"""Concurrent writes of the catalog through a live server: one resource deleted with two clicks at once is deleted
and recorded once, the dataset's version raised once (the late clicks get 404 as they would later); datasets renamed
to one name at once give one winner and 422s, never a 500 from the unique name."""

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


def test_datasets_renamed_to_one_name_at_once_give_one_winner(live_server, users):
    from chiiki.accounts.models import ApiToken
    from chiiki.testing import together

    user = users["hachioji"]
    token = ApiToken.issue(user, "race")[1]
    datasets = [actions.create_dataset(user, user.municipality, {"name": f"draft-{n}", "title": f"下書き{n}"})
                for n in range(COPIES)]
    answers = together([("PUT", f"{live_server.url}/api/v1/opendata/datasets/{d.name}", token,
                         {"name": "aed", "title": "AED設置場所一覧", "version": d.version}) for d in datasets])
    assert Counter(status for status, _ in answers) == {200: 1, 422: COPIES - 1}, answers
    assert all(body["detail"] == {"name": "URL名「aed」はすでに使われています"} for status, body in answers if status == 422)
    assert Dataset.objects.filter(name="aed").count() == 1
