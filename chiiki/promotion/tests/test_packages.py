"""Package advice on a hand-built case (support, confidence, the ≥3 rule, who counts as similar) and the
neighbours' uptake, through the API and the page."""

import random
from collections import Counter
from itertools import combinations

import pytest

from chiiki.promotion import packages

from .conftest import seed

pytestmark = pytest.mark.django_db

# Hokkaido towns of under 10,000 people without 過疎/離島/中山間 flags: similar to M.
ITEMSETS = {
    "T1": {"education", "health", "tourism"},
    "T2": {"education", "health", "tourism"},
    "T3": {"education", "health"},
    "T4": {"education", "tourism"},
    "T5": {"health"},
}


@pytest.fixture
def towns(register, make_municipality):
    town = dict(kind="town", population=5_000, prefecture="01")
    places = {key: make_municipality(f"01{900 + i}", f"{key}町", **town) for i, key in enumerate(ITEMSETS)}
    places["M"] = make_municipality("01950", "対象町", **town)
    # Not similar: an island town, a village, a town in another region, a larger town.
    places["ISLAND"] = make_municipality("01951", "島町", remote_island=True, **town)
    places["VILLAGE"] = make_municipality("01952", "村", kind="village", population=5_000, prefecture="01")
    places["SHIMANE"] = make_municipality("32953", "島根の町", kind="town", population=5_000, prefecture="32")
    places["LARGE"] = make_municipality("01954", "大きな町", kind="town", population=20_000, prefecture="01")
    rows = [(places[key].code, sector, 2025, "implemented") for key, sectors in ITEMSETS.items() for sector in sectors]
    rows += [(places[key].code, sector, 2025, "self_sustaining") for key in ("ISLAND", "VILLAGE", "SHIMANE", "LARGE")
             for sector in ("health", "tourism")]
    rows += [(places["M"].code, "education", 2025, "implemented")]
    seed(rows)
    return places


def brute_force(itemsets, minimum=3):
    """Every 2–3 sector combination with its supporters and the confidence of each sector given the others."""
    sectors = sorted(set().union(*itemsets.values()))
    result = {}
    for size in (2, 3):
        for combo in combinations(sectors, size):
            who = sorted(k for k, s in itemsets.items() if set(combo) <= s)
            if len(who) < minimum:
                continue
            confidence = {}
            for then in combo:
                rest = set(combo) - {then}
                base = sum(1 for s in itemsets.values() if rest <= s)
                confidence[then] = round(len(who) / base * 100, 1)
            result[combo] = (who, confidence)
    return result


def test_support_confidence_and_names(client, towns):
    body = client.get(f"/api/v1/municipalities/{towns['M'].code}/packages?fiscal_year=2026").json()
    assert body["similar_count"] == 5  # T1–T5; the island town, the village, the other region, the larger town out
    assert body["implemented"] == ["education"]
    got = {tuple(c["sectors"]): c for c in body["combinations"]}
    expected = brute_force(ITEMSETS)
    # By hand: education+health (T1–T3) and education+tourism (T1, T2, T4); health+tourism has only 2.
    assert set(got) == set(expected) == {("education", "health"), ("education", "tourism")}
    for combo, (who, confidence) in expected.items():
        assert got[combo]["support"] == len(who)
        assert [m["name"] for m in got[combo]["municipalities"]] == [f"{k}町" for k in who]
        assert {r["then"]: r["confidence"] for r in got[combo]["rules"]} == confidence
    assert {r["then"]: r["confidence"] for r in got[("education", "tourism")]["rules"]} == {"education": 100.0,
                                                                                            "tourism": 75.0}
    assert got[("education", "health")]["missing"] == ["health"]


def test_the_page_names_the_municipalities_and_exports(client, towns):
    page = client.get(f"/promotion/m/{towns['M'].code}/?fiscal_year=2026").content.decode()
    assert "教育 ＋ 医療・介護・健康" in page and "T3町" in page and "75.0%" in page
    assert "島町" not in page
    csv = client.get(f"/promotion/m/{towns['M'].code}/?fiscal_year=2026&format=csv").content.decode("utf-8-sig")
    assert "T1町・T2町・T4町" in csv


def test_no_combination_below_three(client, towns):
    body = client.get(f"/api/v1/municipalities/{towns['ISLAND'].code}/packages?fiscal_year=2026").json()
    assert body["similar_count"] == 0 and body["combinations"] == []
    page = client.get(f"/promotion/m/{towns['ISLAND'].code}/").content.decode()
    assert "まだありません" in page


def test_neighbour_uptake(client, towns):
    towns["M"].neighbours.add(towns["T1"], towns["T5"])
    body = client.get(f"/api/v1/municipalities/{towns['M'].code}/neighbour-uptake?fiscal_year=2026").json()
    # M has education: T1's health and tourism and T5's health remain.
    assert [(r["name"], r["sector"], r["fiscal_year"]) for r in body] == [
        ("T1町", "health", 2025), ("T5町", "health", 2025), ("T1町", "tourism", 2025)]
    assert body[0]["url"] == f"/progress/municipalities/{towns['T1'].code}/"
    page = client.get(f"/promotion/m/{towns['M'].code}/").content.decode()
    assert 'data-testid="uptake"' in page


