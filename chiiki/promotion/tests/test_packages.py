"""Package advice on a hand-built case (support, confidence, the ≥3 rule, who counts as similar) and the
neighbours' uptake, through the API and the page."""

import json
import random
import re
from collections import Counter
from itertools import combinations

import pytest

from chiiki.access import SYSTEM
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
    assert (f'教育 ＋ 医療・介護・健康（<a href="/promotion/m/{code}/?fiscal_year=2026#pkg-education-health-members">3</a>'
            "団体）— 足りない分野: 医療・介護・健康") in progress  # the support links to the rows behind it
    assert "T5町" in progress  # its neighbour's 医療・介護・健康
    navigator = client.get(f"/programs/navigator/?municipality={code}&sector=health").content.decode()
    assert re.search(r'教育 ＋ 観光（<a href="[^"]+#pkg-education-tourism-members">3</a>団体）— 足りない分野: 観光', navigator)


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


# ---- the written answer and its caches ----------------------------------------------------------------------------

def schema_json(advice: dict) -> bytes:
    """The answer as the schema writes it: PackagesOut validating the advice and dumping it by alias (what the API
    wrote before it wrote its JSON directly, but with "if" as the OpenAPI document names a rule's condition)."""
    from chiiki.promotion.api import PackagesOut

    combos = [{**c, "municipalities": c["municipality_names"]} for c in advice["combinations"]]
    return PackagesOut.model_validate({**advice, "combinations": combos}).model_dump_json(by_alias=True).encode()


def test_the_answer_is_the_schema_s_json(client, towns):
    from chiiki.promotion import queries
    from chiiki.promotion.api import PackagesOut

    for year in (2026, 2025, 2020):  # carried over, the year of the records, before any record
        body = client.get(f"/api/v1/municipalities/{towns['M'].code}/packages?fiscal_year={year}").content
        assert body == schema_json(queries.compute_package_advice(towns["M"], year))
        PackagesOut.model_validate_json(body)  # a rule's condition under the name the OpenAPI document gives it
    assert json.loads(body)["combinations"] == []  # 2020: before any record
    rules = client.get(f"/api/v1/municipalities/{towns['M'].code}/packages?fiscal_year=2026").json()[
        "combinations"][0]["rules"]
    assert [set(r) for r in rules] == [{"if", "then", "confidence", "base"}] * 2


@pytest.mark.parametrize("seed_", [1, 2])
def test_the_written_json_equals_the_schema_s_on_large_groups(seed_, monkeypatch):
    """A bench-sized group (127 similar municipalities, eight sectors, support down to 3) whose names and programs
    carry what JSON must escape (quotes, backslashes, control characters, characters outside the BMP)."""
    from chiiki.promotion import api, queries

    rng = random.Random(seed_)
    sectors = ["education", "health", "work", "disaster", "agriculture", "business", "tourism", "public_private"]
    likelihood = {s: rng.uniform(0.05, 0.7) for s in sectors}
    names = {f"{10000 + i * 7:05d}1": rng.choice(["古河市", 'クォート"市', "バック\\スラッシュ市", "改行\n市",
                                                  "\x01制御\x1f市", "𠮷野市", "タブ\t市"]) for i in range(127)}
    itemsets = {code: {s for s in sectors if rng.random() < likelihood[s]} for code in names}
    itemsets["999990"] = {"education", "health"}
    used = [{"municipality": code, "sector": sector, "program": f"P-{i % 5}", "plan": i,
             "name": ["地域情報化アドバイザー", '補助金"A"', "改行\n補助"][i % 3]}
            for i, (code, sector) in enumerate((c, s) for c, have in itemsets.items() for s in sorted(have))
            if i % 4 == 0]
    monkeypatch.setattr(queries, "plan_programs", lambda codes: used)
    group = {"code": "999990", "label": '市・人口 5–30万・"関東"', "names": names,
             "named": {code: {"code": code, "name": name} for code, name in names.items()}}
    advice = queries._advice(group, 2026, itemsets)
    assert len(advice["combinations"]) > 40 and any(c["programs"] for c in advice["combinations"])
    assert api.packages_json(advice) == schema_json(advice)


