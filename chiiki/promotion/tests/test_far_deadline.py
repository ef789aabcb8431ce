"""A deadline is a date a person can meet: one typed as 9999-12-31 (a slip for 2026-12-31, or a probe) must be
refused with a Japanese message, not stored — stored, it broke the public deadline calendar for everyone (the
all-day event's exclusive DTEND is the next day, which does not exist: a 500)."""

import pytest

from chiiki.promotion.models import Challenge

from .conftest import bearer, send
from .test_challenge_edit_withdraw import form_values
from .test_challenges import market  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def test_a_challenge_deadline_beyond_any_calendar_is_refused_and_the_feed_stays_up(client, users, register):
    body = {"sector": "disaster", "title": "島の防災", "problem": "p", "requirements": "r", "deadline": "9999-12-31"}
    response = send(client, "post", "/api/v1/municipalities/132012/challenges", body, **bearer(users["hachioji"]))
    assert response.status_code == 422, response.content
    assert response.json()["detail"]["deadline"] == "提案の締切は2000〜2100年の日付を入力してください"
    assert not Challenge.objects.filter(title="島の防災").exists()
    assert client.get("/promotion/challenges/deadlines.ics").status_code == 200


def test_a_correction_cannot_move_the_deadline_out_of_the_calendar_either(client_for, users, market):  # noqa: F811
    # A correction may keep a deadline already past (no "past" check on edits), but not one no calendar holds.
    challenge = Challenge.objects.get(pk=market["challenge"]["id"])
    officer = client_for(users["hachioji"])
    for far in ("9999-12-31", "0001-01-01"):
        refused = officer.post(f"/promotion/challenges/{challenge.pk}/edit", form_values(challenge, deadline=far))
        assert refused.status_code == 422, far
        assert "提案の締切は2000〜2100年の日付を入力してください" in refused.content.decode()
    assert Challenge.objects.get(pk=challenge.pk).deadline == challenge.deadline
