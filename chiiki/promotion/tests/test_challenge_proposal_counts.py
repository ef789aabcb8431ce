"""The challenge list's 提案数: shown (and exported) to those who review the challenge's proposals (the
municipality concerned, the admin), linked to the challenge page's proposals, and to nobody else (proposals
are confidential until the outcome is published)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chiiki.core.tabular import read_table

from .conftest import bearer, send
from .test_challenges import in_days, market  # noqa: F401  (八王子市's challenge with two proposals)

pytestmark = pytest.mark.django_db

LIST = "/promotion/challenges/"


@pytest.fixture
def island(client, users, market):  # noqa: F811
    """A second challenge, 青ヶ島村's, with no proposal yet."""
    body = {"sector": "disaster", "title": "島の防災", "problem": "p", "requirements": "r", "deadline": in_days(60)}
    response = send(client, "post", "/api/v1/municipalities/134023/challenges", body, **bearer(users["aogashima"]))
    assert response.status_code == 201, response.content
    return response.json()


def counts(html: str) -> dict[str, str]:
    """challenge page URL → what the 提案数 cell of its row says (a link's target and text, or the text)."""
    table = html.split('data-testid="challenges"', 1)[1].split("</table>", 1)[0]
    result = {}
    for row in table.split("<tr>")[2:]:
        url = re.search(r'<a href="(/promotion/challenges/\d+/)">', row).group(1)
        cell = re.search(r'data-testid="proposal-count">(.*?)</td>', row, re.S)
        result[url] = cell.group(1) if cell else None
    return result


def test_reviewers_see_counts_linked_to_exactly_the_proposals_counted(client_for, users, market, island):  # noqa: F811
    mitori, shima = f"/promotion/challenges/{market['challenge']['id']}/", f"/promotion/challenges/{island['id']}/"
    admin = client_for(users["admin"])
    html = admin.get(LIST).content.decode()
    assert '<th scope="col" class="num">提案数</th>' in html
    assert counts(html) == {mitori: f'<a href="{mitori}#proposals-heading">2件</a>',
                            shima: f'<a href="{shima}#proposals-heading">0件</a>'}
    for url, expected in ((mitori, 2), (shima, 0)):
        page = admin.get(url).content.decode()
        section = page.split('id="proposals-heading"', 1)[1].split("</section>", 1)[0]
        assert section.count('data-testid="proposal"') == expected
    assert "まだ提案はありません。" in admin.get(shima).content.decode()
    # 八王子市's staff: the count of their own challenge only; 青ヶ島村's is not theirs to see.
    html = client_for(users["hachioji"]).get(LIST).content.decode()
    assert counts(html) == {mitori: f'<a href="{mitori}#proposals-heading">2件</a>',
                            shima: '<span class="small muted">非公開</span>'}
    html = client_for(users["aogashima"]).get(LIST).content.decode()
    assert counts(html) == {mitori: '<span class="small muted">非公開</span>',
                            shima: f'<a href="{shima}#proposals-heading">0件</a>'}


@pytest.mark.parametrize("who", [None, "company", "tokyo", "advisor", "sapporo_company"])
def test_everyone_else_sees_no_count(client_for, users, market, island, who, django_user_model):  # noqa: F811
    if who == "sapporo_company":  # a proposer of the challenge: their own proposal, never the number of all
        user = market["rival"]
    else:
        user = users[who] if who else None
    html = client_for(user).get(LIST).content.decode()
    assert "提案数" not in html and 'data-testid="proposal-count"' not in html
    assert set(counts(html).values()) == {None}
    lines = client_for(user).get(LIST + "?format=csv").content.decode("utf-8-sig").splitlines()
    assert "提案数" not in lines[0] and len(lines) == 3


def test_export_carries_the_count_for_the_reviewers_only(client_for, users, market, island):  # noqa: F811
    for who, expected in (("admin", {"高齢者の見守り": "2", "島の防災": "0"}),
                          ("hachioji", {"高齢者の見守り": "2", "島の防災": ""})):
        for fmt in ("csv", "xlsx"):
            response = client_for(users[who]).get(f"{LIST}?format={fmt}")
            assert response.status_code == 200
            table = read_table(response.content, f"c.{fmt}")
            assert table.header[-1] == "提案数"
            assert {r.get("課題名"): r.get("提案数") for r in table.rows} == expected


