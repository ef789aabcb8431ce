"""Moderating a 利用事例 carries the version the page showed: two managers (八王子市 and 東京都) deciding at once give one
decision and a 409 that names it, never two changes both recorded from 「確認待ち」 with the last one winning."""

import re
from collections import Counter

import pytest

from chiiki.core.editing import VERSION_REQUIRED
from chiiki.core.models import ChangeRecord
from chiiki.opendata import actions
from chiiki.opendata.models import UseCase
from chiiki.opendata.tests.samples import make_catalog
from chiiki.testing import each_in_its_thread, meet_before_writing


def _updates(use):
    return list(ChangeRecord.objects.filter(model="opendata.usecase", object_id=str(use.pk), action="update")
                .order_by("pk"))


def _shown_version(html: str, use) -> str:
    """The version in the 掲載する/掲載しない form of `use` on the dataset page."""
    form = re.search(rf'<form method="post" action="[^"]*/uses/{use.pk}"[^>]*>(.*?)</form>', html, re.S)
    return re.search(r'<input type="hidden" name="version" value="(\d+)">', form.group(1)).group(1)


@pytest.mark.django_db
def test_a_decision_on_a_stale_page_answers_409_and_leaves_the_first_decision(users, catalog, client_for):
    dataset = catalog["aed"]
    use = actions.register_use_case(users["company"], dataset, title="AEDマップアプリ")
    url = f"/opendata/dataset/{dataset.name}/uses/{use.pk}"
    owner, prefecture = client_for(users["hachioji"]), client_for(users["tokyo"])
    seen = _shown_version(owner.get(dataset.get_absolute_url()).content.decode(), use)
    assert seen == _shown_version(prefecture.get(dataset.get_absolute_url()).content.decode(), use)

    assert owner.post(url, {"status": "approved", "version": seen}).status_code == 302
    late = prefecture.post(url, {"status": "rejected", "version": seen})

    assert late.status_code == 409
    html = late.content.decode()
    assert ("ほかの管理者が先にこの利用事例を「掲載中」にしました。あなたが選んだ「掲載しない」にはしていません。"
            "「掲載しない」にする場合は、もう一度押してください。") in html
    use.refresh_from_db()
    assert use.status == "approved" and use.version == 2
    assert [(r.before, r.after) for r in _updates(use)] == [({"status": "pending"}, {"status": "approved"})]
    # The page shows the decision as it is now; pressing 掲載しない there again is deliberate, and is saved.
    assert _shown_version(html, use) == "2"
    assert prefecture.post(url, {"status": "rejected", "version": "2"}).status_code == 302
    use.refresh_from_db()
    assert use.status == "rejected" and use.version == 3
    assert [(r.before, r.after) for r in _updates(use)][1:] == [({"status": "approved"}, {"status": "rejected"})]


@pytest.mark.django_db
def test_a_decision_without_a_version_is_refused(users, catalog, client_for):
    dataset = catalog["aed"]
    use = actions.register_use_case(users["company"], dataset, title="AEDマップアプリ")
    response = client_for(users["hachioji"]).post(f"/opendata/dataset/{dataset.name}/uses/{use.pk}",
                                                  {"status": "approved"})
    assert response.status_code == 422 and VERSION_REQUIRED in response.content.decode()
    use.refresh_from_db()
    assert use.status == "pending" and use.version == 1 and not _updates(use)


@pytest.mark.django_db(transaction=True)
def test_two_moderations_at_once_do_not_both_start_from_pending(users, register, client_for, monkeypatch):
    catalog = make_catalog()
    use = actions.register_use_case(users["company"], catalog["aed"], title="AEDマップアプリ")
    url = f"/opendata/dataset/{catalog['aed'].name}/uses/{use.pk}"
    clients = [client_for(users["hachioji"]), client_for(users["tokyo"])]
    for c in clients:
        c.raise_request_exception = False
    # Both requests have read the use case before either opens its transaction.
    meet_before_writing(monkeypatch, actions)

    def send(item):
        c, status = item
        return c.post(url, {"status": status, "version": 1}).status_code

    statuses = each_in_its_thread([(clients[0], "approved"), (clients[1], "rejected")], send)
    assert Counter(statuses) == {302: 1, 409: 1}, statuses
    records = _updates(use)
    won = "approved" if statuses[0] == 302 else "rejected"
    assert [(r.before, r.after) for r in records] == [({"status": "pending"}, {"status": won})]
    assert UseCase.objects.get(pk=use.pk).status == won
