"""Diffusion on a hand-built case: the shares, differences, group sizes and small-group warnings are worked
out below by hand (and once more by brute force over the seeded rows), then read through the API and pages."""

import pytest

from chiiki.promotion import actions

from .conftest import bearer, code_of, seed, send

pytestmark = pytest.mark.django_db

SECTORS = ["education", "health"]


@pytest.fixture
def world(register, make_municipality):
    """R (model region 2024: education + health) with five neighbours; R2 (model region 2025: education) with one.

    Strata: towns under 10,000 people, and one city of 10,000–50,000 (N5) — the comparison group takes both.
    """
    town = dict(kind="town", population=8_000)
    places = {
        "R": make_municipality("32901", "見本町", **town),
        "N1": make_municipality("32902", "隣一町", **town), "N2": make_municipality("32903", "隣二町", **town),
        "N3": make_municipality("32904", "隣三町", **town), "N4": make_municipality("32905", "隣四町", **town),
        "N5": make_municipality("32906", "隣五市", kind="city", population=30_000),
        "C1": make_municipality("32911", "比一町", **town), "C2": make_municipality("32912", "比二町", **town),
        "C3": make_municipality("32913", "比三町", **town), "C4": make_municipality("32914", "比四町", **town),
        "C5": make_municipality("32915", "比五町", **town), "C6": make_municipality("32916", "比六町", **town),
        "C7": make_municipality("32917", "比七市", kind="city", population=20_000),
        "V1": make_municipality("32921", "別村", kind="village", population=3_000),  # other kind: never compared
        "BIG": make_municipality("32922", "大市", kind="city", population=120_000),  # other size
        "R2": make_municipality("32931", "見本二町", **town),
        "Y": make_municipality("32932", "隣接町", **town),  # neighbour of R2: never in a comparison group
    }
    for n in ("N1", "N2", "N3", "N4", "N5"):
        places["R"].neighbours.add(places[n])
    places["R2"].neighbours.add(places["Y"])
    rows = [
        ("N1", "education", 2024, "implemented"), ("N2", "health", 2025, "self_sustaining"),
        ("N3", "education", 2025, "piloting"), ("N5", "education", 2023, "implemented"),
        ("N4", "tourism", 2024, "implemented"),  # not a designated sector
        ("C1", "education", 2025, "implemented"), ("C7", "health", 2026, "implemented"),
        ("Y", "education", 2024, "implemented"), ("V1", "education", 2024, "implemented"),
        ("BIG", "health", 2024, "implemented"),
    ]
    seed([(places[k].code, s, y, st) for k, s, y, st in rows])
    from chiiki.access import SYSTEM

    actions.designate(SYSTEM, places["R"], fiscal_year=2024, sectors=SECTORS, story="教育と医療のパッケージ")
    actions.designate(SYSTEM, places["R2"], fiscal_year=2025, sectors=["education"], story="教育")
    return places, rows


def brute_share(rows, places, members, sectors, year):
    """Share of member × sector cells whose latest record up to `year` is 実装済 or 自走."""
    latest = {}
    for key, sector, y, stage in sorted(rows, key=lambda r: r[2]):
        if y <= year:
            latest[(key, sector)] = stage
    cells = [(m, s) for m in members for s in sectors]
    done = sum(1 for cell in cells if latest.get(cell) in ("implemented", "self_sustaining"))
    return round(done / len(cells) * 100, 1)


