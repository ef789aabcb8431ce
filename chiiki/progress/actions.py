"""Every write of progress data: permission, validation, one transaction, history, data-version bump."""

import json
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from chiiki import access
from chiiki.core import db, history
from chiiki.core.models import ChangeRecord

from . import importer
from .models import ProgressRecord, Source, Stage

AREA = "progress"
HISTORY_FIELDS = ("stage", "note", "evidence_url", "source", "version")


class StaleVersion(Exception):
    """The save was based on an older version; `current` is the record as it is now (None: no record yet)."""

    def __init__(self, current):
        super().__init__("他の利用者が先に更新しました")
        self.current = current


class InvalidProgress(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _snapshot(record) -> dict:
    return {name: getattr(record, name) for name in HISTORY_FIELDS} | {"fiscal_year": record.fiscal_year,
                                                                       "sector": record.sector_id}


def _source_for(actor) -> str:
    return Source.ADMIN if access.is_admin(actor) else Source.SELF_REPORT


def validate_values(stage: str, note: str, evidence_url: str) -> dict[str, str]:
    errors = {}
    if stage not in Stage.values:
        errors["stage"] = f"段階が正しくありません: {stage}"
    if len(note or "") > importer.MAX_NOTE:
        errors["note"] = f"備考は{importer.MAX_NOTE}文字以内で入力してください"
    if evidence_url:
        try:
            URLValidator(schemes=["http", "https"])(evidence_url)
        except ValidationError:
            errors["evidence_url"] = "根拠URLは http:// または https:// で始まるURLを入力してください"
        if len(evidence_url) > 500:
            errors["evidence_url"] = "根拠URLは500文字以内で入力してください"
    return errors


def save_progress(actor, municipality, sector, fiscal_year: int, *, stage: str, note: str = "",
                  evidence_url: str = "", version: int | None, via: str = "web") -> tuple[ProgressRecord | None, bool]:
    """Set one cell. `version` is the version the user saw (0 = no record for this year yet).

    Returns (record, changed). Raises StaleVersion when someone saved in between, InvalidProgress on bad values.
    A save equal to the year's effective state (incl. carry-over) writes nothing.
    """
    access.require(actor, "progress.edit", municipality)
    note, evidence_url = (note or "").strip(), (evidence_url or "").strip()
    errors = validate_values(stage, note, evidence_url)
    if errors:
        raise InvalidProgress(errors)
    try:
        with transaction.atomic():
            record = (ProgressRecord.objects.select_for_update()
                      .filter(municipality=municipality, sector=sector, fiscal_year=fiscal_year).first())
            current_version = record.version if record else 0
            if version is not None and int(version) != current_version:
                raise StaleVersion(record)
            if record is None:
                effective = (ProgressRecord.objects.filter(municipality=municipality, sector=sector,
                                                           fiscal_year__lt=fiscal_year)
                             .order_by("-fiscal_year").first())
                base = (effective.stage, effective.note, effective.evidence_url) if effective else (Stage.NOT_STARTED, "", "")
                if (stage, note, evidence_url) == base:
                    return effective, False
                record = ProgressRecord.objects.create(
                    municipality=municipality, sector=sector, fiscal_year=fiscal_year, stage=stage, note=note,
                    evidence_url=evidence_url, source=_source_for(actor), version=1,
                    updated_by=actor if getattr(actor, "is_authenticated", False) else None)
                history.record(actor, ChangeRecord.Action.CREATE, record, None, _snapshot(record),
                               municipality=municipality, source=via, object_repr=_repr(record, municipality, sector))
            else:
                if (record.stage, record.note, record.evidence_url) == (stage, note, evidence_url):
                    return record, False
                before = _snapshot(record)
                record.stage, record.note, record.evidence_url = stage, note, evidence_url
                record.source = _source_for(actor)
                record.version += 1
                record.updated_by = actor if getattr(actor, "is_authenticated", False) else None
                record.save()
                history.record(actor, ChangeRecord.Action.UPDATE, record, before, _snapshot(record),
                               municipality=municipality, source=via, object_repr=_repr(record, municipality, sector))
            history.bump(AREA)
            return record, True
    except IntegrityError:
        # Someone created the same cell between our read and our insert.
        current = ProgressRecord.objects.filter(municipality=municipality, sector=sector,
                                                fiscal_year=fiscal_year).first()
        raise StaleVersion(current) from None


def _repr(record, municipality, sector) -> str:
    return f"{municipality.name} {sector.name} {record.fiscal_year}年度"


def import_progress(actor, data: bytes, filename: str = "", *, fiscal_year: int | None = None,
                    dry_run: bool = False, via: str = "import") -> importer.ImportReport:
    """Validate a whole file and, unless dry_run or any row is bad, write it all in one transaction.

    actor `access.SYSTEM` is a management command run by an operator: everything is allowed.
    """
    access.require(actor, "progress.import_any")
    report = importer.parse_table(data, filename, actor=actor, fiscal_year=fiscal_year)
    if not report.ok:
        return report

    def plan_and_write() -> bool:
        with transaction.atomic():
            db.lock_area(AREA)  # imports of the area one at a time (PostgreSQL; SQLite's lock is the database's)
            report.unchanged = 0  # counted by plan_import, again on a retry
            plan = importer.plan_import(report)
            if dry_run or not (plan.creates or plan.updates):
                return False
            _write(actor, plan, via)
            history.bump(AREA)
            return True

    # A cell saved by someone else between our plan and our insert (IntegrityError), or a lost lock race: plan
    # again against what is there now; db.Busy (409) when that keeps happening.
    report.committed = db.retry(plan_and_write, also=(IntegrityError,))
    return report


def _write(actor, plan: importer.Planned, via: str) -> None:
    from chiiki.regions.models import Municipality
    from chiiki.roadmap.models import Sector

    user = actor if getattr(actor, "is_authenticated", False) else None
    now = timezone.now()
    names = dict(Municipality.objects.values_list("code", "name"))
    sector_names = dict(Sector.objects.values_list("code", "name"))
    entries = []
    for row, record in zip(plan.creates, _insert_new_records(plan.creates, user, now), strict=True):
        entries.append(_entry(actor, ChangeRecord.Action.CREATE, record, None, row, names, sector_names, via))
    changed = []
    for row, record in plan.updates:
        before = _snapshot(record)
        record.stage = row.stage
        if row.note is not None:
            record.note = row.note
        if row.evidence_url is not None:
            record.evidence_url = row.evidence_url
        record.source = Source.SURVEY_IMPORT
        record.version += 1
        record.updated_by = user
        record.updated_at = now
        changed.append(record)
        entries.append(_entry(actor, ChangeRecord.Action.UPDATE, record, before, row, names, sector_names, via))
    _update_grouped(changed, user, now)
    insert_history(entries, now)


def _insert_new_records(rows, user, now) -> list[SimpleNamespace]:
    """INSERT the new cells with one prepared statement, then read their ids back in one query.

    Same reason as insert_history: model instances + bulk_create cost more in Python than the database work.
    Returns light records (pk and the history fields) in the order of rows.
    """
    if not rows:
        return []
    updated_by = user.pk if user is not None else None
    values = [(row.municipality, row.sector, row.fiscal_year, row.stage, row.note or "", row.evidence_url or "",
               Source.SURVEY_IMPORT.value, 1, updated_by, now) for row in rows]
    _insert_rows(ProgressRecord, ["municipality", "sector", "fiscal_year", "stage", "note", "evidence_url",
                                         "source", "version", "updated_by", "updated_at"], values)
    years = {row.fiscal_year for row in rows}
    codes = {row.municipality for row in rows}
    created = ProgressRecord.objects.filter(fiscal_year__in=years)
    if len(codes) <= 500:
        created = created.filter(municipality_id__in=codes)
    ids = {(m, s, y): pk for pk, m, s, y in created.values_list("id", "municipality_id", "sector_id", "fiscal_year")}
    return [SimpleNamespace(pk=ids[row.key], fiscal_year=row.fiscal_year, sector_id=row.sector, stage=row.stage,
                            note=row.note or "", evidence_url=row.evidence_url or "",
                            source=Source.SURVEY_IMPORT.value, version=1) for row in rows]


def _insert_rows(model, field_names: list[str], rows: list[tuple]) -> None:
    """Insert rows (tuples in field_names order; datetimes adapted here): COPY on PostgreSQL, multi-row VALUES on SQLite."""
    from django.db import connection

    fields = [model._meta.get_field(name) for name in field_names]
    datetime_positions = [i for i, f in enumerate(fields) if f.get_internal_type() == "DateTimeField"]
    if datetime_positions:
        adapted = {}

        def adapt(row):
            row = list(row)
            for i in datetime_positions:
                if row[i] is not None:
                    key = row[i]
                    if key not in adapted:
                        adapted[key] = connection.ops.adapt_datetimefield_value(key)
                    row[i] = adapted[key]
            return tuple(row)

        rows = [adapt(row) for row in rows]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    if connection.vendor == "postgresql":
        # COPY is PostgreSQL's bulk-load path: same rows, same transaction, a fraction of INSERT's cost.
        # wrap_database_errors: the raw cursor's errors become Django's (IntegrityError …), as with execute().
        with connection.wrap_database_errors, connection.cursor() as cursor, \
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # SQLite: multi-row VALUES, one statement per chunk under its 32,766 bound parameters.
    per_chunk = max(1, 30_000 // len(fields))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_chunk):
            chunk = rows[start:start + per_chunk]
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([row_sql] * len(chunk)),
                           [value for row in chunk for value in row])


def insert_history(entries: list[dict], at) -> None:
    """Insert imported rows' ChangeRecords with prepared multi-row INSERTs (the rows history.record_many would write).

    Why not record_many: bulk_create spends most of a 20,000-row import preparing each of ~260,000 values in
    Python; a prepared INSERT with plain tuples writes the same rows several times faster, which keeps an import
    within 3 × a bare insert of the records themselves (bench/progress_import.py). Every entry gets the same
    `at`: the moment of the import's transaction.
    """
    if not entries:
        return
    fields = [f for f in ChangeRecord._meta.concrete_fields if not f.primary_key]
    json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}

    def value(entry, field):
        if field.attname == "at":
            return at
        raw = entry.get(field.attname)
        if field.attname in json_fields:
            return None if raw is None else json.dumps(raw, ensure_ascii=False)
        return raw

    _insert_rows(ChangeRecord, [f.name for f in fields],
                        [tuple(value(entry, field) for field in fields) for entry in entries])