def test_a_write_outside_the_group_keeps_the_advice_one_inside_changes_it(client, towns, monkeypatch):
    """Package advice is kept per digest of its group's implemented cells: after a progress write in a
    municipality that is not similar, the next request (the page cache misses: progress moved) answers the same
    without mining again; a write in a similar municipality changes the answer at once."""
    from chiiki.progress import actions as progress_actions
    from chiiki.promotion import queries
    from chiiki.roadmap.models import Sector

    url = f"/api/v1/municipalities/{towns['M'].code}/packages?fiscal_year=2026"
    page = f"/promotion/m/{towns['M'].code}/?fiscal_year=2026"
    before, before_page = client.get(url).content, client.get(page).content
    mined = []
    mine = packages.mine
    monkeypatch.setattr(packages, "mine", lambda itemsets, **kw: mined.append(len(itemsets)) or mine(itemsets, **kw))
    education = Sector.objects.get(pk="education")
    progress_actions.save_progress(SYSTEM, towns["LARGE"], education, 2026, stage="implemented", version=0)
    assert client.get(url).content == before and client.get(page).content == before_page
    assert mined == []
    # T5 (health only) adds education: education + health gains a fourth member.
    progress_actions.save_progress(SYSTEM, towns["T5"], education, 2026, stage="implemented", version=0)
    body = client.get(url).content
    assert mined == [5]
    got = {tuple(c["sectors"]): c for c in json.loads(body)["combinations"]}
    assert got[("education", "health")]["support"] == 4
    assert [m["name"] for m in got[("education", "health")]["municipalities"]] == ["T1町", "T2町", "T3町", "T5町"]
    assert body == schema_json(queries.compute_package_advice(towns["M"], 2026))
    assert client.get(page).content != before_page
    assert queries.package_advice(towns["M"], 2026) == queries.compute_package_advice(towns["M"], 2026)


def test_an_unknown_or_invalid_code_is_404(client, towns):
    assert client.get("/api/v1/municipalities/019999/packages").status_code == 404
    bad = client.get("/api/v1/municipalities/abc/packages")
    assert bad.status_code == 404 and "団体コード" in bad.json()["detail"]
    assert client.get("/api/v1/municipalities/019999/packages?fiscal_year=x").status_code == 404  # code first
    assert client.get(f"/api/v1/municipalities/{towns['M'].code}/packages?fiscal_year=x").status_code == 422
    # A 5-digit code (the check digit added) and full-width digits answer as the 6-digit one.
    six = client.get(f"/api/v1/municipalities/{towns['M'].code}/packages?fiscal_year=2026").content
    assert client.get(f"/api/v1/municipalities/{towns['M'].code[:5]}/packages?fiscal_year=2026").content == six


def test_the_similarity_label_tells_unregistered_from_not_designated(client, towns):
    """An unregistered 過疎/離島/中山間 compares as not designated, and the label says which of the two it is."""
    from chiiki.regions.models import Municipality

    url = f"/api/v1/municipalities/{towns['M'].code}/packages?fiscal_year=2026"
    Municipality.objects.filter(pk=towns["M"].pk).update(depopulated=None, remote_island=None, mountainous=None)
    assert "過疎・離島・中山間は未登録（指定なしとして比較）" in client.get(url).json()["similar_label"]
    Municipality.objects.filter(pk=towns["M"].pk).update(depopulated=False, remote_island=False, mountainous=False)
    from chiiki.core.history import bump

    bump("regions")  # the group is kept per register version
    label = client.get(url).json()["similar_label"]
    assert "過疎・離島・中山間の指定なし" in label and "未登録" not in label


def test_the_api_does_not_name_the_rules_bases_the_page_does(client, towns, monkeypatch):
    """The API gives each rule's base as a count; naming the municipalities behind it (a list per rule) is the
    page's, so the API's computation skips it and answers the same bytes."""
    from chiiki.promotion import queries

    named = []
    rule_bases = packages.rule_bases
    monkeypatch.setattr(packages, "rule_bases", lambda itemsets, combos: named.append(1) or rule_bases(itemsets, combos))
    body = client.get(f"/api/v1/municipalities/{towns['M'].code}/packages?fiscal_year=2026").content
    assert named == []
    assert body == schema_json(queries.compute_package_advice(towns["M"], 2026))
    assert named == [1]
    page = client.get(f"/promotion/m/{towns['M'].code}/?fiscal_year=2026")
    assert page.status_code == 200 and named == [1, 1]
