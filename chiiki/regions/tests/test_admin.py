import pytest
from django.contrib.auth import get_user_model


@pytest.fixture
def superuser_client(register, client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pass-for-tests-1")
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", [
    "/django-admin/regions/municipality/", "/django-admin/regions/municipality/131016/change/",
    "/django-admin/regions/prefecture/", "/django-admin/regions/boundaryfile/",
    "/django-admin/roadmap/sector/", "/django-admin/roadmap/sector/education/change/",
])
def test_register_admin_pages_are_read_only(superuser_client, url):
    response = superuser_client.get(url)
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()


def test_register_rows_cannot_be_added_in_admin(superuser_client):
    assert superuser_client.get("/django-admin/regions/municipality/add/").status_code == 403
