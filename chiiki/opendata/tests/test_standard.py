"""The 自治体標準オープンデータセット validator: schemas as data, checks per row and column, the public page and API."""

import io

import openpyxl
import pytest

from chiiki.opendata import standard

from .samples import VALID_AED, upload

HEADER = VALID_AED.splitlines()[0]
ROW = VALID_AED.splitlines()[1]


def _check(text, owner=None, encoding="utf-8", name="aed.csv"):
    data = text.encode(encoding) if isinstance(text, str) else text
    return standard.validate(data, name, "aed", owner)


def _messages(report):
    return [(p.row, p.column, p.message) for p in report.problems]


def test_every_schema_loads_with_known_types():
    schemas = standard.schemas()
    assert set(schemas) == {"public_facilities", "evacuation_sites", "aed", "public_toilets", "tourist_facilities",
                            "childcare_facilities"}
    for schema in schemas.values():
        assert schema.columns[0].name == "全国地方公共団体コード" and schema.columns[0].type == "lgcode"
        assert [c.order for c in schema.columns] == list(range(1, len(schema.columns) + 1))
        assert {c.mark for c in schema.columns} <= {"◎", "○", ""}


def test_public_toilets_follow_definition_a():
    """公衆トイレ一覧 as in デジタル庁's データ項目定義書A (2026-08-01, sheet 13; data/README.md): 39 columns, the
    split address, ◎ only on 名称・所在地_連結表記・設置位置, 任意 columns blank."""
    schema = standard.schemas()["public_toilets"]
    names = [c.name for c in schema.columns]
    assert len(names) == 39 and names[:9] == ["全国地方公共団体コード", "ID", "地方公共団体名", "名称", "名称_カナ",
                                              "名称_英語", "所在地_全国地方公共団体コード", "町字ID", "所在地_連結表記"]
    assert names[-1] == "備考" and "住所" not in names and "方書" not in names
    assert [c.name for c in schema.columns if c.required] == ["名称", "所在地_連結表記", "設置位置"]
    assert {c.name: c.mark for c in schema.columns}["地方公共団体名"] == ""
    assert "定義書A" in schema.status


def test_place_code_may_be_another_municipality_of_the_prefecture():
    schema = standard.schemas()["public_toilets"]
    header = [c.name for c in schema.columns]

    def file_with(place_code: str, position: str = "改札階") -> bytes:
        row = {c.name: "" for c in schema.columns}
        row.update({"全国地方公共団体コード": "011002", "名称": "○○駅", "所在地_全国地方公共団体コード": place_code,
                    "所在地_連結表記": "北海道札幌市厚別区青葉町一丁目1-1", "設置位置": position})
        return (",".join(header) + "\n" + ",".join(row[h] for h in header) + "\n").encode("utf-8")

    owner = standard.Owner(municipality="011002", prefecture="01")
    ward = standard.validate(file_with("011088"), "t.csv", "public_toilets", owner)  # 札幌市厚別区
    assert ward.ok, _messages(ward)
    other = standard.validate(file_with("131016"), "t.csv", "public_toilets", owner)  # 東京都千代田区
    assert _messages(other) == [(2, "所在地_全国地方公共団体コード", "公開する団体の都道府県の外の団体コードです")]
    missing = standard.validate(file_with("011088", position=""), "t.csv", "public_toilets", owner)
    assert _messages(missing) == [(2, "設置位置", "必須項目（◎）が空です")]


@pytest.mark.parametrize("encoding,label", [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8（BOM付き）"),
                                            ("cp932", "Shift_JIS（CP932）")])
def test_valid_file_in_each_encoding(encoding, label):
    report = _check(VALID_AED, standard.Owner(municipality="132012", prefecture="13"), encoding)
    assert report.ok and report.rows == 1 and report.encoding == label, _messages(report)


def test_values_are_checked_per_row_and_column():
    bad = ROW.split(",")
    bad[0] = "132013"  # check digit
    bad[8], bad[9] = "北緯35", "200.0"
    bad[16], bad[17] = "8:30", "25:00"
    bad[19] = "2027/03/31"
    bad[20] = "あり"
    bad[15] = "月;;火"
    bad[3] = ""
    report = _check(HEADER + "\n" + ROW + "\n" + ",".join(bad) + "\n")
    found = {(row, column) for row, column, _m in _messages(report)}
    assert found == {(3, "全国地方公共団体コード"), (3, "緯度"), (3, "経度"), (3, "開始時間"), (3, "終了時間"),
                     (3, "パッドの使用期限"), (3, "小児対応設備の有無"), (3, "利用可能曜日"), (3, "名称")}
    messages = dict(((r, c), m) for r, c, m in _messages(report))
    assert "検査数字" in messages[(3, "全国地方公共団体コード")]
    assert "日本の範囲" in messages[(3, "経度")]
    assert "hh:mm" in messages[(3, "開始時間")]
    assert "YYYY-MM-DD" in messages[(3, "パッドの使用期限")]
    assert "必須項目" in messages[(3, "名称")]
    assert not report.ok and report.rows == 2


