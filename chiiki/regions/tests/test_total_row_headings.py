"""A population file's 合計 row (no 団体コード) is skipped whatever the heading of the column that names it: 「市区町村」
and 「都道府県」 are as common as 「市区町村名」 in the files people download and pass on."""

from io import StringIO

from django.core.management import call_command

from chiiki.regions.models import Municipality

FILE = "団体コード,都道府県,市区町村,人口\r\n13101,東京都,千代田区,66680\r\n,,合計,66680\r\n"


def test_a_total_row_under_a_plain_municipality_heading_is_skipped(register, tmp_path):
    path = tmp_path / "pop.csv"
    path.write_bytes(FILE.encode("cp932"))
    out = StringIO()
    call_command("import_population", str(path), "--year", "2020", stdout=out)
    assert Municipality.objects.get(code="131016").population == 66680


def test_a_blank_code_under_a_plain_municipality_heading_is_named_with_its_name(register, tmp_path):
    import pytest
    from django.core.management import CommandError

    path = tmp_path / "pop.csv"
    path.write_bytes("団体コード,都道府県,市区町村,人口\r\n,東京都,千代田区,66680\r\n".encode("cp932"))
    with pytest.raises(CommandError, match="団体コードが空です（東京都・千代田区）"):
        call_command("import_population", str(path), "--year", "2020", stdout=StringIO())
