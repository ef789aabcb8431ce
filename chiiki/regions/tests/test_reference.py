import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from chiiki.core.codes import is_valid_code
from chiiki.core.models import ChangeRecord
from chiiki.regions.management.commands.load_reference import REFERENCE_LOADERS
from chiiki.regions.models import Municipality, Prefecture
from chiiki.roadmap.models import Sector, SectorModel

DATA = Path(settings.BASE_DIR) / "data"


def run(*args) -> str:
    out = StringIO()
    call_command("load_reference", "--no-progress", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def data_dir(tmp_path):
    directory = tmp_path / "data"
    directory.mkdir()
    for name in ("municipalities.csv", "sectors.csv", "kpis.csv", "wards.csv"):
        shutil.copy(DATA / name, directory / name)
    # Other teams' loaders (appended to REFERENCE_LOADERS) need their files too.
    for extra in DATA.glob("*.csv"):
        if not (directory / extra.name).exists():
            shutil.copy(extra, directory / extra.name)
    return directory


def edit(path: Path, old: str, new: str):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_loads_the_national_register(db):
    output = run()
    assert Prefecture.objects.count() == 47
    assert Municipality.objects.count() == 1741
    assert all(is_valid_code(code) for code in Municipality.objects.values_list("code", flat=True))
    assert all(is_valid_code(code) for code in Prefecture.objects.values_list("lg_code", flat=True))
    sapporo = Municipality.objects.get(code="011002")
    assert (sapporo.name, sapporo.kind, sapporo.prefecture_id) == ("札幌市", "designated_city", "01")
    chiyoda = Municipality.objects.get(code="131016")
    assert (chiyoda.name, chiyoda.kind, chiyoda.kana_folded) == ("千代田区", "special_ward", "チヨダク")
    tokyo = Prefecture.objects.get(code="13")
    assert (tokyo.lg_code, tokyo.name) == ("130001", "東京都")
    counts = {kind: Municipality.objects.filter(kind=kind).count() for kind in
              ["designated_city", "core_city", "city", "special_ward", "town", "village"]}
    assert counts == {"designated_city": 20, "core_city": 62, "city": 710, "special_ward": 23, "town": 743,
                      "village": 183}
    assert Sector.objects.count() == 8
    assert list(Sector.objects.values_list("code", flat=True)[:2]) == ["education", "health"]
    assert list(Sector.objects.get(code="agriculture").models.values_list("name", flat=True)) == [
        "スマート農業", "スマート林業", "スマート漁業", "鳥獣害対策"]
    assert "新規1788件" in output and "参照データの読み込みが完了しました" in output
    # Kana quirks of the official list are kept; folding makes search work either way.
    assert Municipality.objects.get(code="064289").kana_folded == "シヨウナイマチ"
    # Area and the 過疎/離島/中山間 flags are in no file: nothing is invented (population comes from the census file).
    assert not Municipality.objects.exclude(area_km2=None).exists()
    assert not Municipality.objects.exclude(depopulated=None).exists()
    assert not Municipality.objects.filter(population=None).exists()


def test_second_run_changes_nothing(db):
    run()
    records = ChangeRecord.objects.count()
    output = run()
    assert "新規0件・更新0件（変更なし）" in output
    assert "分野: 8分野・モデル27件を確認、新規0件・更新0件・モデルの変更0件（変更なし）" in output
    assert ChangeRecord.objects.count() == records
    assert Municipality.objects.count() == 1741


def test_changed_rows_are_updated_with_history(db, data_dir):
    run("--data-dir", str(data_dir))
    edit(data_dir / "municipalities.csv", "131016,13,東京都,千代田区,チヨダク", "131016,13,東京都,千代田区,チヨダクX")
    edit(data_dir / "sectors.csv", "テレワーク;サテライトオフィス", "テレワーク")
    output = run("--data-dir", str(data_dir))
    assert "新規0件・更新1件" in output
    assert Municipality.objects.get(code="131016").kana == "チヨダクX"
    record = ChangeRecord.objects.get(model="regions.municipality", object_id="131016", after__has_key="kana",
                                    action="update")
    assert record.before == {"kana": "チヨダク"} and record.after == {"kana": "チヨダクX"}
    assert record.source == "reference" and record.actor_label == "システム"
    assert list(SectorModel.objects.filter(sector_id="work").values_list("name", flat=True)) == ["テレワーク"]
    assert ChangeRecord.objects.filter(model="roadmap.sectormodel", action="delete").count() == 1


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("131016,13,東京都,千代田区", "131017,13,東京都,千代田区", r"(?s)municipalities.csv.*行目 列「code」: チェックディジットが正しくありません: '131017'"),
    ("131016,13,東京都,千代田区,チヨダク,special_ward", "131016,13,東京都,千代田区,チヨダク,ward",
     "列「kind」: 区分が正しくありません: 'ward'"),
    ("131016,13,", "131016,14,", "列「prefecture_code」: 団体コードの先頭2桁（13）と一致しません"),
    ("011002,01,北海道,札幌市", "131016,13,東京都,札幌市", "列「code」: 団体コード 131016 が重複しています"),
    ("35.69388889", "北緯35", "列「lat」: 数値ではありません"),
    ("code,prefecture_code", "kode,prefecture_code", "1行目: 必須の列がありません: code"),
])
def test_malformed_file_fails_naming_row_and_column_and_writes_nothing(db, data_dir, old, new, expected):
    edit(data_dir / "municipalities.csv", old, new)
    with pytest.raises(CommandError, match=expected):
        run("--data-dir", str(data_dir))
    assert Municipality.objects.count() == 0 and Prefecture.objects.count() == 0