def test_code_must_be_the_owner_or_within_its_prefecture():
    wrong_city = _check(VALID_AED, standard.Owner(municipality="131016", prefecture="13"))
    assert "公開する団体のコード（131016）と一致しません" in wrong_city.problems[0].message
    assert _check(VALID_AED, standard.Owner(prefecture="13")).ok
    other_pref = _check(VALID_AED, standard.Owner(prefecture="01"))
    assert other_pref.problems[0].message == "公開する都道府県の団体コードではありません"


def test_header_names_and_order():
    columns = HEADER.split(",")
    swapped = columns[:]
    swapped[3], swapped[4] = swapped[4], swapped[3]
    row = ROW.split(",")
    row[3], row[4] = row[4], row[3]
    report = _check(",".join(swapped) + "\n" + ",".join(row) + "\n")
    assert [(p.row, p.message) for p in report.problems] == [(1, "列の順番が標準と異なります（この位置には「名称」）")]
    missing = _check(",".join(c for c in columns if c != "設置位置") + "\n")
    assert (1, "設置位置", "必須項目（◎）の列がありません") in _messages(missing)
    extra = _check(HEADER + ",独自列\n" + ROW + ",x\n")
    assert extra.ok and extra.warnings == 1 and extra.problems[0].column == "独自列"


def test_bounding_box_warns():
    far = standard.Owner(municipality="132012", prefecture="13", bbox=(130.0, 30.0, 131.0, 31.0))
    report = _check(VALID_AED, far)
    assert report.ok and report.warnings == 1 and "区域" in report.problems[0].message


def test_errors_are_capped_with_a_count_of_the_rest():
    row = ROW.replace("08:30", "8時")
    report = _check(HEADER + "\n" + "\n".join([row] * (standard.MAX_PROBLEMS + 50)) + "\n")
    assert report.errors == standard.MAX_PROBLEMS + 50
    assert len(report.problems) == standard.MAX_PROBLEMS and report.omitted == 50


def test_xlsx_and_undecodable_files():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(ROW.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    report = _check(buffer.getvalue(), name="aed.xlsx")
    assert report.encoding == "XLSX" and report.rows == 1, _messages(report)
    assert report.ok, _messages(report)
    broken = _check(b"\xff\xfe\x00\x01garbage\x80\x81", name="x.csv")
    assert not broken.ok and broken.problems[0].row is None


def test_public_page_needs_no_login_and_stores_nothing(db, client, files_dir):
    page = client.get("/opendata/validate/")
    assert page.status_code == 200 and "ファイルを検証" in page.content.decode()
    bad = VALID_AED.replace("08:30", "8時半")
    response = client.post("/opendata/validate/", {"schema": "aed", "file": upload("aed.csv", bad),
                                                   "code": "132012"})
    text = response.content.decode()
    assert response.status_code == 200 and "要修正" in text and "時刻は hh:mm" in text and "8時半" in text
    assert not files_dir.exists()
    response = client.post("/opendata/validate/", {"schema": "aed", "file": upload("aed.csv", VALID_AED),
                                                   "code": "132013"})
    assert "団体コードが正しくありません" in response.content.decode()


def test_api_validate(db, client):
    response = client.post("/api/v1/opendata/validate", {"standard_type": "aed", "file": upload("aed.csv", VALID_AED)})
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["rows"] == 1 and body["encoding"] == "UTF-8"
    bad = client.post("/api/v1/opendata/validate", {"standard_type": "aed",
                                                    "file": upload("aed.csv", VALID_AED.replace(",有,", ",あり,"))})
    assert bad.json()["ok"] is False and bad.json()["problems"][0]["column"] == "小児対応設備の有無"
    unknown = client.post("/api/v1/opendata/validate", {"standard_type": "nope", "file": upload("a.csv", "x")})
    assert unknown.status_code == 422 and "standard_type" in unknown.json()["detail"]


def test_loaded_boundaries_give_the_owner_box(users, catalog, tmp_path, client):
    """The test TopoJSON puts 八王子市 at 139.1–139.2°E × 35.0–35.1°N: the sample's city hall lies outside."""
    from django.core.management import call_command

    from chiiki.opendata import actions
    from chiiki.regions.tests import topo_fixture

    before = client.post("/opendata/validate/", {"schema": "aed", "file": upload("aed.csv", VALID_AED),
                                                 "code": "132012"}).content.decode()
    assert "区域" not in before  # no boundaries loaded: no box, no warning
    topo_fixture.write(tmp_path / "boundaries")
    call_command("load_boundaries", str(tmp_path / "boundaries"), stdout=io.StringIO())
    owner = actions.validation_owner("132012", "13")
    assert owner.bbox == (139.1, 35.0, 139.2, 35.1)
    after = client.post("/opendata/validate/", {"schema": "aed", "file": upload("aed.csv", VALID_AED),
                                                "code": "132012"}).content.decode()
    assert "公開する団体の区域（境界の外接矩形）の外にあります" in after and "準拠" in after
    inside = VALID_AED.replace("35.6664,139.3160", "35.05,139.15")
    report = standard.validate(inside.encode(), "aed.csv", "aed", owner)
    assert report.ok and report.warnings == 0
    assert actions.validation_owner("", "13").bbox == (139.0, 35.0, 139.3, 35.1)
