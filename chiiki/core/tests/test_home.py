"""The home page leads to every part of the roadmap's measures, and none of its links is dead."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_home_groups_the_site_by_the_roadmaps_measures_and_every_link_works(client, register):
    html = client.get("/").content.decode()
    pillars = re.findall(r'<h2 id="home-[a-z]+">([^<]+)</h2>', html)
    assert pillars == ["資金循環", "人材", "推進体制・見える化", "KPI・データ・事例"]
    body = html.split('class="grid home-pillars"')[1].split("</main>")[0]
    links = re.findall(r'href="([^"]+)"', body)
    assert len(links) >= 20
    for url in links:
        status = client.get(url).status_code
        assert status in (200, 302), (url, status)  # 302: a page that asks a visitor to sign in or to pick a 団体
    assert "/accounts/login/" in links


def test_signed_in_users_are_not_asked_to_sign_in(client_for, users):
    assert "ログイン</a>すると" not in client_for(users["hachioji"]).get("/").content.decode()
