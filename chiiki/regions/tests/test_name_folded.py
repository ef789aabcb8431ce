"""Municipality.name_folded (fold(name)) kept on every path that writes names: save(), the register load's bulk
create and update, and the migration that adds it; and a 団体コード of non-decimal digits in the register file is a
reported problem, not a crash."""

import importlib
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command

from chiiki.core import history
from chiiki.regions.models import Municipality

pytestmark = pytest.mark.django_db

DATA = Path(settings.BASE_DIR) / "data"


@pytest.fixture
def data_dir(tmp_path):
    directory = tmp_path / "data"
    directory.mkdir()
    for extra in DATA.glob("*.csv"):
        shutil.copy(extra, directory / extra.name)
    return directory


def load(data_dir):
    call_command("load_reference", "--no-progress", "--data-dir", str(data_dir), stdout=StringIO())


def edit(path: Path, old: str, new: str):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def codes(client, q, **params):
    response = client.get("/api/v1/municipalities", {"q": q, **params})
    assert response.status_code == 200, response.content
    return [m["code"] for m in response.json()["items"]]


def test_the_register_load_keeps_the_folded_name(client, data_dir):
    load(data_dir)
    assert codes(client, "茅ケ崎") == ["142077"]  # the file writes 茅ヶ崎市
    assert codes(client, "吉野ケ里町") == ["413275"]
    assert codes(client, "神奈川県茅ケ崎市") == ["142077"]
    edit(data_dir / "municipalities.csv", "112411,11,埼玉県,鶴ヶ島市", "112411,11,埼玉県,新鶴ヶ島市")
    load(data_dir)  # a renamed municipality: bulk_update
    assert codes(client, "新鶴ケ島") == ["112411"]


def test_the_migration_fills_the_folded_name_of_existing_municipalities(client, register):
    history.bump("regions")  # as the register's load did
    Municipality.objects.update(name_folded="")  # as the column is added: empty
    assert codes(client, "青ケ島") == []
    migration = importlib.import_module("chiiki.regions.migrations.0004_municipality_name_folded")
    migration.fill_folded(apps, None)
    assert codes(client, "青ケ島") == ["134023"]
    assert codes(client, "東京都青ケ島村") == ["134023"]


def test_the_navigator_reads_a_prefecture_qualified_name_with_the_other_ke(client, register):
    page = client.get("/programs/navigator/", {"municipality": "東京都青ケ島村"}).content.decode()
    assert "に当たる市区町村が見つかりません" not in page


@pytest.mark.parametrize("prefecture, count", [("京都", 0), ("北海", 0), ("北海道", 3), ("東京", 3)])
def test_the_prefecture_filter_drops_only_to_fu_ken(client, register, prefecture, count):
    body = client.get("/api/v1/municipalities", {"prefecture": prefecture}).json()
    assert body["count"] == count, prefecture


def test_a_code_of_non_decimal_digits_in_the_register_file_is_a_reported_problem(data_dir):
    edit(data_dir / "municipalities.csv", "\n131016,13,", "\n¹³¹⁰¹⁶,13,")
    with pytest.raises(CommandError, match="列「code」"):  # was ValueError: invalid literal for int()
        load(data_dir)
