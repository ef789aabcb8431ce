"""Candidates with the same score share a rank (competition ranking, as the progress peer rankings do)."""

import pytest

from chiiki.regions.models import Municipality

pytestmark = pytest.mark.django_db


def test_candidates_with_equal_scores_share_a_rank_on_the_page_in_the_export_and_the_api(client, register):
    # Three candidates (population set, under the limit), no progress, no commitment, no plan: all score 0.0.
    for code, population in [("012025", 20000), ("013315", 20000), ("134023", 200)]:
        Municipality.objects.filter(code=code).update(population=population)
    body = client.get("/api/v1/model-regions/candidates?fiscal_year=2026").json()
    ranks = [(item["code"], item["score"], item["rank"]) for item in body["items"]]
    assert {score for _, score, _ in ranks} == {0.0}
    assert [rank for _, _, rank in ranks] == [1, 1, 1]
    text = client.get("/promotion/candidates/?fiscal_year=2026&format=csv").content.decode("utf-8-sig")
    assert sorted(line.split(",")[0] for line in text.strip().splitlines()[1:]) == ["1", "1", "1"]
    page = client.get("/promotion/candidates/?fiscal_year=2026").content.decode()
    assert page.count('<td class="num">1</td>') == 3 and '<td class="num">2</td>' not in page
    # A prefecture's list keeps the shared national rank.
    tokyo = client.get("/api/v1/model-regions/candidates?fiscal_year=2026&prefecture=13").json()
    assert [(i["code"], i["rank"]) for i in tokyo["items"]] == [("134023", 1)]
