"""Bulk SQL writes for large imports: the same rows the ORM would write, without its per-value cost.

Why: `bulk_create` prepares every value of every row in Python and `bulk_update` builds CASE expressions that
grow with the batch. A 20,000-row progress import writes ~40,000 rows (records + history); with plain tuples
and one prepared statement per chunk it stays within 3 × a bare insert (bench/progress_import.py).
Only `chiiki.core.history` and the apps' `actions.py` call these, inside the action's transaction.
"""

from django.db import connection

# SQLite allows 32,766 bound parameters per statement; leave room.
_SQLITE_PARAMETERS = 30_000


def _adapt_datetimes(fields, rows: list[tuple]) -> list[tuple]:
    positions = [i for i, f in enumerate(fields) if f.get_internal_type() == "DateTimeField"]
    if not positions:
        return rows
    adapted: dict = {}

    def adapt(row):
        row = list(row)
        for i in positions:
            value = row[i]
            if value is not None:
                if value not in adapted:
                    adapted[value] = connection.ops.adapt_datetimefield_value(value)
                row[i] = adapted[value]
        return tuple(row)

    return [adapt(row) for row in rows]


def insert_rows(model, field_names: list[str], rows: list[tuple]) -> None:
    """INSERT rows (tuples in field_names order): COPY on PostgreSQL, multi-row VALUES on SQLite."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in field_names]
    rows = _adapt_datetimes(fields, rows)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    if connection.vendor == "postgresql":
        # COPY is PostgreSQL's bulk-load path: same rows, same transaction, a fraction of INSERT's cost.
        # wrap_database_errors: the raw cursor's errors become Django's (IntegrityError …), as with execute().
        with connection.wrap_database_errors, connection.cursor() as cursor, \
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_chunk = max(1, _SQLITE_PARAMETERS // len(fields))
    # The driver's cursor, not the debug wrapper: with DEBUG on, Django's query log would keep up to 9,000 of these
    # megabyte-long statements (a 140,000-row import then needs 130 MB more).
    with connection.wrap_database_errors, connection.cursor() as cursor:
        for start in range(0, len(rows), per_chunk):
            chunk = rows[start:start + per_chunk]
            cursor.cursor.execute(f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([row_sql] * len(chunk)),
                           [value for row in chunk for value in row])


def update_rows(model, objects: list, field_names: list[str], *, bump_version: bool = False) -> None:
    """UPDATE objects by primary key with one prepared statement (executemany), values prepared by the fields.

    `bump_version` also adds 1 to the `version` column (optimistic locking) in the same statement.
    """
    if not objects:
        return
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in field_names]
    assignments = [f"{quote(f.column)} = %s" for f in fields]
    if bump_version:
        assignments.append(f"{quote('version')} = {quote('version')} + 1")
    pk_column = quote(model._meta.pk.column)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {', '.join(assignments)} WHERE {pk_column} = %s"
    params = [[f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk]
              for obj in objects]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
