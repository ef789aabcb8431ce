"""A challenge's budget reads as its range; an open end is named (上限／下限), never shown as 0 or a blank."""

import re

import pytest

from chiiki.promotion.models import Challenge

from .conftest import bearer, send
from .test_challenges import in_days

pytestmark = pytest.mark.django_db


def _post(client, users, title, **budget):
    body = {"sector": "health", "title": title, "problem": "課題", "requirements": "要件", "deadline": in_days(30),
            **budget}
    response = send(client, "post", "/api/v1/municipalities/132012/challenges", body, **bearer(users["hachioji"]))
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _budget_cell(html: str, title: str) -> str:
    row = re.search(rf"<tr>(?:(?!</tr>).)*{re.escape(title)}(?:(?!</tr>).)*</tr>", html, re.S).group(0)
    return re.search(r'data-label="予算">([^<]*)</td>', row).group(1)


@pytest.mark.parametrize(("budget", "text"), [
    ({"budget_min": 500_000, "budget_max": 3_000_000}, "500,000〜3,000,000円"),
    ({"budget_max": 1_500_000}, "上限 1,500,000円"),
    ({"budget_min": 0, "budget_max": 1_500_000}, "上限 1,500,000円"),
    ({"budget_min": 0}, "—"),
    ({"budget_min": 800_000}, "下限 800,000円"),
    ({"budget_min": 2_000_000, "budget_max": 2_000_000}, "2,000,000円"),
    ({}, "—"),
])
def test_the_budget_reads_as_a_range_on_the_list_and_the_page(client, users, budget, text):
    cid = _post(client, users, "見守りの課題", **budget)
    assert _budget_cell(client.get("/promotion/challenges/").content.decode(), "見守りの課題") == text
    page = client.get(Challenge.objects.get(pk=cid).get_absolute_url()).content.decode()
    assert f"<dt>予算</dt><dd>{text}</dd>" in page
