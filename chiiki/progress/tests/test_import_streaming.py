"""The progress import reads rows once, as a stream, plans a few municipalities at a time and writes in batches
(issue 10: memory independent of the file). These tests shrink the batch sizes so a small file crosses every
boundary, and check that the result is the same as one pass would give."""

import pytest

from chiiki.access import SYSTEM
from chiiki.core import memory, tabular
from chiiki.core.models import ChangeRecord
from chiiki.progress import actions, importer
from chiiki.progress.imports import PROGRESS
from chiiki.progress.models import ProgressCell, ProgressRecord

from .conftest import csv_file, run_import_command

pytestmark = pytest.mark.django_db

CODES = ["131016", "132012", "011002", "322016", "325252", "013315"]
SECTORS = ["disaster", "education", "health"]


def _survey(years=(2025, 2026), stage="implemented") -> bytes:
    return csv_file([f"{code},{sector},{year},{stage},," for year in years for code in CODES for sector in SECTORS])


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(actions, "WRITE_BATCH", 4)
    monkeypatch.setattr(importer, "PLAN_CHUNK", 2)


def test_stream_table_reads_rows_on_demand():
    stream = tabular.stream_table(csv_file(["131016,disaster,2026,implemented,,"] * 3), "p.csv")
    assert stream.header[:4] == ["団体コード", "分野", "年度", "段階"]
    assert not isinstance(stream.rows, list)
    assert [row.number for row in stream.rows] == [2, 3, 4]
    assert list(stream.rows) == []  # read once


def test_a_bad_row_late_in_a_streamed_file_is_a_file_problem_and_nothing_is_written(register, tmp_path):
    good = [f"{code},disaster,2026,implemented,," for code in CODES]
    data = csv_file(good) + b'131016,education,2026,"planned,,\r\n'  # an unclosed quote on the last line
    ok, _out, err = run_import_command(tmp_path, data)
    assert not ok
    assert "CSVとして読み込めません" in err
    assert ProgressRecord.objects.count() == 0
    assert ChangeRecord.objects.count() == 0


def test_a_value_beyond_the_header_late_in_the_file_names_its_row(register):
    data = csv_file([f"{code},disaster,2026,implemented,," for code in CODES] + ["131016,health,2026,planned,,,extra"])
    result = PROGRESS.run(SYSTEM, data, "p.csv")
    assert not result.ok
    assert [(p.row, p.column, p.reason) for p in result.problems] == [
        (8, "7列目", "見出しのない列に値があります。見出しを入れるか、値を削除してください")]
    assert ProgressRecord.objects.count() == 0


def test_batched_import_writes_every_row_with_its_own_history(register, small_batches):
    result = PROGRESS.run(SYSTEM, _survey(stage="planned"), "p.csv")
    assert result.ok and result.committed
    assert (result.created, result.updated, result.unchanged) == (36, 0, 0)
    records = {(r.municipality_id, r.sector_id, r.fiscal_year): r for r in ProgressRecord.objects.all()}
    assert len(records) == 36
    history = ChangeRecord.objects.filter(model="progress.progressrecord")
    assert history.count() == 36
    # Each history row points at its own record, with the record's own values (ids read back per batch).
    for change in history:
        record = ProgressRecord.objects.get(pk=int(change.object_id))
        assert change.after["stage"] == record.stage == "planned"
        assert change.after["fiscal_year"] == record.fiscal_year
        assert change.after["sector"] == record.sector_id
        assert change.municipality_id == record.municipality_id
    assert ProgressCell.objects.filter(stage="planned").count() == 36


def test_batched_plan_compares_with_carried_over_records_across_chunks(register, small_batches):
    assert PROGRESS.run(SYSTEM, _survey(years=(2025,), stage="planned"), "p.csv").committed
    # 2026 equal to the carried-over 2025 stage changes nothing; a changed stage updates nothing old but creates
    # the 2026 record; an existing 2025 record that changes is updated (version 2).
    lines = [f"{code},{sector},2026,planned,," for code in CODES for sector in SECTORS[:2]]
    lines += [f"{code},health,2026,implemented,," for code in CODES]
    lines += [f"{code},disaster,2025,piloting,," for code in CODES[:3]]
    result = PROGRESS.run(SYSTEM, csv_file(lines), "p.csv")
    assert result.ok and result.committed
    assert (result.created, result.updated, result.unchanged) == (6, 3, 12)
    stored = {(r.municipality_id, r.sector_id, r.fiscal_year): (r.stage, r.version)
              for r in ProgressRecord.objects.all()}
    assert all(stored[(code, "health", 2026)] == ("implemented", 1) for code in CODES)
    assert all(stored[(code, "disaster", 2025)] == ("piloting", 2) for code in CODES[:3])
    assert all(stored[(code, "disaster", 2025)] == ("planned", 1) for code in CODES[3:])
    assert not any((code, "education", 2026) in stored for code in CODES)


def test_the_same_file_gives_the_same_counts_whatever_the_batch_sizes(register, monkeypatch):
    data = _survey(years=(2024, 2025, 2026))
    expected = PROGRESS.run(SYSTEM, data, "p.csv", dry_run=True)
    monkeypatch.setattr(actions, "WRITE_BATCH", 5)
    monkeypatch.setattr(importer, "PLAN_CHUNK", 1)
    batched = PROGRESS.run(SYSTEM, data, "p.csv", dry_run=True)
    assert (batched.created, batched.updated, batched.unchanged) == (expected.created, expected.updated,
                                                                    expected.unchanged) == (54, 0, 0)


def test_a_large_file_gives_its_memory_back(register, monkeypatch):
    released = []
    monkeypatch.setattr(memory, "release", lambda: released.append(True))
    PROGRESS.run(SYSTEM, _survey(), "p.csv", dry_run=True)
    assert released == []  # a small file: not worth a collection
    padding = "\r\n" * (1 << 20)  # blank lines: read and skipped, but the file is over 1 MB
    result = PROGRESS.run(SYSTEM, _survey() + padding.encode(), "p.csv", dry_run=True)
    assert result.ok and result.created == 36
    assert released == [True]