def test_neighbour_uptake_follows_a_neighbours_write(client, towns):
    """The uptake is kept per data version: a neighbour's new 実装済 shows on the next request, and the page's
    own municipality implementing it removes it."""
    towns["M"].neighbours.add(towns["T5"])
    url = f"/api/v1/municipalities/{towns['M'].code}/neighbour-uptake?fiscal_year=2026"
    assert [r["sector"] for r in client.get(url).json()] == ["health"]
    seed([(towns["T5"].code, "tourism", 2026, "implemented")])
    assert [r["sector"] for r in client.get(url).json()] == ["health", "tourism"]
    seed([(towns["M"].code, "health", 2026, "self_sustaining")])
    assert [r["sector"] for r in client.get(url).json()] == ["tourism"]


def test_municipality_nav_links_to_the_promotion_page(client, towns):
    page = client.get(f"/progress/municipalities/{towns['M'].code}/").content.decode()
    assert f'href="/promotion/m/{towns["M"].code}/"' in page


def test_progress_page_and_navigator_show_the_advice(client, towns):
    towns["M"].neighbours.add(towns["T5"])
    code = towns["M"].code
    progress = client.get(f"/progress/municipalities/{code}/?fiscal_year=2026").content.decode()
    assert 'data-testid="promotion-advice"' in progress
    assert "教育 ＋ 医療・介護・健康（3団体）— 足りない分野: 医療・介護・健康" in progress
    assert "T5町" in progress  # its neighbour's 医療・介護・健康
    navigator = client.get(f"/programs/navigator/?municipality={code}&sector=health").content.decode()
    assert "教育 ＋ 観光（3団体）— 足りない分野: 観光" in navigator


def test_neighbour_uptake_exports(client, towns):
    from chiiki.core.tabular import read_table

    towns["M"].neighbours.add(towns["T1"], towns["T5"])
    response = client.get(f"/promotion/m/{towns['M'].code}/?fiscal_year=2026&table=uptake&format=csv")
    rows = read_table(response.content, "u.csv").rows
    assert [(r.get("隣接団体"), r.get("分野"), r.get("記録の年度")) for r in rows] == [
        ("T1町", "医療・介護・健康", "2025"), ("T5町", "医療・介護・健康", "2025"), ("T1町", "観光", "2025")]
    xlsx = client.get(f"/promotion/m/{towns['M'].code}/?fiscal_year=2026&table=uptake&format=xlsx")
    assert len(read_table(xlsx.content, "u.xlsx").rows) == 3


def enumerated_mine(itemsets, *, min_support=3, sizes=(2, 3)):
    """The straightforward way (what packages.mine did before its bit sets): count every subset of up to three
    sectors of every municipality."""
    counts, members = Counter(), {}
    for code, sectors in itemsets.items():
        for size in range(1, max(sizes) + 1):
            for combo in combinations(sorted(sectors), size):
                counts[combo] += 1
                if size in sizes:
                    members.setdefault(combo, []).append(code)
    result = []
    for combo, support in counts.items():
        if len(combo) in sizes and support >= min_support:
            rules = [{"if": [s for s in combo if s != then], "then": then,
                      "confidence": round(support / counts[tuple(s for s in combo if s != then)] * 100, 1),
                      "base": counts[tuple(s for s in combo if s != then)]} for then in combo]
            result.append({"sectors": list(combo), "support": support, "municipalities": sorted(members[combo]),
                           "rules": rules})
    result.sort(key=lambda c: (-c["support"], -len(c["sectors"]), c["sectors"]))
    return result


@pytest.mark.parametrize("seed_", [1, 2, 3])
def test_mining_matches_the_enumeration_on_demo_like_groups(seed_):
    """127 similar municipalities (the bench's largest group), eight sectors, each implemented with its own
    likelihood; plus a few that implemented nothing and one with every sector."""
    rng = random.Random(seed_)
    sectors = ["education", "health", "work", "disaster", "agriculture", "business", "tourism", "public_private"]
    likelihood = {s: rng.uniform(0.05, 0.7) for s in sectors}
    itemsets = {f"{10000 + i * 7:05d}1": {s for s in sectors if rng.random() < likelihood[s]} for i in range(127)}
    itemsets["999991"] = set(sectors)
    itemsets["999992"] = set()
    for minimum in (1, 3, 20):
        expected = enumerated_mine(itemsets, min_support=minimum)
        assert expected  # the comparison has combinations to compare
        assert packages.mine(itemsets, min_support=minimum) == expected
    assert packages.mine({}) == enumerated_mine({}) == []
