"""Every count of municipalities on the 見える化 pages links to a list holding exactly that many rows, even when
a municipality has several implemented sectors (records?per=municipality), and the trend table links too."""

import re

import pytest

from chiiki.core.tabular import read_table

from .test_pages import seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_sectors(register):
    # 千代田区 implemented in two sectors: 3 implemented cells, 2 municipalities.
    seed(["131016,disaster,2024,piloting,,", "131016,disaster,2026,implemented,,",
          "131016,education,2025,self_sustaining,,", "132012,disaster,2026,self_sustaining,,",
          "011002,health,2026,considering,,"])


def _listed(client, href) -> tuple[int, str]:
    html = client.get(href.replace("&amp;", "&")).content.decode()
    count = re.search(r'data-testid="records-count">([\d,]+)<', html).group(1)
    return int(count.replace(",", "")), html


def test_kpi_and_any_sector_trend_link_to_one_row_per_municipality(client, two_sectors):
    html = client.get("/progress/?fiscal_year=2026").content.decode()
    kpi = re.search(r'href="([^"]+)" data-testid="kpi-achieved">(\d+)<', html)
    assert kpi.group(2) == "2"
    count, listed = _listed(client, kpi.group(1))
    assert count == 2 and "団体ごと" in listed
    assert "千代田区" in listed and "八王子市" in listed and "札幌市" not in listed
    # The same filter per sector lists the 3 implemented cells.
    assert _listed(client, kpi.group(1) + "&per=cell")[0] == 3


def test_trend_table_numbers_link_to_their_rows(client, two_sectors):
    html = client.get("/progress/?fiscal_year=2026").content.decode()
    table = re.search(r'<details class="progress-trend-table">(.*?)</details>', html, re.S).group(1)
    links = re.findall(r'href="(/progress/records/\?[^"]+)">([\d,]+)</a>', table)
    years = re.findall(r'<th scope="col" class="num">(\d+)年度</th>', table)
    sectors = re.findall(r'<tr><th scope="row">', table)
    assert len(links) == len(years) * len(sectors) and links
    seen = set()
    for href, number in links:
        count, _html = _listed(client, href)
        assert count == int(number.replace(",", "")), href
        seen.add((href.split("fiscal_year=")[1].split("&")[0], number))
    assert ("2026", "2") in seen and ("2025", "1") in seen  # any sector: 2026 → 2 municipalities, 2025 → 千代田区


def test_prefecture_comparison_counts_link_to_that_many_municipalities(client, two_sectors):
    html = client.get("/progress/prefectures/?fiscal_year=2026").content.decode()
    row = re.search(r'東京都</a></th>(.*?)</tr>', html, re.S).group(1)
    (total_href, total), (impl_href, implemented) = re.findall(r'href="([^"]+)">([\d,]+)</a>', row)[:2]
    assert implemented == "2"
    assert _listed(client, total_href)[0] == int(total.replace(",", ""))
    assert _listed(client, impl_href)[0] == 2
    prefecture = client.get("/progress/prefectures/13/?fiscal_year=2026").content.decode()
    lead = re.search(r'段階（<a href="([^"]+)">(\d+)</a>団体）', prefecture)
    assert _listed(client, lead.group(1))[0] == int(lead.group(2)) == int(total.replace(",", ""))


def test_rankings_group_list_keeps_the_prefecture_filter(client, two_sectors):
    html = client.get("/progress/rankings/?fiscal_year=2026&group=core_city:unknown&prefecture=13").content.decode()
    link = re.search(r'href="([^"]+)" data-testid="group-records">このグループの進捗一覧（(\d+)団体）', html)
    rows = re.findall(r'<tr data-code="(\d+)"', html)
    assert int(link.group(2)) == len(rows) and "prefecture=13" in link.group(1)
    count, listed = _listed(client, link.group(1))
    assert count == len(rows) and "八王子市" in listed


def test_similar_municipality_score_links_to_its_records(client, two_sectors):
    html = client.get("/progress/municipalities/011002/?fiscal_year=2026").content.decode()
    table = re.search(r'<table class="data progress-similar[^"]*">(.*?)</table>', html, re.S).group(1)
    assert re.search(r'<td class="num"[^>]*><a href="/progress/records/\?fiscal_year=2026&amp;municipality=013315">', table)


