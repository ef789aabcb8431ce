"""A value under a blank header cell between named ones is named with its row and column on every import
(read_table promises it for values beyond the header; under a blank heading they were dropped silently).
The progress import (a streamed table) is tested in chiiki/progress/tests/test_damaged_files.py; these go
through a whole-table import, population."""

import re
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from chiiki.core.models import ChangeRecord
from chiiki.regions.models import Municipality

# The 市区町村名 heading is missing over a column that holds the names.
NAMELESS = "団体コード,,人口\r\n13101,千代田区,66680\r\n13201,,579355\r\n13402,青ヶ島村,169\r\n"


def test_the_command_names_every_such_cell_and_writes_nothing(register, tmp_path):
    path = tmp_path / "pop.csv"
    path.write_bytes(NAMELESS.encode("cp932"))
    with pytest.raises(CommandError) as error:
        call_command("import_population", str(path), "--year", "2020", stdout=StringIO())
    message = str(error.value)
    assert "2行目 列「2列目」: 見出しが空の列に値があります" in message
    assert "4行目 列「2列目」: 見出しが空の列に値があります" in message
    assert "3行目" not in message
    assert Municipality.objects.get(code="131016").population is None
    assert not ChangeRecord.objects.exists()


def test_the_web_preview_names_them_and_offers_no_commit(client_for, users):
    admin = client_for(users["admin"])
    response = admin.post("/regions/import/population/", {
        "file": SimpleUploadedFile("pop.csv", NAMELESS.encode()), "year": "2020", "code_column": "団体コード",
        "population_column": "人口", "data_source": ""})
    assert response.status_code == 302
    html = admin.get(response["Location"]).content.decode()
    assert html.count("見出しが空の列に値があります") == 2 and "千代田区" in html
    assert not re.search(r'name="sha256"', html)


def test_an_empty_column_under_a_blank_header_cell_is_fine(register, tmp_path):
    path = tmp_path / "pop.csv"
    path.write_bytes("団体コード,,人口\r\n13101,,66680\r\n".encode())
    call_command("import_population", str(path), "--year", "2020", stdout=StringIO())
    assert Municipality.objects.get(code="131016").population == 66680