def test_region_diffusion_against_the_comparison_group(client, world):
    places, rows = world
    body = client.get(f"/api/v1/model-regions/{places['R'].code}/diffusion").json()
    neighbours = ["N1", "N2", "N3", "N4", "N5"]
    comparison = ["C1", "C2", "C3", "C4", "C5", "C6", "C7"]
    assert body["neighbour_count"] == 5 and body["comparison_count"] == 7
    assert sorted(body["comparison"]) == sorted(places[k].code for k in comparison)
    assert body["too_small"] is False and body["warning"] == ""
    by_year = {r["fiscal_year"]: r for r in body["years"]}
    assert sorted(by_year) == [2024, 2025, 2026]
    # By hand: neighbours 2/10, 3/10, 3/10; comparison 0/14, 1/14, 2/14.
    assert [by_year[y]["neighbour_share"] for y in (2024, 2025, 2026)] == [20.0, 30.0, 30.0]
    assert [by_year[y]["comparison_share"] for y in (2024, 2025, 2026)] == [0.0, 7.1, 14.3]
    assert [by_year[y]["difference"] for y in (2024, 2025, 2026)] == [20.0, 22.9, 15.7]
    for year in (2024, 2025, 2026):
        n = brute_share(rows, places, neighbours, SECTORS, year)
        c = brute_share(rows, places, comparison, SECTORS, year)
        assert by_year[year]["neighbour_share"] == n and by_year[year]["comparison_share"] == c
        assert by_year[year]["difference"] == round(n - c, 1)
    changes = {n["code"]: n["change"] for n in body["neighbours"]}
    assert changes == {places["N1"].code: 1, places["N2"].code: 1, places["N3"].code: 0, places["N4"].code: 0,
                       places["N5"].code: 0}  # N5 had education before the designation


def test_small_groups_are_flagged(client, world):
    places, _ = world
    body = client.get(f"/api/v1/model-regions/{places['R2'].code}/diffusion").json()
    assert body["neighbour_count"] == 1 and body["too_small"] is True
    assert "5団体未満" in body["warning"]
    page = client.get(f"/promotion/model-regions/{places['R2'].code}/").content.decode()
    assert 'data-testid="too-small"' in page


def test_national_diffusion_pools_the_regions_designated_so_far(client, world):
    body = client.get("/api/v1/model-regions/diffusion").json()
    by_year = {r["fiscal_year"]: r for r in body["years"]}
    # 2024: only R. 2025 on: R's 10 neighbour cells + (Y, education); comparison cells stay R's 14 (R2's are a subset).
    assert (by_year[2024]["neighbour_cells"], by_year[2024]["comparison_cells"]) == (10, 14)
    assert (by_year[2025]["neighbour_cells"], by_year[2025]["comparison_cells"]) == (11, 14)
    assert [by_year[y]["neighbour_share"] for y in (2024, 2025, 2026)] == [20.0, round(4 / 11 * 100, 1), 36.4]
    assert [by_year[y]["difference"] for y in (2024, 2025, 2026)] == [20.0, 29.3, 22.1]
    assert body["neighbour_count"] == 6 and body["comparison_count"] == 7 and body["regions"] == 2


def test_a_later_progress_write_changes_the_answer(client, world, users):
    places, _ = world
    url = f"/api/v1/model-regions/{places['R'].code}/diffusion"
    before = {r["fiscal_year"]: r for r in client.get(url).json()["years"]}[2026]
    response = send(client, "put", f"/api/v1/progress/{places['N4'].code}/health/2026",
                    {"stage": "implemented", "version": 0}, **bearer(users["admin"]))
    assert response.status_code == 200
    after = {r["fiscal_year"]: r for r in client.get(url).json()["years"]}[2026]
    assert (before["neighbour_implemented"], after["neighbour_implemented"]) == (3, 4)


