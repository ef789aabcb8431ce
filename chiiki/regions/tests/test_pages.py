import csv
import io
import json

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from chiiki.core import history
from chiiki.regions.models import BoundaryFile, Municipality
from chiiki.regions.queries import EXPORT_HEADER


def codes_in(response):
    return [m.code for m in response.context["page"].object_list]


def test_directory_lists_everything_with_counts(register, client):
    response = client.get("/regions/")
    assert response.status_code == 200
    assert codes_in(response) == sorted(c for c in register["municipalities"])
    html = response.content.decode()
    assert "<strong>8</strong>件" in html and "未登録" in html
    assert 'href="/regions/municipalities/131016/"' in html


@pytest.mark.parametrize(("query", "expected"), [
    ({"q": "千代田"}, ["131016"]),
    ({"q": "ちよだ"}, ["131016"]),                 # hiragana reading
    ({"q": "ﾁﾖﾀﾞ"}, ["131016"]),                  # half-width kana
    ({"q": "チョダ"}, ["131016"]),                 # small kana folded (official kana writes チヨダク)
    ({"q": "13101"}, ["131016"]),                 # 5-digit code
    ({"q": "131016"}, ["131016"]),
    ({"q": "１３２０１２"}, ["132012"]),            # full-width digits
    ({"q": "13"}, ["131016", "132012", "134023"]),  # code prefix
    ({"prefecture": "32"}, ["322016", "325252"]),
    ({"kind": "core_city"}, ["012025", "132012", "322016"]),
    ({"prefecture": "01", "kind": "town"}, ["013315"]),
    ({"q": "松", "prefecture": "01"}, ["013315"]),
    ({"kind": "castle"}, []),
])
def test_directory_search_and_filters(register, client, query, expected):
    assert codes_in(client.get("/regions/", query)) == expected


def test_directory_empty_state(register, client):
    html = client.get("/regions/", {"q": "存在しない町"}).content.decode()
    assert "条件に合う団体はありません" in html
    assert "format=csv" not in html


def test_directory_pagination(db, client):
    call_command("load_reference", "--no-progress")
    first = client.get("/regions/")
    assert len(codes_in(first)) == 50 and first.context["page"].paginator.count == 1741
    assert "1 / 35ページ" in first.content.decode()
    last = client.get("/regions/", {"page": 35})
    assert codes_in(last)[-1] == "473821"
    assert len(codes_in(client.get("/regions/", {"prefecture": "13", "page": 2}))) == 12  # 62 in Tokyo


