"""Every write of progress data: permission, validation, one transaction, history, data-version bump."""

from collections import defaultdict
from types import SimpleNamespace

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from chiiki import access
from chiiki.core import bulk, db, editing, history
from chiiki.core.errors import Conflict, Invalid
from chiiki.core.imports import ImportResult
from chiiki.core.tabular import Table
from chiiki.regions.models import Municipality
from chiiki.roadmap.models import Sector

from . import cells, importer, validation
from .models import ProgressRecord, Source, Stage

AREA = "progress"
HISTORY_FIELDS = ("stage", "note", "evidence_url", "source", "version")
MODEL_LABEL = ProgressRecord._meta.label_lower


def _snapshot(record) -> dict:
    return {name: getattr(record, name) for name in HISTORY_FIELDS} | {"fiscal_year": record.fiscal_year,
                                                                       "sector": record.sector_id}


def _source_for(actor) -> str:
    return Source.ADMIN if access.is_admin(actor) else Source.SELF_REPORT


def clean_cell(fiscal_year, stage: str, note: str, evidence_url: str, version) -> dict:
    """The cell's values as they will be stored; raises Invalid naming every bad field."""
    problems, cleaned = [], {}
    for name, clean, raw in (("fiscal_year", validation.check_fiscal_year, fiscal_year),
                             ("stage", validation.clean_stage, stage), ("note", validation.clean_note, note),
                             ("evidence_url", validation.clean_evidence_url, evidence_url),
                             ("version", editing.parse_version, version)):
        try:
            cleaned[name] = clean(raw)
        except ValueError as exc:
            problems.append((name, str(exc)))
    if problems:
        raise Invalid(problems)
    return cleaned


def save_progress(actor, municipality, sector, fiscal_year: int, *, stage: str, note: str = "",
                  evidence_url: str = "", version, source: str = history.WEB) -> tuple[ProgressRecord | None, bool]:
    """Set one cell. `version` is the version the user saw (0 = no record for this year yet); it is required.

    Returns (record, changed). Raises Conflict (with `current`) when someone saved in between, Invalid on bad
    values. A save equal to the year's effective state (incl. carry-over) writes nothing.
    """
    access.require(actor, "progress.edit", municipality)
    cleaned = clean_cell(fiscal_year, stage, note, evidence_url, version)
    stage, note, evidence_url, version = (cleaned["stage"], cleaned["note"], cleaned["evidence_url"],
                                          cleaned["version"])
    try:
        with transaction.atomic():
            # Not while an import plans and writes: it compares rows it has not locked, so a save committed in
            # between would be written over with a history that never saw it.
            db.lock_area(AREA, shared=True)
            # Lock the record's own row only: Meta.ordering joins municipality and sector, and a plain FOR UPDATE
            # would lock those rows too (8 sector rows shared by every write) and deadlock concurrent inserts.
            record = (ProgressRecord.objects.select_for_update(of=("self",)).order_by()
                      .filter(municipality=municipality, sector=sector, fiscal_year=fiscal_year).first())
            current_version = record.version if record else 0
            if version != current_version:
                raise Conflict(current=record)
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
                history.record(actor, history.CREATE, record, None, _snapshot(record),
                               municipality=municipality, source=source, object_repr=_repr(record, municipality, sector))
            else:
                if (record.stage, record.note, record.evidence_url) == (stage, note, evidence_url):
                    return record, False
                before = _snapshot(record)
                record.stage, record.note, record.evidence_url = stage, note, evidence_url
                record.source = _source_for(actor)
                record.version += 1
                record.updated_by = actor if getattr(actor, "is_authenticated", False) else None
                record.save()
                history.record(actor, history.UPDATE, record, before, _snapshot(record),
                               municipality=municipality, source=source, object_repr=_repr(record, municipality, sector))
            cells.refresh([municipality.pk])
            history.bump(AREA)
            return record, True
    except IntegrityError as exc:
        db.duplicate_or_raise(exc)
        # Someone created the same cell between our read and our insert.
        current = ProgressRecord.objects.filter(municipality=municipality, sector=sector,
                                                fiscal_year=fiscal_year).first()
        raise Conflict(current=current) from None


