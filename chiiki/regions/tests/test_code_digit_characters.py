"""A 団体コード typed with digit characters that are not decimal digits (superscripts ²³, circled ①②, other scripts'
numerals: str.isdigit() is true for them, int() refuses them) is read or refused in Japanese, never a 500."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

TYPED = ["①③②⓪①", "²³²⁰¹", "፩፩፩፩፩"]


@pytest.mark.parametrize("typed", TYPED)
@pytest.mark.parametrize("url, params", [
    ("/regions/", lambda c: {"q": c}),
    ("/api/v1/municipalities", lambda c: {"q": c}),
    ("/regions/municipalities/{c}/", lambda c: {}),
    ("/api/v1/municipalities/{c}", lambda c: {}),
    ("/programs/navigator/", lambda c: {"municipality": c}),
    ("/progress/records/", lambda c: {"municipality": c}),
    ("/funding/flows/", lambda c: {"municipality": c}),
    ("/promotion/events/", lambda c: {"municipality": c}),
])
def test_a_code_of_non_decimal_digits_is_never_a_500(register, typed, url, params):
    client = Client(raise_request_exception=False)
    response = client.get(url.format(c=typed), params(typed))
    assert response.status_code in (200, 301, 302, 404), (url, typed, response.status_code)  # was 500
