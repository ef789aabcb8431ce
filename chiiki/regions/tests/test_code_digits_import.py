"""A 団体コード cell of a population file written with digit characters int() cannot read (superscripts, circled
digits) is read or named as a bad code, never a 500 or a traceback."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from chiiki.regions.models import Municipality


@pytest.mark.parametrize("typed", ["¹³²⁰¹²", "①③②⓪①②"])
def test_a_code_in_other_digit_characters_is_read_as_its_digits(register, tmp_path, typed):
    path = tmp_path / "population.csv"
    path.write_text(f"団体コード,団体名,人口\n{typed},八王子市,579355\n", encoding="utf-8")
    call_command("import_population", str(path), "--year", "2020", stdout=StringIO())
    assert Municipality.objects.get(code="132012").population == 579355


def test_a_code_of_numerals_no_reader_knows_is_named(register, tmp_path):
    path = tmp_path / "population.csv"
    path.write_text("団体コード,団体名,人口\n፩፫፪፻፩,八王子市,579355\n", encoding="utf-8")
    with pytest.raises(CommandError, match="2行目"):
        call_command("import_population", str(path), "--year", "2020", stdout=StringIO())
