"""An event's 定員 is refused in words about people, not yen (web and API alike)."""

import pytest

from chiiki.promotion.models import Event

from .conftest import bearer, send
from .test_events import event_body

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("capacity", [-1, 200_000_000_000])
def test_a_capacity_out_of_range_is_refused_in_words_about_people(client, client_for, users, capacity):
    response = send(client, "post", "/api/v1/events", event_body(capacity=capacity), **bearer(users["hachioji"]))
    assert response.status_code == 422
    api_message = response.json()["detail"]["capacity"]
    page = client_for(users["hachioji"]).post("/promotion/events/new", {
        **event_body(sectors="agriculture"), "capacity": str(capacity)})
    html = page.content.decode()
    assert page.status_code == 422 and f'value="{capacity}"' in html and api_message in html
    assert "円" not in api_message and "人" in api_message, api_message
    assert not Event.objects.exists()


def test_a_capacity_that_is_not_a_number_is_refused_in_words_about_people(client_for, users):
    page = client_for(users["hachioji"]).post("/promotion/events/new", {
        **event_body(sectors="agriculture"), "capacity": "十人"})
    html = page.content.decode()
    assert page.status_code == 422 and 'value="十人"' in html
    assert "定員は円単位の整数" not in html
    assert "定員は1〜1,000,000人の整数で入力してください（空欄は制限なし）" in html
    assert not Event.objects.exists()


@pytest.mark.parametrize(("typed", "stored"), [("１，０００", 1000), ("1,000,000", 1_000_000), ("", None)])
def test_a_capacity_in_full_width_digits_or_empty_is_kept(client_for, users, typed, stored):
    page = client_for(users["hachioji"]).post("/promotion/events/new", {
        **event_body(sectors="agriculture"), "capacity": typed})
    assert page.status_code == 302, page.content.decode()[:2000]
    assert Event.objects.get().capacity == stored


def test_a_capacity_of_zero_is_still_refused_as_before(client_for, users):
    page = client_for(users["hachioji"]).post("/promotion/events/new", {
        **event_body(sectors="agriculture"), "capacity": "0"})
    assert page.status_code == 422 and "定員は1人以上にするか、空欄（制限なし）にしてください" in page.content.decode()
    assert not Event.objects.exists()


def test_a_capacity_of_five_thousand_digits_is_refused_not_a_500(client, client_for, users):
    web = client_for(users["hachioji"])
    web.raise_request_exception = False
    page = web.post("/promotion/events/new", {**event_body(sectors="agriculture"), "capacity": "9" * 5000})
    assert page.status_code == 422, page.status_code
    assert "定員は1,000,000人以下にするか、空欄（制限なし）にしてください" in page.content.decode()
    api = send(client, "post", "/api/v1/events", event_body(capacity=int("9" * 4000)), **bearer(users["hachioji"]))
    assert api.status_code == 422, api.status_code
    assert not Event.objects.exists()
