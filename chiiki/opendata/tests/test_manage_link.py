"""データセットの管理 is offered only to users who manage a place (it answers them 200, everyone else 403)."""

import pytest

pytestmark = pytest.mark.django_db

ROLES = ["public", "admin", "tokyo", "hachioji", "advisor", "company"]


@pytest.mark.parametrize("role", ROLES)
def test_the_manage_link_shows_exactly_when_the_page_opens(users, client_for, role):
    client = client_for(None if role == "public" else users[role])
    offered = 'href="/opendata/manage/"' in client.get("/opendata/").content.decode()
    status = client.get("/opendata/manage/").status_code
    assert offered is (role in {"admin", "tokyo", "hachioji"})
    assert (status == 200) is offered