def test_csv_export_of_the_filtered_list(register, client):
    Municipality.objects.filter(code="132012").update(population=579355, population_year=2020,
                                                      population_source="国勢調査", depopulated=False)
    response = client.get("/regions/", {"prefecture": "13", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == EXPORT_HEADER
    assert [r[0] for r in rows[1:]] == ["131016", "132012", "134023"]
    hachioji = dict(zip(rows[0], rows[2], strict=True))
    assert hachioji["人口"] == "579355" and hachioji["過疎地域"] == "非該当" and hachioji["中山間地域"] == ""
    assert hachioji["区分"] == "中核市" and hachioji["都道府県"] == "東京都"


def test_xlsx_export_keeps_codes_as_text(register, client):
    response = client.get("/regions/", {"q": "まつ", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == EXPORT_HEADER
    assert [r[0] for r in rows[1:]] == ["013315", "322016"]
    assert rows[1][1] == "01"


def test_prefecture_page(register, client):
    response = client.get("/regions/prefectures/13/")
    html = response.content.decode()
    assert response.status_code == 200
    assert [m.code for m in response.context["municipalities"]] == ["131016", "132012", "134023"]
    assert response.context["kind_counts"] == [("core_city", "中核市", 1), ("special_ward", "特別区", 1),
                                               ("village", "村", 1)]
    assert 'data-focus="13"' in html and "国土数値情報（行政区域データ）" in html
    assert "/regions/?prefecture=13&amp;kind=village" in html
    exported = client.get("/regions/prefectures/13/", {"format": "csv"}).content.decode("utf-8-sig")
    assert exported.count("\r\n") == 4
    assert client.get("/regions/prefectures/99/").status_code == 404
    assert client.get("/regions/prefectures/130001/")["Location"] == "/regions/prefectures/13/"


def test_municipality_page(register, client):
    response = client.get("/regions/municipalities/011002/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "札幌市" in html and "政令指定都市" in html and "北海道" in html
    assert 'href="/regions/municipalities/013315/"' in html  # neighbour link
    assert 'data-focus="011002"' in html
    assert html.count("js/map.js") == 1
    assert "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成" in html
    assert "編集" not in html  # anonymous users see no edit link


def test_the_neighbour_list_reads_names_not_boundaries(register, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sapporo, town = Municipality.objects.get(pk="011002"), Municipality.objects.get(pk="013315")
    Municipality.objects.filter(pk=town.pk).update(boundary={"type": "Polygon", "coordinates": [[[0, 0]] * 4]})
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/regions/municipalities/011002/").content.decode()
    assert f'href="/regions/municipalities/{town.code}/"' in html and town.name in html
    listed = [q["sql"] for q in queries.captured_queries if "regions_municipality_neighbours" in q["sql"]]
    assert len(listed) == 1 and "boundary" not in listed[0] and "population" not in listed[0]
    assert sapporo.neighbours.count() == 1


def test_municipality_page_five_digit_code_redirects(register, client):
    response = client.get("/regions/municipalities/01100/")
    assert response.status_code == 301 and response["Location"] == "/regions/municipalities/011002/"
    assert client.get("/regions/municipalities/011003/").status_code == 404  # bad check digit
    assert client.get("/regions/municipalities/012017/").status_code == 404  # valid but unknown
    assert client.get("/regions/municipalities/abc/").status_code == 404


def test_municipality_page_shows_known_values(register, client):
    Municipality.objects.filter(code="134023").update(
        population=169, population_year=2020, population_source="令和2年国勢調査", area_km2="5.96",
        area_source="国土地理院", fiscal_strength_index="0.09", remote_island=True, depopulated=False)
    html = client.get("/regions/municipalities/134023/").content.decode()
    assert "169人" in html and "令和2年国勢調査" in html and "規模: &lt; 1万" in html
    assert "5.96 km²" in html and "0.09" in html
    assert "<dt>離島地域</dt><dd>該当</dd>" in html and "<dt>過疎地域</dt><dd>非該当</dd>" in html
    assert '<dt>中山間地域</dt><dd><span class="muted">未登録</span>' in html


def test_national_map_page_and_nav(register, client):
    html = client.get("/regions/map/").content.decode()
    assert "全国地図" in html and 'data-chiiki-map' in html and "役所の位置を点で表示" in html
    assert html.index(">全国地図</a>") < html.index(">支援メニュー</a>")
    BoundaryFile.objects.create(name="municipalities", topojson="{}", sha256="x", source="test")
    history.bump("boundaries")  # as load_boundaries does: the cached map page follows the data version
    assert "役所の位置を点で表示" not in client.get("/regions/map/").content.decode()


def test_points(register, client):
    response = client.get("/regions/points.json")
    points = json.loads(response.content)
    assert len(points) == 8
    assert points[0] == {"code": "011002", "name": "札幌市", "prefecture": "01", "kind": "designated_city",
                         "lat": 43.062, "lng": 141.354}
    assert response["ETag"]


def test_national_map_count_links_to_the_register_with_that_many_rows(register, client):
    import re

    html = client.get("/regions/map/").content.decode()
    href, count = re.search(r'全国<a href="([^"]+)">([\d,]+)</a>の市区町村', html).groups()
    listed = client.get(href).content.decode()
    assert re.search(rf"<strong>{count}</strong>件", listed) and int(count.replace(",", "")) == 8
