"""Figures beyond any count or not numbers at all (Decimal reads 「NaN」「Infinity」): a named cell, never a 500."""

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from chiiki.regions.models import Municipality


@pytest.mark.parametrize("value", ["2147483648", "99999999999999999999", "1e400", "Infinity"])
def test_a_population_beyond_any_count_is_refused_naming_its_cell(register, tmp_path, value):
    path = tmp_path / "pop.csv"
    path.write_text(f"団体コード,人口\n13101,{value}\n", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("import_population", str(path), "--year", "2020")
    assert "2行目 列「人口」" in str(error.value)
    assert Municipality.objects.get(code="131016").population is None


def test_the_largest_population_the_column_takes_is_imported(register, tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text('団体コード,人口\n13101,"200,000,000"\n', encoding="utf-8")
    call_command("import_population", str(path), "--year", "2020")
    assert Municipality.objects.get(code="131016").population == 200_000_000


def preview(client, url, content: str, **fields):
    response = client.post(url, {"file": SimpleUploadedFile("data.csv", content.encode()), **fields})
    assert response.status_code == 302, response.content.decode()[:500]
    return client.get(response["Location"])


def problem_rows(page: str) -> list[list[str]]:
    """The preview's table of problems: row, column, value, reason."""
    rows = re.findall(r"<tr><td class=\"num\">(.*?)</tr>", page)
    return [[html.unescape(cell) for cell in row.removesuffix("</td>").split("</td><td>")] for row in rows]


@pytest.mark.parametrize("value", ["1e400", "Infinity"])
def test_the_population_preview_names_an_infinite_cell(client_for, users, value):
    page = preview(client_for(users["admin"]), "/regions/import/population/", f"団体コード,人口\r\n13101,{value}\r\n",
                   year="2020", code_column="団体コード", population_column="人口")
    assert page.status_code == 200
    assert ["2", "人口", value] == problem_rows(page.content.decode())[0][:3]
    assert Municipality.objects.get(code="131016").population is None


@pytest.mark.parametrize("value", ["NaN", "sNaN"])
def test_the_area_preview_names_a_cell_that_is_not_a_number(client_for, users, value):
    page = preview(client_for(users["admin"]), "/regions/import/area/", f"団体コード,面積\r\n131016,{value}\r\n",
                   code_column="団体コード", area_column="面積", data_source="")
    assert page.status_code == 200
    assert problem_rows(page.content.decode()) == [["2", "面積", value, f"面積は数値（km²）で入力してください: '{value}'"]]
    assert Municipality.objects.get(code="131016").area_km2 is None
