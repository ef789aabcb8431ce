from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from chiiki.core.models import ChangeRecord
from chiiki.regions.actions import COMPUTED_AREA_SOURCE
from chiiki.regions.models import Municipality

POPULATION_CSV = (
    "団体コード,都道府県名,市区町村名,人口\n"
    '00000,全国,,"126,146,099"\n'
    '13000,東京都,,"14,047,594"\n'
    '13101,東京都,千代田区,"66,680"\n'
    '01100,北海道,札幌市,"1,973,395"\n'
    '01101,北海道,札幌市中央区,"248,680"\n'
    "13402,東京都,青ヶ島村,169\n"
)


def population(code):
    m = Municipality.objects.get(code=code)
    return m.population, m.population_year, m.population_source


def run(command, path, *args):
    out = StringIO()
    call_command(command, str(path), *args, stdout=out)
    return out.getvalue()


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_population_from_csv_in_every_encoding(register, tmp_path, encoding):
    path = write(tmp_path, "pop.csv", POPULATION_CSV, encoding)
    output = run("import_population", path, "--year", "2020", "--source", "令和2年国勢調査")
    assert population("131016") == (66680, 2020, "令和2年国勢調査")
    assert population("011002") == (1973395, 2020, "令和2年国勢調査")
    assert population("134023") == (169, 2020, "令和2年国勢調査")
    assert population("132012") == (None, None, "")  # not in the file: stays unknown
    assert "更新3件" in output and "読み飛ばし3行" in output


def test_population_from_xlsx_with_custom_columns(register, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["地域コード", "地域", "総人口（2020年）"])
    sheet.append(["13101", "千代田区", 66680])
    sheet.append(["1100", "札幌市", 1973395])  # Excel dropped the leading zero
    path = tmp_path / "pop.xlsx"
    workbook.save(path)
    output = run("import_population", path, "--code-column", "地域コード", "--population-column", "総人口（2020年）")
    assert population("131016")[:2] == (66680, 2020)  # year from the column name
    assert population("011002")[:2] == (1973395, 2020)
    assert "（2020年）" in output


def test_population_history_and_idempotency(register, tmp_path):
    path = write(tmp_path, "pop.csv", POPULATION_CSV)
    run("import_population", path, "--year", "2020")
    record = ChangeRecord.objects.get(object_id="131016")
    assert record.after["population"] == 66680 and record.before["population"] is None
    assert record.source == "import" and record.actor_label == "システム"
    assert record.municipality_id == "131016"
    version = Municipality.objects.get(code="131016").version
    output = run("import_population", path, "--year", "2020")
    assert "更新0件・変更なし3件" in output
    assert ChangeRecord.objects.filter(object_id="131016").count() == 1
    assert Municipality.objects.get(code="131016").version == version


def test_bad_rows_are_all_named_and_nothing_is_written(register, tmp_path):
    path = write(tmp_path, "bad.csv", (
        "団体コード,人口\n"
        "13101,66680\n"
        "13102,5\n"          # 2: check digit of a code not in the register → unknown
        "13201,abc\n"
        "01100,\n"
        "99,10\n"
        "13101,3\n"
        "13402,-4\n"
        ",7\n"
    ))
    with pytest.raises(CommandError) as error:
        run("import_population", path, "--year", "2020")
    message = str(error.value)
    assert "何も変更していません" in message
    for expected in [
        "3行目 列「団体コード」: 登録されていない団体コードです: 131024",
        "4行目 列「人口」: 人口は整数で入力してください: 'abc'",
        "5行目 列「人口」: 人口が空です",
        "6行目 列「団体コード」",
        "7行目 列「団体コード」: 千代田区（131016）が重複しています（2行目）",
        "8行目 列「人口」: 人口は0〜200,000,000の整数で入力してください: '-4'",
        "9行目 列「団体コード」: 団体コードが空です",
    ]:
        assert expected in message
    assert not Municipality.objects.exclude(population=None).exists()
    assert not ChangeRecord.objects.exists()


def test_missing_column_year_and_file(register, tmp_path):
    path = write(tmp_path, "pop.csv", "コード,人口\n13101,1\n")
    with pytest.raises(CommandError, match="必須の列がありません: 団体コード"):
        run("import_population", path, "--year", "2020")
    with pytest.raises(CommandError, match="--year"):
        run("import_population", write(tmp_path, "p2.csv", "団体コード,人口\n13101,1\n"))
    with pytest.raises(CommandError, match="ファイルがありません"):
        run("import_population", tmp_path / "none.csv", "--year", "2020")


