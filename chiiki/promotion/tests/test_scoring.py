"""Candidate scoring: the formula on a hand-built case, admin-editable weights with history and versions."""

import pytest

from chiiki.access import SYSTEM
from chiiki.core.models import ChangeRecord
from chiiki.promotion import actions

from .conftest import bearer, seed, send

pytestmark = pytest.mark.django_db

MATSUMAE, HAKODATE, HACHIOJI = "013315", "012025", "132012"


@pytest.fixture
def scored(register):
    m = register["municipalities"]
    for code, population in ((MATSUMAE, 7_000), (HAKODATE, 250_000), (HACHIOJI, 580_000)):
        m[code].population = population
        m[code].save()
    seed([(MATSUMAE, "education", 2023, "planned"), (MATSUMAE, "education", 2026, "implemented"),
          (MATSUMAE, "health", 2026, "implemented"), (MATSUMAE, "tourism", 2023, "piloting"),
          (MATSUMAE, "tourism", 2026, "considering"),  # went back: counts 0, never negative
          (HAKODATE, "education", 2026, "implemented"), (HACHIOJI, "education", 2026, "self_sustaining")])
    actions.record_commitment(SYSTEM, m[MATSUMAE], declared_on="2025-04-01", title="地域IoT実装宣言",
                              document_url="https://example.jp/matsumae/sengen")
    return m


def expected(implemented, gains, committed, weights=(40, 30, 30, 20), planned=False):
    """The formula written out again: S = implemented/8, P = Σgain/(8×5), C = 0/1, L = 0/1."""
    s, p, c, pl = implemented / 8, sum(gains) / 40, 1 if committed else 0, 1 if planned else 0
    w_s, w_p, w_c, w_l = weights
    return round(100 * (w_s * s + w_p * p + w_c * c + w_l * pl) / (w_s + w_p + w_c + w_l), 1)


def test_candidates_follow_the_formula(client, scored):
    body = client.get("/api/v1/model-regions/candidates?fiscal_year=2026").json()
    items = {i["code"]: i for i in body["items"]}
    assert HACHIOJI not in items  # 580,000 people: above the default limit of 300,000
    assert items[MATSUMAE]["score"] == expected(2, [4 - 2, 4 - 0, 0], True) == 37.1
    assert items[HAKODATE]["score"] == expected(1, [4], False) == 6.7
    assert [i["code"] for i in body["items"]][:2] == [MATSUMAE, HAKODATE]
    assert items[MATSUMAE]["commitment"] is True and items[MATSUMAE]["commitment_url"].endswith("/sengen")
    assert body["compared_with"] == 2023
    assert "40×実装" in body["formula"] and "÷ 120" in body["formula"]


def test_formula_is_shown_on_the_page(client, scored):
    page = client.get("/promotion/candidates/?fiscal_year=2026").content.decode()
    assert "40×実装 + 30×前進 + 30×コミットメント + 20×計画" in page
    assert "37.1" in page and "松前町" in page and "八王子市" not in page


def test_admin_changes_weights_with_history_and_version(client, users, scored):
    admin = bearer(users["admin"])
    weights = client.get("/api/v1/model-regions/weights").json()
    assert weights["version"] == 0
    body = {"max_population": 100_000, "implemented_weight": 100, "progress_weight": 0, "commitment_weight": 0,
            "plans_weight": 0, "version": 0}
    response = send(client, "put", "/api/v1/model-regions/weights", body, **admin)
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 1
    items = {i["code"]: i for i in client.get("/api/v1/model-regions/candidates?fiscal_year=2026").json()["items"]}
    assert HAKODATE not in items  # 250,000 > the new limit
    assert items[MATSUMAE]["score"] == expected(2, [2, 4, 0], True, (100, 0, 0, 0)) == 25.0
    # A stale version is refused and changes nothing.
    stale = send(client, "put", "/api/v1/model-regions/weights", {**body, "implemented_weight": 1}, **admin)
    assert stale.status_code == 409
    assert client.get("/api/v1/model-regions/weights").json()["implemented_weight"] == 100
    body2 = {**body, "implemented_weight": 50, "version": 1}
    assert send(client, "put", "/api/v1/model-regions/weights", body2, **admin).status_code == 200
    changes = list(ChangeRecord.objects.filter(model="promotion.scoringweights").order_by("id"))
    assert [c.action for c in changes] == ["create", "update"]
    assert changes[1].before["implemented_weight"] == 100 and changes[1].after["implemented_weight"] == 50


@pytest.mark.parametrize("role", ["tokyo", "hachioji", "advisor", "company"])
def test_only_the_admin_changes_weights(client, users, scored, role):
    body = {"max_population": 1, "implemented_weight": 1, "progress_weight": 0, "commitment_weight": 0, "plans_weight": 0,
            "version": 0}
    response = send(client, "put", "/api/v1/model-regions/weights", body, **bearer(users[role]))
    assert response.status_code == 403
    assert client.get("/api/v1/model-regions/weights").json()["version"] == 0


def test_weights_are_validated_in_japanese(client, users, scored):
    body = {"max_population": 0, "implemented_weight": 0, "progress_weight": 0, "commitment_weight": 0,
            "plans_weight": 0, "version": 0}
    response = send(client, "put", "/api/v1/model-regions/weights", body, **bearer(users["admin"]))
    assert response.status_code == 422
    assert "対象とする人口の上限" in response.json()["detail"]["max_population"]