def test_error_names_the_row_number_as_in_the_file(db, data_dir):
    edit(data_dir / "municipalities.csv", "131016,13,東京都,千代田区", "131017,13,東京都,千代田区")
    lines = (data_dir / "municipalities.csv").read_text(encoding="utf-8").splitlines()
    row = next(i for i, line in enumerate(lines, start=1) if line.startswith("131017"))
    with pytest.raises(CommandError) as error:
        run("--data-dir", str(data_dir))
    assert f"{row}行目 列「code」" in str(error.value)


def test_malformed_sectors_file(db, data_dir):
    edit(data_dir / "sectors.csv", "work,働き方", "education,働き方")
    with pytest.raises(CommandError, match=r"sectors.csv 4行目 列「code」: 分野コード education が重複しています"):
        run("--data-dir", str(data_dir))


def test_missing_file_or_directory(db, tmp_path):
    with pytest.raises(CommandError, match="municipalities.csv: ファイルがありません"):
        run("--data-dir", str(tmp_path))
    with pytest.raises(CommandError, match="ディレクトリがありません"):
        run("--data-dir", str(tmp_path / "nope"))


def test_loader_list_starts_with_register_and_sectors():
    assert REFERENCE_LOADERS[:2] == ["chiiki.regions.reference.load", "chiiki.roadmap.reference.load"]


def test_population_in_file_is_used_but_never_overwrites_an_import(db, data_dir):
    edit(data_dir / "municipalities.csv", "35.69388889,139.7536111,,", "35.69388889,139.7536111,66680,11.66")
    run("--data-dir", str(data_dir))
    chiyoda = Municipality.objects.get(code="131016")
    assert (chiyoda.population, chiyoda.population_year, str(chiyoda.area_km2)) == (66680, 2020, "11.66")
    Municipality.objects.filter(code="131016").update(population=66000, population_source="住民基本台帳")
    run("--data-dir", str(data_dir))
    assert Municipality.objects.get(code="131016").population == 66000
    run("--data-dir", str(data_dir), "--force")
    # --force rewrites from the files; the census file, loaded after the register, has the last word.
    assert Municipality.objects.get(code="131016").population == 66758


def test_progress_bar_is_drawn_when_asked(db):
    from django.core.management.base import OutputWrapper

    from chiiki.regions.reference import load

    buffer = StringIO()
    summary = load(data_dir=DATA, force=False, stdout=OutputWrapper(buffer), progress=True)
    assert "団体 [" in buffer.getvalue() and "] 1788/1788" in buffer.getvalue()
    assert summary.startswith("団体: 都道府県47・市区町村1741件")


def test_what_the_reference_files_add_or_move_is_in_history(db, data_dir):
    """Only updates and removed models were recorded: the municipalities, prefectures, 分野 and models a load adds
    and the models it reorders left no trace."""
    from chiiki.regions.models import Prefecture

    run("--data-dir", str(data_dir))
    created = ChangeRecord.objects.filter(action="create", source="reference")
    assert created.filter(model="regions.municipality").count() == Municipality.objects.count() == 1741
    assert created.filter(model="regions.prefecture").count() == Prefecture.objects.count() == 47
    assert created.filter(model="roadmap.sector").count() == 8
    assert created.filter(model="roadmap.sectormodel").count() == SectorModel.objects.count()
    hachioji = created.get(model="regions.municipality", object_id="132012")
    assert hachioji.after["name"] == "八王子市" and hachioji.municipality_id == "132012"
    assert "kana_folded" not in hachioji.after
    edit(data_dir / "sectors.csv", "テレワーク;サテライトオフィス", "サテライトオフィス;テレワーク;ワーケーション")
    edit(data_dir / "capabilities.csv", "テレワーク相談;中小企業;働き方改革,テレワーク",
         "テレワーク相談;中小企業;働き方改革,テレワーク;ワーケーション")
    output = run("--data-dir", str(data_dir))
    assert "モデルの変更3件" in output
    added = SectorModel.objects.get(sector_id="work", name="ワーケーション")
    assert created.get(model="roadmap.sectormodel", object_id=str(added.pk)).after == {
        "sector_id": "work", "name": "ワーケーション", "order": 2}
    moved = SectorModel.objects.get(sector_id="work", name="テレワーク")
    update = ChangeRecord.objects.get(model="roadmap.sectormodel", object_id=str(moved.pk), action="update")
    assert (update.before, update.after) == ({"order": 0}, {"order": 1})


def test_a_reload_moves_the_versions_of_the_municipalities_it_changes(db, data_dir):
    """An officer's attribute form or a figure import's preview read before the reload is refused afterwards."""
    run("--data-dir", str(data_dir))
    Municipality.objects.filter(code="131016").update(name="千代田")  # the register's fields only
    versions = dict(Municipality.objects.values_list("code", "version"))

    run("--data-dir", str(data_dir))

    chiyoda = Municipality.objects.get(code="131016")
    assert chiyoda.name == "千代田区"
    assert chiyoda.version == versions["131016"] + 1
    assert Municipality.objects.get(code="011002").version == versions["011002"]  # unchanged, not moved
