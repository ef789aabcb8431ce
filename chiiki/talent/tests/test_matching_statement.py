"""What the matching statement relies on beyond the ranking itself (tests/test_matching_ranking.py pins that): the
held items coming back as bit masks (more than one mask column for long item lists), the request's items read once
per page, and JIT compilation kept off for the statement on PostgreSQL (docs/decisions/0016)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chiiki import access
from chiiki.talent import actions, matching
from chiiki.talent.models import Capability, Status, TalentRequest

from .conftest import profile_data, request_data


def _profile(name, caps):
    return actions.create_profile(access.SYSTEM, profile_data(
        display_name=name, skills=[{"capability": c, "level": 2} for c in caps]))


def test_held_items_past_the_first_mask_are_reported(users, client_for, vocabulary, register):
    """78 items (40 required, 38 desired) need two mask columns of 60 bits: items on both sides of the boundary,
    and the last one, come back as covered, in the vocabulary's order, and the missing ones as missing."""
    items = list(Capability.objects.order_by("order", "id").values_list("pk", "label"))
    assert len(items) > 61
    required, desired = items[:40], items[40:]
    request_ = actions.create_request(users["hachioji"], register["municipalities"]["132012"], request_data(
        required=[pk for pk, _ in required], desired=[pk for pk, _ in desired]))
    # Positions 0, 39 (required) and 59, 60, 61, last (desired) of the statement's item order.
    held = [items[0][0], items[39][0], items[59][0], items[60][0], items[61][0], items[-1][0]]
    profile = _profile("境目", held)
    body = client_for(users["admin"]).get(f"/api/v1/talent/requests/{request_.pk}/candidates").json()
    assert body["ranked"] == []
    [candidate] = body["partial"]
    assert candidate["profile_id"] == profile.pk
    assert candidate["required_covered"] == [items[0][1], items[39][1]]
    assert candidate["required_missing"] == [label for _, label in required[1:39]]
    assert candidate["desired_covered"] == [items[59][1], items[60][1], items[61][1], items[-1][1]]
    assert candidate["reasons"][:2] == [
        f"必須 2/40（不足: {'・'.join(label for _, label in required[1:39])}）", "望ましい 4/38"]


def test_request_page_reads_its_items_once(users, client_for, hachioji_request):
    """The page lists the required and desired items and matching scores with them: one statement for both."""
    _profile("候補", ["CAP-HLT-07", "CAP-COM-03"])
    TalentRequest.objects.filter(pk=hachioji_request.pk).update(status=Status.RECEIVED)
    client = client_for(users["admin"])
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(f"/talent/requests/{hachioji_request.pk}/")
    assert page.status_code == 200 and b'id="candidates-title"' in page.content
    text = page.content.decode()
    labels = dict(Capability.objects.values_list("pk", "label"))
    assert f"<dt>必須のできること</dt><dd>{labels['CAP-HLT-07']}</dd>" in text
    assert f"<dt>あれば望ましいできること</dt><dd>{labels['CAP-COM-03']}</dd>" in text
    item_reads = [q["sql"] for q in ctx.captured_queries if "talent_talentrequest_required" in q["sql"]]
    assert len(item_reads) == 1, item_reads
    assert "talent_talentrequest_desired" in item_reads[0]
    # No separate read of the shown candidates' items either: they come with the shortlist.
    assert not [q for q in ctx.captured_queries if q["sql"].lstrip().startswith("SELECT")
                and "talent_profilecapability" in q["sql"] and "WITH" not in q["sql"]]


@pytest.mark.django_db(transaction=True)
def test_statement_runs_without_jit_and_leaves_the_setting_alone(users, client_for, hachioji_request):
    if connection.vendor != "postgresql":
        pytest.skip("JIT compilation is PostgreSQL's")
    _profile("候補", ["CAP-HLT-07"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit')")
        [(before,)] = cursor.fetchall()
    with CaptureQueriesContext(connection) as ctx:
        body = client_for(users["admin"]).get(f"/api/v1/talent/requests/{hachioji_request.pk}/candidates").json()
    assert [c["display_name"] for c in body["ranked"]] == ["候補"]
    [statement] = [q["sql"] for q in ctx.captured_queries if "WITH cov" in q["sql"]]
    assert statement.startswith(matching.JIT_OFF)
    # The setting holds inside the statement's query string and is gone after it (autocommit here).
    assert matching._rows("SELECT current_setting('jit')", []) == [("off",)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit')")
        assert cursor.fetchall() == [(before,)]


def test_neighbouring_prefectures_follow_the_municipal_neighbours(register):
    """The plain-SQL reading: prefectures of the municipalities touching one of the prefecture's, itself excluded,
    in both directions of the symmetric relation."""
    m = register["municipalities"]
    assert matching.neighbouring_prefectures("13") == set()
    m["131016"].neighbours.add(m["322016"])  # 千代田区 (東京都) and 松江市 (島根県), pretended to touch
    m["131016"].neighbours.add(m["132012"])  # inside 東京都: not a neighbouring prefecture
    assert matching.neighbouring_prefectures("13") == {"32"}
    assert matching.neighbouring_prefectures("32") == {"13"}
    assert matching.neighbouring_prefectures("01") == set()  # 札幌市 and its neighbour are both 北海道