def test_weights_form_for_the_admin_only(client_for, users, scored):
    assert client_for(users["hachioji"]).get("/promotion/manage/weights").status_code == 403
    admin = client_for(users["admin"])
    page = admin.get("/promotion/manage/weights")
    assert page.status_code == 200
    response = admin.post("/promotion/manage/weights", {"max_population": "300000", "implemented_weight": "20",
                                                         "progress_weight": "20", "commitment_weight": "60",
                                                         "plans_weight": "10", "version": "0"})
    assert response.status_code == 302
    candidates = admin.get("/promotion/candidates/?fiscal_year=2026").content.decode()
    assert "20×実装 + 20×前進 + 60×コミットメント + 10×計画" in candidates
    bad = admin.post("/promotion/manage/weights", {"max_population": "x", "implemented_weight": "20",
                                                    "progress_weight": "20", "commitment_weight": "60", "plans_weight": "10",
                                                    "version": "1"})
    assert bad.status_code == 422 and "整数で入力してください" in bad.content.decode()


def test_commitments_are_recorded_by_the_municipality(client, users, scored, register):
    hachioji = register["municipalities"][HACHIOJI]
    body = {"declared_on": "2026-05-01", "title": "スマートシティ宣言", "document_url": "https://example.jp/h"}
    url = f"/api/v1/municipalities/{HACHIOJI}/commitments"
    assert send(client, "post", url, body, **bearer(users["aogashima"])).status_code == 403
    response = send(client, "post", url, body, **bearer(users["hachioji"]))
    assert response.status_code == 201, response.content
    assert [c["title"] for c in client.get(url).json()] == ["スマートシティ宣言"]
    assert ChangeRecord.objects.filter(model="promotion.commitment", municipality=hachioji).count() == 1
    bad = send(client, "post", url, {**body, "document_url": "ftp://x", "declared_on": "2999-01-01"},
               **bearer(users["hachioji"]))
    assert bad.status_code == 422
    assert set(bad.json()["detail"]) == {"document_url", "declared_on"}
    created = response.json()
    delete = f"{url}/{created['id']}?version={created['version']}"
    assert client.delete(delete, **bearer(users["aogashima"])).status_code == 403
    assert client.delete(f"{url}/{created['id']}?version=9", **bearer(users["hachioji"])).status_code == 409
    assert client.delete(delete, **bearer(users["hachioji"])).status_code == 204
    assert client.get(url).json() == []
    assert list(ChangeRecord.objects.filter(model="promotion.commitment", municipality=hachioji)
                .values_list("action", flat=True).order_by("id")) == ["create", "delete"]


def test_commitment_form(client_for, users, register):
    officer = client_for(users["hachioji"])
    assert client_for(users["company"]).get(f"/promotion/m/{HACHIOJI}/commitments/new").status_code == 403
    response = officer.post(f"/promotion/m/{HACHIOJI}/commitments/new",
                            {"declared_on": "2026-06-01", "title": "DX推進宣言", "document_url": "https://example.jp/d"})
    assert response.status_code == 302
    assert "DX推進宣言" in officer.get(f"/promotion/m/{HACHIOJI}/").content.decode()
    bad = officer.post(f"/promotion/m/{HACHIOJI}/commitments/new", {"declared_on": "x", "title": "", "document_url": ""})
    assert bad.status_code == 422 and "表明日は YYYY-MM-DD" in bad.content.decode()


def test_candidates_export(client, scored):
    response = client.get("/promotion/candidates/?fiscal_year=2026&format=csv")
    text = response.content.decode("utf-8-sig")
    assert response.status_code == 200 and "松前町" in text and "37.1" in text


def test_a_prefecture_lists_its_own_candidates_with_their_national_rank(client, scored):
    """長野県's officer looks at the candidates in 長野県 only: page, export and API filter by prefecture and
    keep the national rank."""
    scored["134023"].population = 170
    scored["134023"].save()
    everyone = client.get("/api/v1/model-regions/candidates?fiscal_year=2026&page_size=100").json()["items"]
    national = {item["code"]: item["rank"] for item in everyone}
    assert [item["rank"] for item in everyone] == list(range(1, len(everyone) + 1))
    tokyo = client.get("/api/v1/model-regions/candidates?fiscal_year=2026&prefecture=13").json()
    assert [(i["code"], i["rank"]) for i in tokyo["items"]] == [("134023", national["134023"])]
    assert tokyo["count"] == 1 and national["134023"] > 2
    page = client.get("/promotion/candidates/?fiscal_year=2026&prefecture=13").content.decode()
    assert "青ヶ島村" in page and "松前町" not in page
    assert f'<td class="num">{national["134023"]}</td>' in page
    assert "format=csv" in page and "prefecture=13&amp;format=csv" in page
    exported = client.get("/promotion/candidates/?fiscal_year=2026&prefecture=13&format=csv").content.decode("utf-8-sig")
    assert "青ヶ島村" in exported and "松前町" not in exported
    assert exported.splitlines()[1].startswith(f"{national['134023']},134023")
    hokkaido = client.get("/promotion/candidates/?fiscal_year=2026&prefecture=01").content.decode()
    assert "松前町" in hokkaido and "函館市" in hokkaido and "青ヶ島村" not in hokkaido
    empty = client.get("/promotion/candidates/?fiscal_year=2026&prefecture=32").content.decode()
    assert "この都道府県には" in empty
