"""The talent API through the test client: every write endpoint × every role, scoping of reads, 409/422."""

import datetime as dt

import pytest

from chiiki.core.fiscal import current_fiscal_year
from chiiki.talent.models import Status, TalentProfile, TalentRequest

from .conftest import request_data

ROLES = ["public", "admin", "tokyo", "hachioji", "aogashima", "sapporo", "advisor", "company"]


def _client(client_for, users, role):
    return client_for(None if role == "public" else users[role])


def _status_for(role, allowed, public=401):
    if role == "public":
        return public
    return None if role in allowed else 403


@pytest.mark.parametrize("role", ROLES)
def test_create_request_by_role(users, client_for, vocabulary, role):
    body = request_data() | {"municipality": "132012"}
    response = _client(client_for, users, role).post("/api/v1/talent/requests", body, content_type="application/json")
    expected = _status_for(role, {"admin", "tokyo", "hachioji"})
    if expected is None:
        assert response.status_code == 201, response.content
        data = response.json()
        assert data["status"] == "draft" and data["required"] == ["CAP-HLT-07"] and data["version"] == 1
        assert "submit" in data["transitions"]
    else:
        assert response.status_code == expected
        assert not TalentRequest.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_create_profile_by_role(users, client_for, vocabulary, role):
    body = {"display_name": "API 花子", "kind": "ict_talent", "skills": [{"capability": "CAP-EDU-02", "level": 3}],
            "email": "hanako@example.jp"}
    response = _client(client_for, users, role).post("/api/v1/talent/profiles", body, content_type="application/json")
    expected = _status_for(role, {"admin", "advisor", "company"})
    if expected is None:
        assert response.status_code == 201, response.content
        assert response.json()["contact"] == {"email": "hanako@example.jp", "phone": ""}
    else:
        assert response.status_code == expected and not TalentProfile.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_update_and_delete_profile_by_role(users, client_for, advisor_profile, role):
    client = _client(client_for, users, role)
    body = {"display_name": "見守 一郎（改）", "kind": "regional_it_advisor", "version": 1,
            "skills": [{"capability": "CAP-HLT-07", "level": 3}]}
    response = client.put(f"/api/v1/talent/profiles/{advisor_profile.pk}", body, content_type="application/json")
    expected = _status_for(role, {"admin", "advisor"})
    assert response.status_code == (expected or 200)
    version = 2 if expected is None else 1
    response = client.delete(f"/api/v1/talent/profiles/{advisor_profile.pk}?version={version}")
    assert response.status_code == (expected or 204)
    assert TalentProfile.objects.filter(pk=advisor_profile.pk).exists() is (expected is not None)


# transition → (start state, roles allowed on 八王子市's request; the advisor is the asked talent)
TRANSITIONS = {
    "submit": (Status.DRAFT, {"admin", "tokyo", "hachioji"}),
    "receive": (Status.SUBMITTED, {"admin"}),
    "propose": (Status.RECEIVED, {"admin"}),
    "ask": (Status.RECEIVED, {"admin"}),
    "accept": (Status.ASKED, {"admin", "advisor"}),
    "decline": (Status.ASKED, {"admin", "advisor"}),
    "report": (Status.DISPATCHING, {"admin", "advisor"}),
    "rate": (Status.REPORTED, {"admin", "tokyo", "hachioji"}),
    "complete": (Status.RATED, {"admin"}),
    "withdraw": (Status.SUBMITTED, {"admin", "tokyo", "hachioji"}),
    "reject": (Status.SUBMITTED, {"admin"}),
}
# Roles that may not even see the request get 404 (scoping), the others 403.
SEES_HACHIOJI = {"admin", "tokyo", "hachioji"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(TRANSITIONS))
def test_transition_endpoint_by_role(users, client_for, rounds, hachioji_request, advisor_profile, name, role):
    start, allowed = TRANSITIONS[name]
    talent = None if name == "ask" else advisor_profile
    TalentRequest.objects.filter(pk=hachioji_request.pk).update(status=start, talent=talent)
    body = {"version": 1, "reason": "理由", "rating": 4, "talent": advisor_profile.pk,
            "report": {"done": "研修", "handed_over_to": "担当者へ手順書", "gained": ["CAP-HLT-07"]}}
    response = _client(client_for, users, role).post(
        f"/api/v1/talent/requests/{hachioji_request.pk}/transitions/{name}", body, content_type="application/json")
    sees = role in SEES_HACHIOJI or (role == "advisor" and talent is not None and start != Status.DRAFT)
    if role in allowed:
        assert response.status_code == 200, response.content
        assert response.json()["status"] == TRANSITIONS_TARGET[name]
    elif role == "public":
        assert response.status_code == 401
    else:
        assert response.status_code == (403 if sees else 404)
        hachioji_request.refresh_from_db()
        assert hachioji_request.status == start


TRANSITIONS_TARGET = {"submit": "submitted", "receive": "received", "propose": "proposed", "ask": "asked",
                      "accept": "accepted", "decline": "declined", "report": "reported", "rate": "rated",
                      "complete": "completed", "withdraw": "withdrawn", "reject": "rejected"}


