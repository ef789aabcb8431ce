"""The catalog as reference data: loading, idempotency, admin edits kept, malformed files rejected."""

import shutil

import pytest
from django.core.management import call_command

from chiiki.core.errors import DataFileError
from chiiki.core.models import ChangeRecord
from chiiki.programs.models import SupportProgram
from chiiki.programs.reference import load_catalog

from .conftest import DATA_DIR


def test_loads_all_25_programs_with_rules(catalog):
    assert len(catalog) == 25
    plan = catalog["MIC-DX-PKG-PLAN"]
    assert str(plan.fiscal_index_lt) == "1.00" and plan.support_type == "structure"
    wifi = catalog["MIC-PUBLIC-WIFI"]
    assert str(wifi.fiscal_index_le) == "0.80" and wifi.area_logic == "any"
    assert set(wifi.sectors) == {"disaster", "tourism"} and not wifi.all_sectors
    furusato = catalog["CAO-KIGYOBAN-FURUSATO"]
    assert "13" in furusato.excluded_prefectures and str(furusato.excluded_fiscal_index_ge) == "1.00"
    assert catalog["MIC-ICT-ADVISOR"].windows == "monthly:4-12"
    assert catalog["MHLW-IRYOKAIGO-KIKIN"].entity_kinds == ["prefecture"]
    assert catalog["PRIV-GCF"].min_project_yen == 2000


def test_loading_twice_changes_nothing(catalog):
    before = ChangeRecord.objects.count()
    summary = load_catalog(data_dir=DATA_DIR)
    assert "新規0件・更新0件・変更なし25件" in summary
    assert ChangeRecord.objects.count() == before
    assert SupportProgram.objects.filter(version=1).count() == 25


def test_admin_edits_survive_reload_unless_forced(catalog, users):
    from chiiki.programs.actions import save_program
    from chiiki.programs.catalog import row_of

    program = catalog["MIC-ICT-ADVISOR"]
    row = row_of(program)
    row["summary"] = "事務局が修正した概要"
    save_program(users["admin"], program, row, version=program.version)
    summary = load_catalog(data_dir=DATA_DIR)
    assert "管理者の編集を保持1件" in summary
    assert SupportProgram.objects.get(public_id="MIC-ICT-ADVISOR").summary == "事務局が修正した概要"
    load_catalog(data_dir=DATA_DIR, force=True)
    reloaded = SupportProgram.objects.get(public_id="MIC-ICT-ADVISOR")
    assert reloaded.summary.startswith("ICTの専門家を派遣する") and not reloaded.edited_since_load


@pytest.mark.parametrize("column, value, message", [
    ("kind", "loan", "「loan」は使えません"),
    ("fiscal_index_lt", "abc", "数値で入力してください"),
    ("sectors", "space", "未登録の分野コードです: space"),
    ("windows", "2026-05-01..2026-04-01", "締切日が開始日より前です"),
])
def test_malformed_file_names_file_row_and_column(register, tmp_path, column, value, message):
    import csv

    rows = list(csv.DictReader((DATA_DIR / "support_programs.csv").open(encoding="utf-8")))
    rows[2][column] = value
    with (tmp_path / "support_programs.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(DataFileError) as exc:
        load_catalog(data_dir=tmp_path)
    text = str(exc.value)
    assert "support_programs.csv" in text and "4行目" in text and f"列「{column}」" in text and message in text
    assert SupportProgram.objects.count() == 0


def test_load_reference_command_loads_the_catalog(db, tmp_path):
    """The shared load_reference command runs this loader after the register and sectors."""
    for name in ("municipalities.csv", "sectors.csv", "support_programs.csv"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    for extra in DATA_DIR.glob("*.csv"):
        if not (tmp_path / extra.name).exists():
            shutil.copy(extra, tmp_path / extra.name)
    from io import StringIO

    out = StringIO()
    call_command("load_reference", "--data-dir", str(tmp_path), "--no-progress", stdout=out)
    assert "支援メニュー: 新規25件" in out.getvalue()
    out = StringIO()
    call_command("load_reference", "--data-dir", str(tmp_path), "--no-progress", stdout=out)
    assert "支援メニュー: 新規0件・更新0件・変更なし25件" in out.getvalue()