def test_counts_cost_no_query_per_challenge(client, client_for, users, market):  # noqa: F811
    admin = client_for(users["admin"])

    def queries_of_list():
        with CaptureQueriesContext(connection) as ctx:
            assert admin.get(LIST).status_code == 200
        return len(ctx.captured_queries)

    queries_of_list()  # facts kept per data version (the sectors) read once
    before = queries_of_list()
    for n in range(4):
        body = {"sector": "health", "title": f"課題{n}", "problem": "p", "requirements": "r", "deadline": in_days(40)}
        assert send(client, "post", "/api/v1/municipalities/134023/challenges", body,
                    **bearer(users["aogashima"])).status_code == 201
    html = admin.get(LIST).content.decode()
    assert len(counts(html)) == 5
    assert queries_of_list() == before


# ---- the API says the same: GET /api/v1/challenges and /challenges/{id} carry proposal_count -----------------------

API = "/api/v1/challenges"


def api_counts(client, user, market, island):  # noqa: F811
    """title → proposal_count in the API list, after checking the single challenge's answer agrees."""
    extra = bearer(user) if user is not None else {}
    response = client.get(API, **extra)
    assert response.status_code == 200, response.content
    items = {c["title"]: c["proposal_count"] for c in response.json()["items"]}
    for c in (market["challenge"], island):
        assert client.get(f"{API}/{c['id']}", **extra).json()["proposal_count"] == items[c["title"]]
    return items


def test_api_gives_the_reviewers_the_web_lists_counts(client, client_for, users, market, island):  # noqa: F811
    for who, expected in (("admin", {"高齢者の見守り": 2, "島の防災": 0}),
                          ("hachioji", {"高齢者の見守り": 2, "島の防災": None}),
                          ("aogashima", {"高齢者の見守り": None, "島の防災": 0})):
        assert api_counts(client, users[who], market, island) == expected
        # …the very figures of the web list's 提案数 column, where it shows one
        web = {url: re.search(r">(\d+)件</a>", cell).group(1) for url, cell in
               counts(client_for(users[who]).get(LIST).content.decode()).items() if "件" in cell}
        by_url = {f"/promotion/challenges/{c['id']}/": c["title"] for c in (market["challenge"], island)}
        assert {by_url[url]: int(n) for url, n in web.items()} == {t: n for t, n in expected.items() if n is not None}


@pytest.mark.parametrize("who", [None, "company", "sapporo_company", "tokyo", "sapporo", "advisor"])
def test_api_gives_everyone_else_null(client, users, market, island, who):  # noqa: F811
    user = market["rival"] if who == "sapporo_company" else (users[who] if who else None)
    assert api_counts(client, user, market, island) == {"高齢者の見守り": None, "島の防災": None}


def test_api_writes_answer_with_the_count_for_their_reviewer(client, users, market):  # noqa: F811
    cid = market["challenge"]["id"]
    current = client.get(f"{API}/{cid}", **bearer(users["hachioji"])).json()
    body = {"sector": "health", "title": "高齢者の見守り", "problem": "p", "requirements": "r",
            "deadline": in_days(30), "version": current["version"]}
    response = send(client, "put", f"{API}/{cid}", body, **bearer(users["hachioji"]))
    assert response.status_code == 200, response.content
    assert response.json()["proposal_count"] == 2


def test_api_counts_cost_no_query_per_challenge(client, users, market):  # noqa: F811
    auth = bearer(users["admin"])

    def queries_of_list():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(API, **auth)
            assert response.status_code == 200
        return len(ctx.captured_queries), response.json()

    queries_of_list()  # the token's first use is recorded once
    before, _ = queries_of_list()
    for n in range(4):
        body = {"sector": "health", "title": f"課題{n}", "problem": "p", "requirements": "r", "deadline": in_days(40)}
        assert send(client, "post", "/api/v1/municipalities/134023/challenges", body,
                    **bearer(users["aogashima"])).status_code == 201
    after, answer = queries_of_list()
    assert answer["count"] == 5 and {c["proposal_count"] for c in answer["items"]} == {0, 2}
    assert after == before


def test_openapi_says_when_the_count_is_null(client):
    field = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["ChallengeOut"]["properties"][
        "proposal_count"]
    assert "null" in field["description"] and "審査" in field["description"]