def test_stale_version_is_409_and_bad_values_422(users, client_for, rounds, hachioji_request):
    client = client_for(users["hachioji"])
    url = f"/api/v1/talent/requests/{hachioji_request.pk}/transitions/submit"
    assert client.post(url, {"version": 7}, content_type="application/json").status_code == 409
    assert client.post(url, {}, content_type="application/json").status_code == 422
    bad = client.post("/api/v1/talent/requests", request_data(vision="") | {"municipality": "132012"},
                      content_type="application/json")
    assert bad.status_code == 422 and "目指す姿" in bad.json()["detail"]["vision"]
    wrong = client_for(users["admin"]).post(f"/api/v1/talent/requests/{hachioji_request.pk}/transitions/fly",
                                            {"version": 1}, content_type="application/json")
    assert wrong.status_code == 422


@pytest.mark.parametrize("role", ROLES)
def test_visit_endpoint_by_role(users, client_for, hachioji_request, advisor_profile, role, clock):
    TalentRequest.objects.filter(pk=hachioji_request.pk).update(status=Status.ACCEPTED, talent=advisor_profile)
    body = {"version": 1, "date": dt.date(current_fiscal_year(), 7, 1).isoformat(), "hours": 3, "mode": "onsite",
            "participants": 4}
    response = _client(client_for, users, role).post(f"/api/v1/talent/requests/{hachioji_request.pk}/visits", body,
                                                     content_type="application/json")
    if role in ("admin", "advisor"):
        assert response.status_code == 201 and response.json()["status"] == "dispatching"
    elif role == "public":
        assert response.status_code == 401
    else:
        assert response.status_code == (403 if role in SEES_HACHIOJI else 404)


@pytest.mark.parametrize("role,visible", [
    ("public", set()), ("admin", {"132012", "011002"}), ("tokyo", {"132012"}), ("hachioji", {"132012"}),
    ("sapporo", {"011002"}), ("aogashima", set()), ("advisor", {"011002"}), ("company", set()),
])
def test_requests_are_scoped_by_role(users, client_for, vocabulary, register, advisor_profile, role, visible):
    from chiiki import access
    from chiiki.talent import actions

    actions.create_request(access.SYSTEM, register["municipalities"]["132012"], request_data())
    asked = actions.create_request(access.SYSTEM, register["municipalities"]["011002"], request_data())
    TalentRequest.objects.filter(pk=asked.pk).update(status=Status.ASKED, talent=advisor_profile)
    body = _client(client_for, users, role).get("/api/v1/talent/requests").json()
    assert {item["municipality"] for item in body["items"]} == visible
    assert body["count"] == len(visible)


def test_capabilities_api_lists_and_suggests(client, vocabulary):
    every = client.get("/api/v1/capabilities").json()
    assert len(every) == 78 and every[0]["id"] == "CAP-EDU-01"
    found = client.get("/api/v1/capabilities", {"q": "見守りセンサーを入れられる人"}).json()
    assert found[0]["id"] == "CAP-HLT-07"
    assert [c["id"] for c in client.get("/api/v1/capabilities", {"q": "補助金の申請書が書ける人"}).json()][:1] == [
        "CAP-COM-03"]


def test_profiles_api_has_public_fields_only(client, advisor_profile):
    body = client.get("/api/v1/talent/profiles").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["display_name"] == "見守 一郎" and "email" not in item and "phone" not in item
    assert client.get(f"/api/v1/talent/profiles/{advisor_profile.pk}").json()["contact"] is None


def test_control_characters_are_refused_and_filters_never_fail(users, client_for, vocabulary, advisor_profile):
    client = client_for(users["hachioji"])
    bad = client.post("/api/v1/talent/requests", request_data(vision="見守り\x00") | {"municipality": "132012"},
                      content_type="application/json")
    assert bad.status_code == 422 and "制御文字（U+0000 NUL）" in bad.json()["detail"]["vision"]
    odd_ids = client.post("/api/v1/talent/requests", request_data(required=["CAP-HLT-07\x00"], sector="health\x00")
                          | {"municipality": "132012"}, content_type="application/json")
    assert odd_ids.status_code == 422 and set(odd_ids.json()["detail"]) == {"sector", "required"}
    # NUL in a filter is refused by name before any lookup (chiiki.core.middleware), never a PostgreSQL 500.
    profiles = client.get("/api/v1/talent/profiles?q=%00&capability=%00&prefecture=%00")
    assert profiles.status_code == 422 and set(profiles.json()["detail"]) == {"q", "capability", "prefecture"}
    assert client.get("/api/v1/talent/requests?status=%00&capability=%00&municipality=%00").status_code == 422
    assert client.get("/talent/profiles/?q=%00").status_code == 400


def test_requests_filter_by_fiscal_year_in_any_notation(users, client_for, hachioji_request):
    client = client_for(users["admin"])
    year = hachioji_request.fiscal_year
    assert client.get("/api/v1/talent/requests", {"fiscal_year": str(year)}).json()["count"] == 1
    assert client.get("/api/v1/talent/requests", {"fiscal_year": f"R{year - 2018}"}).json()["count"] == 1
    assert client.get("/api/v1/talent/requests", {"fiscal_year": str(year - 1)}).json()["count"] == 0
    assert client.get("/api/v1/talent/requests", {"fiscal_year": "昔"}).status_code == 422
