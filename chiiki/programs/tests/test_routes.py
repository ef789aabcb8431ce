"""Every programs page and endpoint for every role: public reads, admin-only management, no server errors."""

import pytest

PUBLIC = [
    "/programs/", "/programs/?q=防災&sector=disaster&sort=deadline", "/programs/?eligible_for=132012",
    "/programs/?eligible_for=bogus", "/programs/p/MIC-ICT-ADVISOR/", "/programs/navigator/",
    "/programs/navigator/?municipality=132012&sector=disaster", "/programs/deadlines.ics",
    "/api/v1/programs", "/api/v1/programs/MIC-ICT-ADVISOR",
    "/api/v1/programs/navigator?municipality=132012&sector=disaster",
]
ADMIN_ONLY = ["/programs/manage/", "/programs/manage/export?format=csv", "/programs/manage/new",
              "/programs/p/MIC-ICT-ADVISOR/edit"]


@pytest.mark.parametrize("role", [None, "admin", "tokyo", "hachioji", "advisor", "company"])
def test_every_role(client_for, catalog, users, role):
    client = client_for(users[role] if role else None)
    for url in PUBLIC:
        assert client.get(url).status_code == 200, url
    for url in ADMIN_ONLY:
        status = client.get(url).status_code
        expected = 200 if role == "admin" else 404 if role is None else 403
        assert status == expected, (url, status)
    saved = client.get("/programs/saved/").status_code
    assert saved == (302 if role is None else 200)


def test_openapi_documents_the_programs_endpoints(client, db):
    spec = client.get("/api/v1/openapi.json").json()
    paths = list(spec["paths"])
    assert "/api/v1/programs" in paths
    assert paths.index("/api/v1/programs/navigator") < paths.index("/api/v1/programs/{public_id}")
    params = {p["name"] for p in spec["paths"]["/api/v1/programs"]["get"]["parameters"]}
    assert {"q", "sector", "kind", "support_type", "provider", "status", "eligible_for", "sort", "page",
            "page_size"} <= params