def test_municipality_list_export_has_one_row_per_municipality_with_japanese_headers(client, two_sectors):
    url = "/progress/records/?fiscal_year=2026&implemented_any=1&stage=implemented&stage=self_sustaining&format="
    rows = read_table(client.get(url + "csv").content, "m.csv")
    assert rows.header == ["団体コード", "都道府県", "団体名", "区分", "該当する分野と段階"]
    by_code = {r.values["団体コード"]: r.values for r in rows.rows}
    assert set(by_code) == {"131016", "132012"}
    assert by_code["131016"]["該当する分野と段階"] == "教育（自走・2025年度から繰越）・防災（実装済）"
    xlsx = read_table(client.get(url + "xlsx").content, "m.xlsx")
    assert [r.values for r in xlsx.rows] == [r.values for r in rows.rows]
    # per=cell keeps the import format
    cells = read_table(client.get(url.replace("format=", "per=cell&format=") + "csv").content, "c.csv")
    assert cells.header[0] == "団体コード" and len(cells.rows) == 3


def test_municipality_view_empty_state(client, two_sectors):
    html = client.get("/progress/records/?fiscal_year=2026&prefecture=47&stage=self_sustaining&per=municipality"
                      ).content.decode()
    assert 'data-testid="records-count">0<' in html and "条件に合う進捗はありません" in html


def test_an_invalid_municipality_code_is_said_and_lists_nothing(client, two_sectors):
    """A mistyped code does not silently drop the filter (which would list every municipality's rows)."""
    html = client.get("/progress/records/?fiscal_year=2026&municipality=1310x").content.decode()
    assert 'data-testid="records-count">0<' in html and 'aria-invalid="true"' in html
    assert "団体コードは数字で入力してください" in html and 'value="1310x"' in html
    bad_digit = client.get("/progress/records/?fiscal_year=2026&municipality=131017").content.decode()
    assert "チェックディジットが正しくありません" in bad_digit and 'records-count">0<' in bad_digit
    export = read_table(client.get("/progress/records/?fiscal_year=2026&municipality=1310x&format=csv").content, "e.csv")
    assert export.rows == []
    five_digits = client.get("/progress/records/?fiscal_year=2026&municipality=13101").content.decode()
    assert 'records-count">8<' in five_digits and "aria-invalid" not in five_digits  # 5 digits + check digit


def test_prefecture_share_links_to_the_implemented_municipalities(client, two_sectors):
    html = client.get("/progress/prefectures/?fiscal_year=2026").content.decode()
    row = re.search(r'東京都</a></th>(.*?)</tr>', html, re.S).group(1)
    links = re.findall(r'<a href="([^"]+)"[^>]*>([\d.,]+)%?</a>', row)
    implemented, share = links[1], links[2]
    assert share[0] == implemented[0] and _listed(client, share[0])[0] == int(implemented[1]) == 2


def test_a_municipality_with_demo_records_is_marked_once_in_the_per_municipality_list(client, two_sectors):
    from chiiki.progress.models import ProgressRecord, Source

    ProgressRecord.objects.filter(municipality_id="131016").update(source=Source.DEMO)
    html = client.get("/progress/records/?fiscal_year=2026&implemented_any=1").content.decode()
    rows = dict(re.findall(r'<td data-label="団体コード">(\d+)</td>(.*?)</tr>', html, re.S))
    assert rows["131016"].count("badge--demo") == 1  # two demo cells, one mark
    assert "badge--demo" not in rows["132012"]


