"""A case written in the library shows on the next anonymous request of the other apps' cached pages that show
「似た事例」: the municipality page (progress), the navigator result (programs) and the plan page (funding)."""

import pytest

from .test_cases import make

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/progress/municipalities/132012/",
                                 "/programs/navigator/?municipality=132012&sector=disaster"])
def test_a_new_case_shows_on_the_next_anonymous_request(client, register, url):
    make("012025", "函館の防災事例", sectors=["disaster"])
    assert "函館の防災事例" in client.get(url).content.decode()
    assert "松江の防災事例" not in client.get(url).content.decode()  # served from the page cache
    make("322016", "松江の防災事例", sectors=["disaster"])
    assert "松江の防災事例" in client.get(url).content.decode()


def test_signed_in_pages_reuse_the_ranking_until_a_case_changes(client_for, users, register):
    """Signed-in pages never use the page cache; the 「似た事例」 ranking is kept per data version instead."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = "/progress/municipalities/132012/"
    make("012025", "函館の防災事例", sectors=["disaster"])
    officer = client_for(users["hachioji"])
    assert "函館の防災事例" in officer.get(url).content.decode()
    with CaptureQueriesContext(connection) as queries:
        assert "函館の防災事例" in officer.get(url).content.decode()
    assert not [q for q in queries.captured_queries if "cases_case" in q["sql"]]
    make("322016", "松江の防災事例", sectors=["disaster"])
    assert "松江の防災事例" in officer.get(url).content.decode()
