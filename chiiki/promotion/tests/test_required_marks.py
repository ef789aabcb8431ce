"""A form says which fields must be filled before it is sent: the proposal form (every field required, sent with
novalidate so the browser says nothing) and the event form marked none of them, so people learnt it only from
the refusal."""

import re

import pytest

from .test_challenges import market  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def _label(html, field_id):
    return re.search(rf'<label for="{field_id}">(.*?)</label>', html, re.S).group(1)


def test_required_fields_are_marked_beside_their_labels(client_for, users, market, django_user_model):  # noqa: F811
    newcomer = django_user_model.objects.create(username="newcomer", role="company")
    client = client_for(newcomer)
    assert client.post("/promotion/organisations/new", {"name": "新規合同会社", "kind": "startup"}).status_code == 302
    page = client.get(f"/promotion/challenges/{market['challenge']['id']}/").content.decode()
    assert "この課題に提案する" in page
    for field in ("id_summary", "id_approach", "id_cost", "id_team"):
        assert '<span class="required">必須</span>' in _label(page, field), field

    form = client_for(users["hachioji"]).get("/promotion/events/new").content.decode()
    assert '<span class="required">必須</span>' in _label(form, "id_title")
    assert "必須" not in _label(form, "id_venue")