def test_prefecture_comparison_counts_the_municipalities_not_yet_reported(client, register):
    """The survey's comparison: per prefecture, the municipalities still to report the 年度 (a carried-over
    record is not a report), linked to exactly those municipalities, and the same number in the export."""
    every = ["education", "health", "work", "disaster", "agriculture", "business", "tourism", "public_private"]
    seed([f"131016,{sector},2026,considering,," for sector in every]  # 千代田区: every sector in 2026
         + [f"132012,{sector},2025,considering,," for sector in every]  # 八王子市: only last year's
         + ["134023,disaster,2026,planned,,"])
    html = client.get("/progress/prefectures/?fiscal_year=2026").content.decode()
    row = re.search(r'東京都</a></th>(.*?)</tr>', html, re.S).group(1)
    href, number = re.findall(r'href="([^"]+)"[^>]*>([\d,]+)</a>', row)[-1]
    assert "unreported=1" in href and number == "2"
    count, listed = _listed(client, href)
    assert count == 2 and "八王子市" in listed and "青ヶ島村" in listed and "千代田区" not in listed
    # One sector: 青ヶ島村 has reported 防災 this 年度, 八王子市 has not.
    html = client.get("/progress/prefectures/?fiscal_year=2026&sector=disaster").content.decode()
    row = re.search(r'東京都</a></th>(.*?)</tr>', html, re.S).group(1)
    href, number = re.findall(r'href="([^"]+)"[^>]*>([\d,]+)</a>', row)[-1]
    count, listed = _listed(client, href)
    assert number == "1" and count == 1 and "八王子市" in listed and "青ヶ島村" not in listed
    exported = read_table(client.get("/progress/prefectures/?fiscal_year=2026&format=csv").content, "x.csv")
    tokyo = next(r for r in exported.rows if r.get("都道府県") == "東京都")
    assert tokyo.get("2026年度の未報告の団体数") == "2"


def test_the_prefecture_page_sums_its_sectors_by_stage_with_links_and_export(client, two_sectors):
    """The 知事's figures: per sector, how many of the prefecture's municipalities stand at each stage; every number
    opens exactly those rows, and the export holds the same numbers."""
    html = client.get("/progress/prefectures/13/?fiscal_year=2026").content.decode()
    table = re.search(r'data-testid="prefecture-breakdown">(.*?)</table>', html, re.S).group(1)
    disaster = re.search(r'<th scope="row">防災</th>(.*?)</tr>', table, re.S).group(1)
    numbers = re.findall(r'href="([^"]+)"[^>]*>([\d,]+)</a>', disaster)
    assert [n for _href, n in numbers] == ["1", "0", "0", "0", "1", "1"]  # 青ヶ島村 未着手, 千代田区, 八王子市
    for href, number in numbers:
        assert _listed(client, href)[0] == int(number), href
    exported = read_table(client.get("/progress/prefectures/13/?fiscal_year=2026&table=sectors&format=csv").content,
                          "x.csv")
    row = next(r for r in exported.rows if r.get("分野") == "防災")
    assert [row.get(label) for label in ("未着手", "実装済", "自走", "団体数")] == ["1", "1", "1", "3"]


def test_the_unreported_list_links_each_municipality_its_officer_may_edit_to_its_entry_page(client_for, users):
    """A prefecture chasing 未報告 opens each municipality's entry page from the list, and only where it may enter."""
    url = "/progress/records/?fiscal_year=2026&prefecture=13&unreported=1"
    by_municipality = client_for(users["tokyo"]).get(url + "&per=municipality").content.decode()
    assert 'href="/progress/entry/132012/?fiscal_year=2026"' in by_municipality
    by_cell = client_for(users["tokyo"]).get(url + "&per=cell").content.decode()
    assert re.search(r'href="/progress/entry/132012/\?fiscal_year=2026#entry-\w+"', by_cell)
    own = client_for(users["hachioji"]).get(url + "&per=municipality").content.decode()
    assert 'href="/progress/entry/132012/' in own and 'href="/progress/entry/134023/' not in own
    for outsider in (None, users["sapporo"], users["advisor"]):
        assert "entry-link" not in client_for(outsider).get(url + "&per=municipality").content.decode()


def test_the_unreported_list_says_which_stages_are_carried_over_and_which_have_no_record(client, register):
    """A carried-over 実装済 is still to report this 年度: the list and its export must not read as a report."""
    seed(["132012,disaster,2025,implemented,,", "132012,education,2026,planned,,"])
    url = "/progress/records/?fiscal_year=2026&municipality=132012&unreported=1&per=municipality"
    html = client.get(url).content.decode()
    assert "防災 <span class=\"stage stage--implemented\">実装済</span><span class=\"small muted\">（2025年度から繰越）" in html
    assert "（記録なし）" in html and "教育" not in html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    exported = read_table(client.get(url + "&format=csv").content, "u.csv").rows[0].values["該当する分野と段階"]
    assert "防災（実装済・2025年度から繰越）" in exported and "（未着手・記録なし）" in exported
    assert "教育" not in exported
