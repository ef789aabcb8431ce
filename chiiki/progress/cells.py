"""The progress "current state as data" (ADR 0013): ProgressCell and ProgressImplementedCount, kept in step
with ProgressRecord inside the transaction of every write.

Unit of maintenance: the municipality. A write names the municipalities whose records it changed; `refresh`
rewrites every sector × 年度 row of those municipalities from their records (a single save rewrites ≤ 8 × years
rows) and moves the implemented counts by the difference. The horizon (the latest 年度 of any record) is the
same for every cell: a record in a later 年度 first copies the horizon's rows forward, deleting the last record
of the horizon trims the years past the new one.

PostgreSQL: writers of different municipalities would otherwise both copy the horizon or read each other's
half-written state, so maintenance holds one transaction-level lock (`db.lock_area(LOCK)`) from the refresh to
the commit. Progress writes are short; SQLite serialises writers anyway.

`models` lets the data migration run the same code on its historical models.
"""

from collections import Counter, defaultdict, namedtuple

from django.db import connection
from django.db.models import Count, Max

from chiiki.core import bulk, db

from .models import IMPLEMENTED_STAGES

LOCK = "progress_cells"
ANY_SECTOR = ""
CHUNK = 100  # municipalities per round trip: bounds memory (a national import refreshes 1,741; 500 cost 45 MB)
CELL_FIELDS = ["municipality", "sector", "fiscal_year", "stage", "record", "record_year"]

Models = namedtuple("Models", "record cell count")


def current_models() -> Models:
    from .models import ProgressCell, ProgressImplementedCount, ProgressRecord

    return Models(ProgressRecord, ProgressCell, ProgressImplementedCount)


def refresh(municipalities, *, models: Models | None = None) -> None:
    """Recompute the derived state of these municipalities (codes) from their records. Inside the write's
    transaction, after the records are written."""
    models = models or current_models()
    db.lock_area(LOCK)
    horizon = _move_horizon(models)
    if horizon is None:
        return
    codes = sorted(set(municipalities))
    deltas: Counter = Counter()
    for start in range(0, len(codes), CHUNK):
        deltas.update(_refresh_chunk(models, codes[start:start + CHUNK], horizon))
    _apply_counts(models.count, deltas)


def rebuild(*, models: Models | None = None) -> int:
    """Bring the derived state to what the records say, whatever it holds now; returns the cell rows.

    Rows that are already right stay as they are (a restore of a consistent backup changes nothing), so this
    both builds from nothing (the migration) and repairs (the command, restore).
    """
    models = models or current_models()
    db.lock_area(LOCK)
    horizon = _move_horizon(models)
    if horizon is None:
        return 0
    codes = (set(models.record.objects.order_by().values_list("municipality_id", flat=True).distinct())
             | set(models.cell.objects.order_by().values_list("municipality_id", flat=True).distinct()))
    codes = sorted(codes)
    for start in range(0, len(codes), CHUNK):
        _refresh_chunk(models, codes[start:start + CHUNK], horizon)
    _recount(models)
    return models.cell.objects.count()


def _recount(models: Models) -> None:
    """Implemented counts computed afresh from the cells; written only where they differ."""
    implemented = models.cell.objects.filter(stage__in=IMPLEMENTED_STAGES).order_by()
    expected = {(year, sector): n for year, sector, n in implemented.values_list("fiscal_year", "sector_id")
                .annotate(n=Count("id"))}
    expected.update({(year, ANY_SECTOR): n for year, n in implemented.values_list("fiscal_year")
                     .annotate(n=Count("municipality_id", distinct=True))})
    current = {(year, sector): n for year, sector, n in models.count.objects.values_list(
        "fiscal_year", "sector", "municipalities")}
    if current != expected:
        models.count.objects.all().delete()
        models.count.objects.bulk_create([models.count(fiscal_year=year, sector=sector, municipalities=n)
                                          for (year, sector), n in sorted(expected.items())])


