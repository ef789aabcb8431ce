"""/programs/manage/: the catalog list is paginated, filtered (ID・名称・提供者, edited), keeps its filters in the
page links, and exports the rows it shows as CSV/XLSX in the import's format."""

import html
import re

import pytest

from chiiki.core.tabular import read_table
from chiiki.programs.models import SupportProgram

pytestmark = pytest.mark.django_db


def ids_on(page: str) -> list[str]:
    table = page[page.index("<tbody>"):page.index("</tbody>")]
    return re.findall(r"<td><code>([^<]+)</code></td>", table)


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a href="(\?[^"]*)" rel="{rel}">', page)
    return html.unescape(found.group(1)) if found else None


@pytest.fixture
def big_catalog(catalog):
    SupportProgram.objects.bulk_create(
        SupportProgram(public_id=f"TEST-{i:03d}", name=f"テスト支援{i:03d}", provider="テスト省", provider_type="national",
                       kind="subsidy", support_type="funding", all_sectors=True, summary="テスト用",
                       edited_since_load=i % 20 == 0)
        for i in range(60))
    return sorted([*catalog, *(f"TEST-{i:03d}" for i in range(60))])


def test_pages_through_the_whole_catalog(client_for, users, big_catalog):
    admin = client_for(users["admin"])
    first = admin.get("/programs/manage/").content.decode()
    assert ids_on(first) == big_catalog[:50] and 'data-testid="programs-count">85<' in first
    assert link(first, "prev") is None
    second = admin.get("/programs/manage/" + link(first, "next")).content.decode()
    assert ids_on(second) == big_catalog[50:] and link(second, "next") is None


def test_filters_stay_in_the_page_links_and_the_exports(client_for, users, big_catalog):
    admin = client_for(users["admin"])
    mine = [f"TEST-{i:03d}" for i in range(60)]
    first = admin.get("/programs/manage/", {"q": "テスト省"}).content.decode()
    assert ids_on(first) == mine[:50] and 'data-testid="programs-count">60<' in first
    following = link(first, "next")
    assert "q=%E3%83%86%E3%82%B9%E3%83%88%E7%9C%81" in following  # テスト省
    assert ids_on(admin.get("/programs/manage/" + following).content.decode()) == mine[50:]
    assert ids_on(admin.get("/programs/manage/", {"q": "ｔｅｓｔ-05"}).content.decode()) == mine[50:60]  # NFKC

    edited = admin.get("/programs/manage/", {"edited": "1", "q": "テスト"}).content.decode()
    assert ids_on(edited) == ["TEST-000", "TEST-020", "TEST-040"]
    exports = re.findall(r'href="(/programs/manage/export\?[^"]+)"', edited)
    assert len(exports) == 2
    for url in exports:
        response = admin.get(html.unescape(url))
        name = "p.xlsx" if "format=xlsx" in url else "p.csv"
        assert [r.get("id") for r in read_table(response.content, name).rows] == ["TEST-000", "TEST-020", "TEST-040"]
    everything = read_table(admin.get("/programs/manage/export", {"format": "csv"}).content, "all.csv").rows
    assert len(everything) == 85  # no filter: the whole catalog, as before


def test_empty_result_says_so(client_for, users, big_catalog):
    page = client_for(users["admin"]).get("/programs/manage/", {"q": "存在しない支援"}).content.decode()
    assert "条件に合う支援メニューはありません" in page and "<tbody>" not in page