def _update_grouped(changed, user, now) -> None:
    """One UPDATE … WHERE id IN (…) per distinct new value (bulk_update's CASE WHEN grows quadratically).

    Survey files mostly differ only in the stage, so 20,000 updates become a handful of statements.
    """
    from collections import defaultdict

    groups = defaultdict(list)
    for record in changed:
        groups[(record.stage, record.note, record.evidence_url)].append(record.pk)
    for (stage, note, evidence_url), ids in groups.items():
        for start in range(0, len(ids), 500):
            ProgressRecord.objects.filter(pk__in=ids[start:start + 500]).update(
                stage=stage, note=note, evidence_url=evidence_url, source=Source.SURVEY_IMPORT,
                version=F("version") + 1, updated_by=user, updated_at=now)


def _entry(actor, action, record, before, row, names, sector_names, via) -> dict:
    """The ChangeRecord columns for one imported row (plain values: this runs 20,000 times in a big import)."""
    signed_in = getattr(actor, "is_authenticated", False)
    return {
        "actor_id": actor.pk if signed_in else None,
        "actor_label": actor.get_username() if signed_in else "システム",
        "action": action, "model": "progress.progressrecord", "object_id": str(record.pk),
        "object_repr": f"{names.get(row.municipality, row.municipality)} {sector_names.get(row.sector, row.sector)} "
                       f"{row.fiscal_year}年度",
        "municipality_id": row.municipality, "prefecture_id": row.prefecture, "before": before,
        "after": _snapshot(record), "source": via,
    }