def _move_horizon(models: Models) -> int | None:
    new = models.record.objects.aggregate(last=Max("fiscal_year"))["last"]
    old = models.cell.objects.aggregate(last=Max("fiscal_year"))["last"]
    if new is None:
        models.cell.objects.all().delete()
        models.count.objects.all().delete()
        return None
    if old is None or new == old:
        return new
    if new < old:
        models.cell.objects.filter(fiscal_year__gt=new).delete()
        models.count.objects.filter(fiscal_year__gt=new).delete()
        return new
    # Carry every cell (and its counts) from the old horizon into the new years, one INSERT … SELECT per year.
    quote = connection.ops.quote_name
    cell_table, count_table = quote(models.cell._meta.db_table), quote(models.count._meta.db_table)
    columns = {name: quote(models.cell._meta.get_field(name).column) for name in CELL_FIELDS}
    with connection.cursor() as cursor:
        for year in range(old + 1, new + 1):
            cursor.execute(
                f"INSERT INTO {cell_table} ({', '.join(columns.values())}) "
                f"SELECT {columns['municipality']}, {columns['sector']}, %s, {columns['stage']}, {columns['record']}, "
                f"{columns['record_year']} FROM {cell_table} WHERE {columns['fiscal_year']} = %s", [year, old])
            cursor.execute(
                f"INSERT INTO {count_table} (fiscal_year, sector, municipalities) "
                f"SELECT %s, sector, municipalities FROM {count_table} WHERE fiscal_year = %s", [year, old])
    return new


def _refresh_chunk(models: Models, codes: list[str], horizon: int) -> Counter:
    cell = models.cell.objects.filter(municipality_id__in=codes)
    old_rows = set(cell.values_list("municipality_id", "sector_id", "fiscal_year", "stage", "record_id",
                                    "record_year"))
    rows = []
    history = (models.record.objects.filter(municipality_id__in=codes)
               .order_by("municipality_id", "sector_id", "fiscal_year")
               .values_list("id", "municipality_id", "sector_id", "fiscal_year", "stage"))
    previous = None
    for record in [*history, None]:
        if previous is not None:
            pid, code, sector, year, stage = previous
            same_cell = record is not None and (record[1], record[2]) == (code, sector)
            until = record[3] - 1 if same_cell else horizon
            rows.extend((code, sector, effective_year, stage, pid, year) for effective_year in range(year, until + 1))
        previous = record
    # Municipalities whose rows are already right keep them (and their ids); the others are rewritten.
    new_rows = set(rows)
    by_code_old, by_code_new = defaultdict(set), defaultdict(set)
    for row in old_rows:
        by_code_old[row[0]].add(row)
    for row in new_rows:
        by_code_new[row[0]].add(row)
    changed = sorted(code for code in set(by_code_old) | set(by_code_new) if by_code_old[code] != by_code_new[code])
    if not changed:
        return Counter()
    models.cell.objects.filter(municipality_id__in=changed).delete()
    changed_set = set(changed)
    bulk.insert_rows(models.cell, CELL_FIELDS, [row for row in rows if row[0] in changed_set])
    before = {(code, sector, year) for code, sector, year, stage, _, _ in old_rows
              if stage in IMPLEMENTED_STAGES and code in changed_set}
    after = {(code, sector, year) for code, sector, year, stage, _, _ in new_rows
             if stage in IMPLEMENTED_STAGES and code in changed_set}
    deltas: Counter = Counter()
    for _code, sector, year in after - before:
        deltas[(year, sector)] += 1
    for _code, sector, year in before - after:
        deltas[(year, sector)] -= 1
    any_before = {(code, year) for code, _, year in before}
    any_after = {(code, year) for code, _, year in after}
    for _, year in any_after - any_before:
        deltas[(year, ANY_SECTOR)] += 1
    for _, year in any_before - any_after:
        deltas[(year, ANY_SECTOR)] -= 1
    return deltas


def _apply_counts(model, deltas: Counter) -> None:
    """Add the deltas; an upsert both engines speak, so concurrent writers never collide on a new row."""
    changes = [(year, sector, delta) for (year, sector), delta in sorted(deltas.items()) if delta]
    if not changes:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (fiscal_year, sector, municipalities) VALUES (%s, %s, %s) "
            f"ON CONFLICT (fiscal_year, sector) DO UPDATE SET municipalities = {table}.municipalities + "
            "excluded.municipalities", changes)
    model.objects.filter(municipalities=0).delete()