def test_pages_show_the_chart_table_and_map(client, world):
    places, _ = world
    page = client.get(f"/promotion/model-regions/{places['R'].code}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="promotion-diffusion-chart"' in html and 'id="promotion-map-data"' in html
    assert "隣一町" in html and "比七市" in html and "22.9" in html
    index = client.get("/promotion/").content.decode()
    assert "見本町" in index and "見本二町" in index and 'data-testid="model-regions"' in index
    csv = client.get(f"/promotion/model-regions/{places['R'].code}/?format=csv").content.decode("utf-8-sig")
    assert "2025,30.0,3,10,7.1,1,14,22.9" in csv.replace("\r", "")


def test_unknown_model_region_is_404(client, world, register):
    assert client.get("/api/v1/model-regions/132012/diffusion").status_code == 404
    assert client.get("/promotion/model-regions/132012/").status_code == 404
    assert client.get("/api/v1/model-regions/999999/diffusion").status_code == 404


def test_designation_by_role_and_validation(client, users, world, register):
    body = {"code": "132012", "fiscal_year": "令和8年度", "sectors": ["education", "work"], "story": "テレワーク"}
    for role in ("tokyo", "hachioji", "company"):
        assert send(client, "post", "/api/v1/model-regions", body, **bearer(users[role])).status_code == 403
    created = send(client, "post", "/api/v1/model-regions", body, **bearer(users["admin"]))
    assert created.status_code == 201, created.content
    assert created.json()["fiscal_year"] == 2026 and created.json()["sectors"] == ["education", "work"]
    again = send(client, "post", "/api/v1/model-regions", body, **bearer(users["admin"]))
    assert again.status_code == 422 and "既に指定" in again.json()["detail"]["fiscal_year"]
    bad = send(client, "post", "/api/v1/model-regions", {**body, "sectors": ["nope"], "story": ""},
               **bearer(users["admin"]))
    assert bad.status_code == 422 and set(bad.json()["detail"]) == {"sectors", "story"}
    listed = client.get("/api/v1/model-regions?fiscal_year=2026").json()
    assert [i["code"] for i in listed["items"]] == ["132012"]
    update = {"sectors": ["work"], "story": "更新", "version": 1}
    assert send(client, "put", "/api/v1/model-regions/132012/2026", update,
                **bearer(users["admin"])).status_code == 200
    assert send(client, "put", "/api/v1/model-regions/132012/2026", update,
                **bearer(users["admin"])).status_code == 409
    assert client.delete("/api/v1/model-regions/132012/2026?version=2", **bearer(users["admin"])).status_code == 204
    assert client.get("/api/v1/model-regions?fiscal_year=2026").json()["count"] == 0


def test_designate_form(client_for, users, world):
    admin = client_for(users["admin"])
    assert client_for(users["tokyo"]).get("/promotion/manage/designate").status_code == 403
    response = admin.post("/promotion/manage/designate", {"code": code_of("32911"), "fiscal_year": "2026",
                                                           "sectors": ["education"], "story": "比一町の取組"})
    assert response.status_code == 302
    assert "比一町の取組" in admin.get(response["Location"]).content.decode()
    bad = admin.post("/promotion/manage/designate", {"code": "12", "fiscal_year": "2026", "story": ""})
    assert bad.status_code == 422 and "団体コードが正しくないか" in bad.content.decode()


def test_national_diffusion_follows_a_new_designation(client, world):
    """The designations are cached apart from progress: a designation (a promotion write) still shows at once."""
    from chiiki.access import SYSTEM

    places, _ = world
    assert client.get("/api/v1/model-regions/diffusion").json()["regions"] == 2
    actions.designate(SYSTEM, places["C1"], fiscal_year=2026, sectors=["health"], story="医療")
    body = client.get("/api/v1/model-regions/diffusion").json()
    assert body["regions"] == 3
    by_year = {r["fiscal_year"]: r for r in body["years"]}
    # C1 is a model region now: out of the comparison group (6 left, 12 cells of R's two sectors); it has no
    # neighbours, so the neighbour pool is unchanged.
    assert body["comparison_count"] == 6 and by_year[2026]["comparison_cells"] == 12
    assert body["neighbour_count"] == 6


def test_a_new_fiscal_year_extends_the_diffusion_without_a_write(client, world, monkeypatch):
    """On 1 April the 年度 run one further: the diffusion kept for the data as they are must not answer for it."""
    import datetime as dt

    from django.utils import timezone

    places, _ = world
    region_url = f"/api/v1/model-regions/{places['R'].code}/diffusion"
    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2030, 3, 31))
    assert max(r["fiscal_year"] for r in client.get(region_url).json()["years"]) == 2029
    assert max(r["fiscal_year"] for r in client.get("/api/v1/model-regions/diffusion").json()["years"]) == 2029
    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2030, 4, 1))
    assert max(r["fiscal_year"] for r in client.get(region_url).json()["years"]) == 2030
    assert max(r["fiscal_year"] for r in client.get("/api/v1/model-regions/diffusion").json()["years"]) == 2030