def delete_progress(actor, record: ProgressRecord, *, version, source: str = history.WEB) -> None:
    """Remove a wrong record (e.g. a 年度 entered by mistake); the history keeps what it was. National admin only."""
    access.require(actor, "progress.delete", record.municipality)
    version = editing.require_version(version)
    with transaction.atomic():
        db.lock_area(AREA, shared=True)  # as save_progress
        current = ProgressRecord.objects.select_for_update(of=("self",)).order_by().filter(pk=record.pk).first()
        if current is None or current.version != version:
            raise Conflict(current=current)
        history.record(actor, history.DELETE, current, _snapshot(current), None, municipality=record.municipality,
                       source=source, object_repr=_repr(current, record.municipality, current.sector))
        current.delete()
        cells.refresh([current.municipality_id])
        history.bump(AREA)


def _repr(record, municipality, sector) -> str:
    return f"{municipality.name} {sector.name} {record.fiscal_year}年度"


def import_progress(actor, table: Table, *, dry_run: bool = False, source: str = history.IMPORT,
                    fiscal_year: int | None = None, expected_state: str | None = None) -> ImportResult:
    """Validate a whole table and, unless dry_run or any row is bad, write it all in one transaction.

    actor `access.SYSTEM` is a management command run by an operator: everything is allowed.
    `fiscal_year` fills rows whose 年度 is empty (or a file without the column).
    A dry run gives the stored state it planned against (`result.state`); `expected_state` (the web commit of a
    previewed file) writes nothing, with a problem, if any row's stored record changed since (ADR 0004).
    """
    access.require(actor, "progress.import_any")
    result = ImportResult(dry_run=dry_run)
    rows = importer.parse_table(table, actor=actor, result=result, fiscal_year=fiscal_year)
    if not result.ok:
        return result
    expected, since = importer.Fingerprint.parse(expected_state) if expected_state else ("", None)

    def plan_and_write() -> bool:
        with transaction.atomic():
            db.lock_area(AREA)  # imports of the area one at a time (PostgreSQL; SQLite's lock is the database's)
            result.unchanged = 0  # counted by plan_import, again on a retry
            if dry_run or expected_state:
                # Read under the same lock as the write: what the preview saw is compared with what is written over.
                fingerprint = importer.Fingerprint(since)
                plan = importer.plan_import(rows, result, fingerprint)
                result.state = fingerprint.state
                if expected_state and fingerprint.hash.hexdigest() != expected:
                    # A record deleted since leaves nothing saved after the preview to count; the digest still tells.
                    result.reject(None, "", f"確認の後に、このファイルの行の進捗が更新されました"
                                            f"（{max(fingerprint.changed, 1)}件）。内容を確認し直してから取り込んでください")
                    return False
            else:
                plan = importer.plan_import(rows, result)
            if dry_run or not (plan.creates or plan.updates):
                return False
            _write(actor, plan, source)
            touched = {row.municipality for row in plan.creates} | {record.municipality_id for _, record in plan.updates}
            del plan  # its copies of the stored records are not needed any more: free them before the refresh
            cells.refresh(touched)
            history.bump(AREA)
            return True

    # A cell saved by someone else between our plan and our insert (IntegrityError), or a lost lock race: plan
    # again against what is there now; db.Busy (409) when that keeps happening.
    result.committed = db.retry(plan_and_write, also=(IntegrityError,))
    return result


WRITE_BATCH = 2000  # rows written (records + their history) at a time: memory stays flat for any file


