"""A row without 団体コード is read past as a 合計行 only when its name is a total's (全国, 合計, 東京都計…); one
whose note merely contains 計 (推計, 統計, 会計) is named as a problem, on the command line and on the web."""

import re
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from chiiki.core.models import ChangeRecord
from chiiki.regions.models import Municipality

BLANK_CODE_WITH_NOTE = ("団体コード,団体名,人口,備考\n"
                        "132012,八王子市,579355,\n"
                        ",千代田区,66680,推計人口\n")  # the code cell left blank by mistake


def test_a_row_without_code_is_named_even_if_a_note_contains_kei(register, tmp_path):
    path = tmp_path / "population.csv"
    path.write_text(BLANK_CODE_WITH_NOTE, encoding="utf-8")
    with pytest.raises(CommandError, match="3行目 列「団体コード」: 団体コードが空です（千代田区）"):
        call_command("import_population", str(path), "--year", "2020", stdout=StringIO())
    assert Municipality.objects.get(code="132012").population is None


@pytest.mark.parametrize(("command", "header", "values"), [
    ("import_area", "団体コード,市区町村名,面積,注記", "{name},186.38,{note}"),
    ("import_fiscal_indices", "団体コード,団体名,財政力指数,備考", "{name},0.9,{note}"),
])
@pytest.mark.parametrize("note", ["統計表より", "一般会計", "（推計）"])
def test_area_and_fiscal_imports_name_it_too(register, tmp_path, command, header, values, note):
    path = tmp_path / "table.csv"
    path.write_text(f"{header}\n132012,{values.format(name='八王子市', note='')}\n"
                    f",{values.format(name='千代田区', note=note)}\n", encoding="utf-8")
    args = ["--fiscal-year", "2022"] if command == "import_fiscal_indices" else []
    with pytest.raises(CommandError, match="3行目 列「団体コード」: 団体コードが空です"):
        call_command(command, str(path), *args, stdout=StringIO())
    hachioji = Municipality.objects.get(code="132012")
    assert (hachioji.area_km2, hachioji.fiscal_strength_index) == (None, None)


@pytest.mark.parametrize("total", [
    ",全国,,126146099", ",合計,,126146099", ",東京都,計,14047594", ",東京都計,,14047594", ",（東京都 計）,,14047594",
    ",都道府県計,,126146099", ",総数,,126146099", "合計,,,126146099",
])
def test_real_total_rows_are_still_read_past(register, tmp_path, total):
    path = tmp_path / "population.csv"
    path.write_text("団体コード,都道府県名,市区町村名,人口\n"
                    f"{total}\n"
                    "13201,東京都,八王子市,579355\n", encoding="utf-8")
    out = StringIO()
    call_command("import_population", str(path), "--year", "2020", stdout=out)
    assert "読み飛ばし1行" in out.getvalue()
    assert Municipality.objects.get(code="132012").population == 579355


def test_web_upload_names_the_row_and_writes_nothing(client_for, users):
    url = "/regions/import/population/"
    admin = client_for(users["admin"])
    response = admin.post(url, {"file": SimpleUploadedFile("pop.csv", BLANK_CODE_WITH_NOTE.encode("cp932")),
                                "year": "2020", "code_column": "団体コード", "population_column": "人口",
                                "data_source": ""})
    assert response.status_code == 302
    preview = response["Location"]
    html = admin.get(preview).content.decode()
    assert re.search(r'<td class="num">3</td><td>団体コード</td><td></td><td>団体コードが空です（千代田区）</td>', html)
    assert 'name="sha256"' not in html  # nothing to commit
    assert Municipality.objects.get(code="132012").population is None
    assert not ChangeRecord.objects.filter(model="regions.municipality").exists()
