"""Every number on the promotion pages leads to the rows behind it, and the tables export what they show
(audit6b)."""

import re

import pytest

from .test_diffusion import world  # noqa: F401  (the hand-built diffusion case)
from .test_packages import towns  # noqa: F401  (the hand-built similarity group)

pytestmark = pytest.mark.django_db


def test_region_group_sizes_link_to_lists_with_exactly_that_many_municipalities(client, world):  # noqa: F811
    places, _ = world
    html = client.get(f"/promotion/model-regions/{places['R'].code}/").content.decode()
    neighbours = re.search(r'data-testid="neighbour-count"><a href="#([\w-]+)">(\d+)</a>', html)
    comparison = re.search(r'data-testid="comparison-count"><a href="#([\w-]+)">(\d+)</a>', html)
    assert neighbours and comparison and (neighbours.group(2), comparison.group(2)) == ("5", "7")
    after_heading = html.split(f'id="{neighbours.group(1)}"', 1)[1]
    table = after_heading.split('data-testid="neighbour-changes"', 1)[1].split("</table>", 1)[0]
    assert table.count('<th scope="row">') == 5
    group = html.split(f'id="{comparison.group(1)}"', 1)[1].split("</details>", 1)[0]
    assert group.count("/progress/municipalities/") == 7


def test_national_diffusion_table_exports_with_japanese_headers(client, world):  # noqa: F811
    html = client.get("/promotion/").content.decode()
    assert "?table=diffusion&amp;format=csv" in html
    lines = client.get("/promotion/?table=diffusion&format=csv").content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("年度,隣接団体の実装割合（%）,実装済以上の隣接セル,隣接セル")
    api = client.get("/api/v1/model-regions/diffusion").json()["years"]
    assert [line.split(",")[0] for line in lines[1:]] == [str(r["fiscal_year"]) for r in api]
    assert lines[1].split(",")[2:4] == [str(api[0]["neighbour_implemented"]), str(api[0]["neighbour_cells"])]
    xlsx = client.get("/promotion/?table=diffusion&format=xlsx")
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx["Content-Type"]


def test_event_organiser_sees_and_exports_exactly_the_registrants_counted(client, client_for, users):
    from .conftest import bearer, send
    from .test_events import event_body

    created = send(client, "post", "/api/v1/events", event_body(capacity=5), **bearer(users["hachioji"]))
    event = created.json()
    url = f"/promotion/events/{event['id']}/"
    organiser, company = client_for(users["hachioji"]), client_for(users["company"])
    empty = organiser.get(url).content.decode()
    assert "まだ申込はありません。" in empty and 'href="#registrants-heading">0</a>' in empty
    for who in ("company", "advisor"):
        assert client.post(f"/api/v1/events/{event['id']}/registrations", **bearer(users[who])).status_code == 201
    page = organiser.get(url).content.decode()
    count = re.search(r'data-testid="event-count"><a href="#registrants-heading">(\d+)</a>', page)
    assert count and count.group(1) == "2"
    table = page.split('data-testid="registrants"', 1)[1].split("</table>", 1)[0]
    assert table.count('<th scope="row">') == 2
    lines = organiser.get(url + "?format=csv").content.decode("utf-8-sig").splitlines()
    assert lines[0] == "申込日時,氏名,ユーザー名,所属,メールアドレス"
    assert sorted(line.split(",")[2] for line in lines[1:]) == sorted([users["company"].username,
                                                                       users["advisor"].username])
    # Everyone else: the count only, no names, no export.
    for other in (company, client):
        html = other.get(url).content.decode()
        assert 'data-testid="registrants"' not in html and 'data-testid="event-count">2／5' in html
        assert other.get(url + "?format=csv").status_code == 404


def test_similar_count_links_to_exactly_the_similar_municipalities(client, towns):  # noqa: F811
    html = client.get(f"/promotion/m/{towns['M'].code}/?fiscal_year=2026").content.decode()
    count = re.search(r'data-testid="similar-count"><a href="#([\w-]+)">(\d+)</a>', html)
    assert count and count.group(2) == "5"
    group = html.split(f'id="{count.group(1)}"', 1)[1].split("</details>", 1)[0]
    assert group.count("/progress/municipalities/") == 5
    assert all(f"T{i}町" in group for i in range(1, 6)) and "島町" not in group and "対象町" not in group


def test_national_group_sizes_link_to_lists_with_exactly_that_many_municipalities(client, world):  # noqa: F811
    places, _ = world
    html = client.get("/promotion/").content.decode()
    for testid, expected, members in (("neighbour-count", 6, ["N1", "N2", "N3", "N4", "N5", "Y"]),
                                      ("comparison-count", 7, ["C1", "C2", "C3", "C4", "C5", "C6", "C7"])):
        link = re.search(rf'data-testid="{testid}"><a href="#([\w-]+)">(\d+)</a>', html)
        assert link and int(link.group(2)) == expected
        group = html.split(f'id="{link.group(1)}"', 1)[1].split("</details>", 1)[0]
        assert group.count("/progress/municipalities/") == expected
        assert all(f"/progress/municipalities/{places[k].code}/" in group for k in members)
    body = client.get("/api/v1/model-regions/diffusion").json()
    assert "neighbours" not in body and body["neighbour_count"] == 6  # the API answer keeps its shape