def _write(actor, plan: importer.Planned, source: str) -> None:
    user = actor if getattr(actor, "is_authenticated", False) else None
    now = timezone.now()
    names = dict(Municipality.objects.values_list("code", "name"))
    sector_names = dict(Sector.objects.values_list("code", "name"))
    for start in range(0, len(plan.creates), WRITE_BATCH):
        batch = plan.creates[start:start + WRITE_BATCH]
        history.record_many(
            [_entry(actor, history.CREATE, record, None, row, names, sector_names, source)
             for row, record in zip(batch, _insert_new_records(batch, user, now), strict=True)], at=now)
    for start in range(0, len(plan.updates), WRITE_BATCH):
        changed, entries = [], []
        for row, record in plan.updates[start:start + WRITE_BATCH]:
            before = _snapshot(record)
            record.stage = row.stage
            if row.note is not None:
                record.note = row.note
            if row.evidence_url is not None:
                record.evidence_url = row.evidence_url
            record.source = Source.SURVEY_IMPORT
            record.version += 1
            changed.append(record)
            entries.append(_entry(actor, history.UPDATE, record, before, row, names, sector_names, source))
        _update_grouped(changed, user, now)
        history.record_many(entries, at=now)


def _insert_new_records(rows, user, now) -> list[SimpleNamespace]:
    """INSERT the new cells in bulk, then read their ids back in one query.

    Returns light records (pk and the history fields) in the order of rows.
    """
    if not rows:
        return []
    updated_by = user.pk if user is not None else None
    values = [(row.municipality, row.sector, row.fiscal_year, row.stage, row.note or "", row.evidence_url or "",
               Source.SURVEY_IMPORT.value, 1, updated_by, now) for row in rows]
    bulk.insert_rows(ProgressRecord, ["municipality", "sector", "fiscal_year", "stage", "note", "evidence_url",
                                      "source", "version", "updated_by", "updated_at"], values)
    del values
    created = ProgressRecord.objects.filter(fiscal_year__in={row.fiscal_year for row in rows},
                                            municipality_id__in={row.municipality for row in rows})
    ids = {(m, s, y): pk for pk, m, s, y in created.values_list("id", "municipality_id", "sector_id", "fiscal_year")}
    return [SimpleNamespace(pk=ids[row.key], fiscal_year=row.fiscal_year, sector_id=row.sector, stage=row.stage,
                            note=row.note or "", evidence_url=row.evidence_url or "",
                            source=Source.SURVEY_IMPORT.value, version=1) for row in rows]


def _update_grouped(changed, user, now) -> None:
    """One UPDATE … WHERE id IN (…) per distinct new value (bulk_update's CASE WHEN grows quadratically).

    Survey files mostly differ only in the stage, so 20,000 updates become a handful of statements.
    """
    groups = defaultdict(list)
    for record in changed:
        groups[(record.stage, record.note, record.evidence_url)].append(record.pk)
    for (stage, note, evidence_url), ids in groups.items():
        for start in range(0, len(ids), 500):
            ProgressRecord.objects.filter(pk__in=ids[start:start + 500]).update(
                stage=stage, note=note, evidence_url=evidence_url, source=Source.SURVEY_IMPORT,
                version=F("version") + 1, updated_by=user, updated_at=now)


def _entry(actor, action, record, before, row, names, sector_names, source) -> dict:
    """The history of one imported row (plain values: this runs 20,000 times in a big import)."""
    return history.entry(
        actor, action, model=MODEL_LABEL, object_id=record.pk,
        object_repr=f"{names.get(row.municipality, row.municipality)} {sector_names.get(row.sector, row.sector)} "
                    f"{row.fiscal_year}年度",
        municipality_id=row.municipality, prefecture_id=row.prefecture, before=before, after=_snapshot(record),
        source=source)


def rebuild_current_state(actor) -> int:
    """Build ProgressCell / ProgressImplementedCount again from the records (ADR 0013); returns the rows.

    The writes keep them in step; this is for an operator who changed records outside the actions (SQL, the
    admin) and for restore. Bumps the area so no page computed from the old state is served.
    """
    access.require(actor, "progress.import_any")
    with transaction.atomic():
        rows = cells.rebuild()
        history.bump(AREA)
    return rows
