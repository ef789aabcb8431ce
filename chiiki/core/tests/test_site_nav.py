"""The main menu marks the section the page belongs to, so a visitor deep in a section knows where they are."""

import re

import pytest

pytestmark = pytest.mark.django_db


def marked(client, url):
    nav = client.get(url).content.decode().split('aria-label="メインメニュー"')[1].split("</nav>")[0]
    return re.findall(r'aria-current="true">([^<]+)</a>', nav)


@pytest.mark.parametrize("url, section", [
    ("/progress/rankings/", "見える化"), ("/regions/map/", "全国地図"), ("/regions/", "団体一覧"),
    ("/regions/prefectures/13/", "団体一覧"), ("/programs/", "支援メニュー"), ("/funding/flows/", "実装計画・資金"),
    ("/talent/capabilities/", "人材"), ("/promotion/events/", "見本となる地域"), ("/pdca/reviews/", "KPI・PDCA"),
    ("/cases/", "事例"), ("/opendata/", "オープンデータ"), ("/api/v1/docs", "API"),
])
def test_the_menu_marks_the_section_of_the_page(client, register, url, section):
    assert marked(client, url) == [section], url


def test_pages_outside_the_sections_mark_nothing(client, register):
    assert marked(client, "/") == []
    assert marked(client, "/about/data") == []
    assert marked(client, "/no-such-page/") == []