DIFFUSION_FIGURE = re.compile(r'<a href="([^"]+)" data-testid="(neighbour|comparison)-(implemented|cells)">(\d+)</a>')


def _cells_listed(client, href):
    page = client.get(href.replace("&amp;", "&"))
    assert page.status_code == 200, href
    html = page.content.decode()
    table = html.split('data-testid="diffusion-cells"', 1)[1].split("</table>", 1)[0] if 'data-testid="diffusion-cells"' in html else ""
    count = re.search(r'data-testid="cell-count">(\d+)<', html).group(1)
    rows = re.findall(r'<th scope="row"><a href="/progress/municipalities/(\d+)/">[^<]*</a></th><td[^>]*>([^<]*)</td>', table)
    return int(count), rows


@pytest.mark.parametrize("page", ["region", "national"])
def test_diffusion_cell_counts_link_to_exactly_the_cells_counted(client, world, page):  # noqa: F811
    places, _ = world
    url = f"/promotion/model-regions/{places['R'].code}/" if page == "region" else "/promotion/"
    html = client.get(url).content.decode()
    table = html.split('data-testid="diffusion-table"', 1)[1].split("</table>", 1)[0]
    figures = DIFFUSION_FIGURE.findall(table)
    assert len(figures) == 3 * 4  # 2024–2026 (the first designation is 2024) × two groups × n and cells
    for href, _group, _what, figure in figures:
        count, rows = _cells_listed(client, href)
        assert count == len(rows) == int(figure), (href, figure, rows)
        csv_lines = client.get(href.replace("&amp;", "&") + "&format=csv").content.decode("utf-8-sig").splitlines()
        assert len(csv_lines) - 1 == int(figure)
        # The API answers the same cells (the page links to it when it lists any).
        path, _, query = href.replace("&amp;", "&").partition("?")
        api = (path.replace("/promotion/model-regions/", "/api/v1/model-regions/").replace("/cells/", "/diffusion/cells")
               .replace("/promotion/diffusion-cells/", "/api/v1/model-regions/diffusion/cells")) + "?" + query
        if int(figure):
            assert f'<a href="{api.replace("&", "&amp;")}">API（JSON）</a>' in client.get(path + "?" + query).content.decode()
        body = client.get(api + "&page_size=500").json()
        assert body["count"] == len(body["items"]) == int(figure), api
        assert sorted((i["code"], i["sector_name"]) for i in body["items"]) == sorted(rows)
    # By hand: R's neighbours in 2025 (N1 education 2024, N2 health 2025, N5 education 2023), and nationally R2's
    # neighbour Y (education 2024) too, R2 being designated in 2025.
    href = next(h for h, g, w, _ in figures if g == "neighbour" and w == "implemented" and "year=2025" in h)
    _, rows = _cells_listed(client, href)
    expected = ("N1", "N2", "N5") if page == "region" else ("N1", "N2", "N5", "Y")
    assert sorted(code for code, _ in rows) == sorted(places[k].code for k in expected)


def test_diffusion_cells_of_a_year_or_group_not_in_the_table_are_not_found(client, world):  # noqa: F811
    places, _ = world
    code = places["R"].code
    assert client.get(f"/promotion/model-regions/{code}/cells/?fiscal_year=2024&year=2023&group=neighbours").status_code == 404
    assert client.get(f"/promotion/model-regions/{code}/cells/?fiscal_year=2024&year=2025&group=all").status_code == 404
    assert client.get(f"/promotion/model-regions/{code}/cells/?fiscal_year=2020&year=2025&group=neighbours").status_code == 404
    assert client.get("/promotion/diffusion-cells/?year=2023&group=comparison").status_code == 404


def test_the_diffusion_cells_api_refuses_what_the_table_does_not_have(client, world):  # noqa: F811
    places, _ = world
    code = places["R"].code
    assert client.get(f"/api/v1/model-regions/{code}/diffusion/cells?fiscal_year=2024&year=2023&group=neighbours").status_code == 404
    assert client.get(f"/api/v1/model-regions/{code}/diffusion/cells?year=2025&group=all").status_code == 422
    assert client.get("/api/v1/model-regions/diffusion/cells?year=2023&group=comparison").status_code == 404
    assert client.get("/api/v1/model-regions/diffusion/cells?year=令和99年&group=comparison").status_code == 422
    assert client.get(f"/api/v1/model-regions/{places['N1'].code}/diffusion/cells?year=2025&group=neighbours").status_code == 404