def test_population_file_over_the_size_limit_is_refused(register, tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 100
    path = write(tmp_path, "pop.csv", POPULATION_CSV)
    with pytest.raises(CommandError, match=r"pop.csv: (.|\n)*ファイル: ファイルが大きすぎます（100バイトまで）"):
        run("import_population", path, "--year", "2020")
    assert not Municipality.objects.exclude(population=None).exists()


def test_only_admins_may_import(users, tmp_path):
    path = write(tmp_path, "pop.csv", POPULATION_CSV)
    for username in ["tokyo-pref", "hachioji", "advisor"]:
        with pytest.raises(CommandError, match="権限がありません"):
            run("import_population", path, "--year", "2020", "--user", username)
    with pytest.raises(CommandError, match="見つかりません"):
        run("import_population", path, "--year", "2020", "--user", "nobody")
    run("import_population", path, "--year", "2020", "--user", "admin")
    assert ChangeRecord.objects.get(object_id="131016").actor_label == "admin"


def test_former_ward_codes_are_skipped_not_refused(register, tmp_path):
    """2020 census tables list 浜松市's pre-2024 wards (e.g. 22131 中区); 札幌市's 01101 is in wards.csv."""
    from chiiki.regions.models import Prefecture

    Municipality.objects.create(code="221309", name="浜松市", kana="ハママツシ", kind="designated_city",
                                prefecture=Prefecture.objects.create(code="22", lg_code="220001", name="静岡県",
                                                                     kana="シズオカケン"))
    path = write(tmp_path, "pop.csv", "団体コード,人口\n22130,790718\n22131,100000\n01101,248680\n22201,2\n")
    with pytest.raises(CommandError) as error:
        run("import_population", path, "--year", "2020")
    assert "5行目" in str(error.value) and "2行目" not in str(error.value) and "3行目" not in str(error.value)
    path = write(tmp_path, "pop.csv", "団体コード,人口\n22130,790718\n22131,100000\n01101,248680\n")
    assert "読み飛ばし2行" in run("import_population", path, "--year", "2020")
    assert population("221309")[0] == 790718


def test_official_area_replaces_the_computed_one(register, tmp_path):
    Municipality.objects.filter(code="131016").update(area_km2=Decimal("11.55"), area_source=COMPUTED_AREA_SOURCE)
    path = write(tmp_path, "area.csv", "団体コード,市区町村,面積（km2）\n131016,千代田区,11.66\n011002,札幌市,\"1,121.26\"\n")
    output = run("import_area", path, "--area-column", "面積（km2）")
    chiyoda = Municipality.objects.get(code="131016")
    assert chiyoda.area_km2 == Decimal("11.66")
    assert chiyoda.area_source == "国土地理院「全国都道府県市区町村別面積調」"
    assert Municipality.objects.get(code="011002").area_km2 == Decimal("1121.26")
    assert "面積: 更新2件" in output
    assert ChangeRecord.objects.get(object_id="131016").before["area_source"] == COMPUTED_AREA_SOURCE


def test_bad_area_rows(register, tmp_path):
    path = write(tmp_path, "area.csv", "団体コード,面積\n131016,0\n011002,広い\n")
    with pytest.raises(CommandError) as error:
        run("import_area", path)
    assert "2行目 列「面積」: 面積は0より大きく" in str(error.value)
    assert "3行目 列「面積」: 面積は数値（km²）で入力してください" in str(error.value)
    assert not Municipality.objects.exclude(area_km2=None).exists()


def test_file_with_only_total_rows_is_refused(register, tmp_path):
    path = write(tmp_path, "pop.csv", '団体コード,人口\n00000,"126,146,099"\n13000,1\n')
    with pytest.raises(CommandError, match="取り込める市区町村の行がありません"):
        run("import_population", path, "--year", "2020")


def test_pages_show_unregistered_until_imported(register, client, tmp_path):
    page = client.get("/regions/municipalities/131016/").content.decode()
    assert page.count("未登録") >= 6  # population, area, 財政力指数, 3 flags
    run("import_population", write(tmp_path, "pop.csv", POPULATION_CSV), "--year", "2020", "--source", "国勢調査")
    page = client.get("/regions/municipalities/131016/").content.decode()
    assert "66,680人" in page and "2020年・国勢調査" in page


def test_an_attribute_saved_while_an_import_is_planned_is_neither_lost_nor_overwritten(users, register, client_for,
                                                                                        monkeypatch):
    """An officer saves the municipality's attributes after the import read the rows and before it writes: the
    import refuses whole (its plan and history came from the older row); run again, it applies on top, and the
    version moves once per write, so a page opened in between gets its conflict."""
    from chiiki.core import history
    from chiiki.regions import actions
    from chiiki.regions.imports import FISCAL_INDICES

    planned = history.change_record

    def officer_saves_meanwhile(*args, **kwargs):
        monkeypatch.setattr(history, "change_record", planned)
        actions.update_municipality_attributes(users["hachioji"], Municipality.objects.get(pk="132012"),
                                               {"depopulated": True}, 1)
        return planned(*args, **kwargs)

    monkeypatch.setattr(history, "change_record", officer_saves_meanwhile)
    data = "団体コード,財政力指数\n132012,0.88\n".encode()
    refused = FISCAL_INDICES.run(users["admin"], data, "indices.csv", fiscal_year="2022")
    assert not refused.committed and "取込の間に八王子市（132012）の登録内容が更新されました" in str(refused.problems)
    hachioji = Municipality.objects.get(pk="132012")
    assert (hachioji.depopulated, hachioji.fiscal_strength_index, hachioji.version) == (True, None, 2)

    again = FISCAL_INDICES.run(users["admin"], data, "indices.csv", fiscal_year="2022")
    assert again.committed, again.problems
    hachioji.refresh_from_db()
    assert (hachioji.depopulated, hachioji.fiscal_strength_index, hachioji.version) == (True, Decimal("0.88"), 3)
    stale = client_for(users["hachioji"]).post("/regions/municipalities/132012/edit/", {
        "fiscal_strength_index": "", "depopulated": "true", "remote_island": "", "mountainous": "", "version": "2"})
    assert stale.status_code == 409
    hachioji.refresh_from_db()
    assert hachioji.fiscal_strength_index == Decimal("0.88")
