"""load_reference refusing a file changes nothing, as its message says — also the files loaded before it."""

import pytest
from django.core.management import CommandError

from chiiki.core.models import ChangeRecord, DataVersion
from chiiki.regions.models import Municipality, Prefecture
from chiiki.roadmap.models import Sector

from .test_reference import data_dir, edit, run  # noqa: F401 - the fixture


def test_a_bad_row_in_a_later_reference_file_writes_nothing(db, data_dir):  # noqa: F811
    edit(data_dir / "fiscal_indices_r3.csv", "\n01", "\n01X")  # one bad 団体コード in the 4th loader's file
    with pytest.raises(CommandError, match="何も変更していません") as error:
        run("--data-dir", str(data_dir))
    assert "fiscal_indices_r3.csv" in str(error.value)
    # The register, sectors and population loaded before it are rolled back with it, and so are their versions.
    assert (Municipality.objects.count(), Prefecture.objects.count(), Sector.objects.count()) == (0, 0, 0)
    assert ChangeRecord.objects.count() == 0
    assert not DataVersion.objects.filter(version__gt=0).exists()


def test_a_bad_later_file_keeps_what_an_earlier_load_committed(db, data_dir):  # noqa: F811
    run("--data-dir", str(data_dir))
    records = ChangeRecord.objects.count()
    edit(data_dir / "municipalities.csv", "131016,13,東京都,千代田区,チヨダク", "131016,13,東京都,千代田区,チヨダクX")
    edit(data_dir / "fiscal_indices_r3.csv", "011002,北海道,札幌市,0.72,", "011002,北海道,札幌市,abc,")
    with pytest.raises(CommandError, match="財政力指数は数値で入力してください"):
        run("--data-dir", str(data_dir))
    assert Municipality.objects.get(code="131016").kana == "チヨダク"  # the register's change is undone too
    assert ChangeRecord.objects.count() == records
