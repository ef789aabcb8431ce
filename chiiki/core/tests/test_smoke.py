import pytest


@pytest.mark.django_db
def test_healthz_checks_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.browser
def test_home_renders_in_chromium(page, screenshot):
    page.goto("/")
    assert "地域IoT実装推進プラットフォーム" in page.title()
    screenshot(page, "home")
