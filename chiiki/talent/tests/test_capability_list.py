"""/talent/capabilities/: the vocabulary list is paginated in sector order, filtered (分野, keyword) with the filters
kept in the page links and the CSV/XLSX exports, and counts talents and requests for the rows it shows."""

import csv
import html
import re

import pytest

from chiiki.conftest import SECTORS
from chiiki.core.tabular import read_table
from chiiki.talent.models import Status, TalentRequest

from .conftest import DATA

pytestmark = pytest.mark.django_db


def vocabulary_rows() -> list[dict]:
    with (DATA / "capabilities.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def in_list_order(rows) -> list[str]:
    """By sector (the sectors' order, 共通 last), then as the file lists them."""
    rank = {code: i for i, (code, _name, _en) in enumerate(SECTORS)}
    positions = {r["id"]: i for i, r in enumerate(vocabulary_rows())}
    return [r["id"] for r in sorted(rows, key=lambda r: (rank.get(r["sector"], len(rank)), positions[r["id"]]))]


def ids_on(page: str) -> list[str]:
    return re.findall(r'<tr id="(CAP-[A-Z]+-\d+)">', page)


def next_link(page: str) -> str | None:
    found = re.search(r'<a href="(\?[^"]*)" rel="next">', page)
    return html.unescape(found.group(1)) if found else None


def test_the_vocabulary_pages_in_sector_order(client, vocabulary):
    expected = in_list_order(vocabulary_rows())
    assert len(expected) == 78
    first = client.get("/talent/capabilities/").content.decode()
    assert ids_on(first) == expected[:50] and 'data-testid="capabilities-count">78<' in first
    second = client.get("/talent/capabilities/" + next_link(first)).content.decode()
    assert ids_on(second) == expected[50:] and next_link(second) is None
    assert second.index('id="sector-common"') < second.index("CAP-COM-")  # the heading of the rows after it


def test_filters_stay_in_the_page_links_and_the_exports(client, vocabulary):
    matching = in_list_order([r for r in vocabulary_rows() if "できる" in r["label"] + r["synonyms"]])
    assert len(matching) > 50  # two pages
    first = client.get("/talent/capabilities/", {"q": "できる"}).content.decode()
    assert ids_on(first) == matching[:50]
    following = next_link(first)
    assert "q=%E3%81%A7%E3%81%8D%E3%82%8B" in following  # できる
    assert ids_on(client.get("/talent/capabilities/" + following).content.decode()) == matching[50:]

    health = in_list_order([r for r in vocabulary_rows() if r["sector"] == "health"])
    page = client.get("/talent/capabilities/", {"sector": "health"}).content.decode()
    assert ids_on(page) == health and next_link(page) is None
    exports = re.findall(r'href="(\?[^"]*format=(?:csv|xlsx))"', page)
    assert len(exports) == 2
    for url in exports:
        response = client.get("/talent/capabilities/" + html.unescape(url))
        name = "c.xlsx" if url.endswith("xlsx") else "c.csv"
        assert [r.get("ID") for r in read_table(response.content, name).rows] == health
    assert "条件に合うできることはありません" in client.get("/talent/capabilities/", {"q": "存在しない技能"}).content.decode()


def test_counts_on_the_page_link_to_their_rows(users, client_for, hachioji_request, advisor_profile):
    TalentRequest.objects.filter(pk=hachioji_request.pk).update(status=Status.SUBMITTED)  # CAP-HLT-07 required
    def row_for(role):
        page = client_for(users[role]).get("/talent/capabilities/", {"sector": "health"}).content.decode()
        row = page[page.index('<tr id="CAP-HLT-07">'):]
        return row[:row.index("</tr>")]

    row = row_for("admin")
    assert '<a href="/talent/profiles/?capability=CAP-HLT-07">1</a>' in row
    assert '<a href="/talent/requests/?demand=1&amp;capability=CAP-HLT-07">1</a>' in row
    # The request list shows a municipality's officer only its own requests: the national figure is not linked.
    row = row_for("hachioji")
    assert '<a href="/talent/profiles/?capability=CAP-HLT-07">1</a>' in row and "/talent/requests/" not in row
    table = read_table(client_for(None).get("/talent/capabilities/?sector=health&format=csv").content, "c.csv").rows
    assert [(r.get("登録人材数"), r.get("依頼数")) for r in table if r.get("ID") == "CAP-HLT-07"] == [("1", "1")]


def test_saving_an_item_returns_to_the_page_that_shows_it(users, client_for, vocabulary):
    admin = client_for(users["admin"])
    saved = admin.post("/talent/capabilities/CAP-COM-16/edit",
                       {"label": "共通の項目を直せる", "synonyms": "", "version": "1"})
    assert saved.status_code == 302 and saved["Location"] == "/talent/capabilities/?sector=common#CAP-COM-16"
    assert "CAP-COM-16" in ids_on(admin.get(saved["Location"].split("#")[0]).content.decode())
