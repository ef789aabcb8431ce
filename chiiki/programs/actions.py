"""Every write to the catalog: admin edits, CSV/XLSX imports, the reference loader, saved searches."""

from django.db import IntegrityError, transaction
from django.http import Http404

from chiiki.access import require
from chiiki.core import budget, db, editing, history
from chiiki.core.errors import Conflict, Invalid, RowProblem
from chiiki.core.imports import ImportResult
from chiiki.core.tabular import Table, as_read
from chiiki.core.text import control_character_problem
from chiiki.roadmap.models import Sector

from .catalog import HEADER, REQUIRED_COLUMNS, VERSION_COLUMN, content_of, parse_row
from .indexing import reindex
from .models import SavedSearch, SupportProgram
from .search import SearchRequest, invalidate, run_search

AREA = "programs"


def _sector_codes() -> set[str]:
    return set(Sector.objects.values_list("code", flat=True))


def _catalog_ids() -> set[str]:
    return set(SupportProgram.objects.values_list("public_id", flat=True))


def _snapshot(program) -> dict:
    return history.snapshot(program, [f.attname for f in SupportProgram._meta.concrete_fields
                                      if f.name not in ("created_at", "updated_at", "id")])


def save_program(actor, program: SupportProgram | None, row: dict[str, str], *, version: int | None = None,
                 source: str = history.WEB) -> SupportProgram:
    """Create (program=None) or update a program from file-format values. Raises Invalid, Conflict."""
    require(actor, "programs.manage", program)
    if program is not None:
        version = editing.require_version(version)  # an edit without the version it started from would overwrite
    data = parse_row(row, _sector_codes(), _catalog_ids())
    if program is not None and data["successor"] and data["successor"] == program.public_id:
        raise Invalid([("successor", f"後継に自分自身（{program.public_id}）は指定できません")])
    try:
        return _write_program(actor, program, data, version=version, source=source)
    except IntegrityError as exc:
        db.duplicate_or_raise(exc)
        # Two saves gave one ID at the same moment: the second meets the unique ID (PostgreSQL).
        raise Invalid([("id", f"ID {data['public_id']} は既に使われています")]) from None


def _write_program(actor, program, data, *, version, source) -> SupportProgram:
    with transaction.atomic():
        # The successor was looked up before this transaction: checked again under its row's lock, since a rename of
        # that program meanwhile moves only the links it finds and would leave this one naming an ID no longer there.
        if data.get("successor") and SupportProgram.objects.select_for_update().order_by().filter(
                public_id=data["successor"]).first() is None:
            raise Invalid([("successor", f"後継のID {data['successor']} は登録されていません")])
        if program is None:
            if SupportProgram.objects.filter(public_id=data["public_id"]).exists():
                raise Invalid([("id", f"ID {data['public_id']} は既に使われています")])
            program = SupportProgram(**data, edited_since_load=True)
            program.save()
            history.record(actor, history.CREATE, program, None, _snapshot(program), source=source)
        else:
            current = SupportProgram.objects.select_for_update().get(pk=program.pk)
            if current.version != version:
                raise Conflict("他の利用者がこの支援メニューを更新しました。最新の内容を確認してから保存してください",
                               current=current)
            if data["public_id"] != current.public_id and \
                    SupportProgram.objects.filter(public_id=data["public_id"]).exclude(pk=current.pk).exists():
                raise Invalid([("id", f"ID {data['public_id']} は既に使われています")])
            before = _snapshot(current)
            old_id = current.public_id
            for attr, value in data.items():
                setattr(current, attr, value)
            current.version += 1
            current.edited_since_load = True
            current.save()
            history.record(actor, history.UPDATE, current, before, _snapshot(current), source=source)
            if current.public_id != old_id:
                _follow_renamed_successor(actor, old_id, current.public_id, source)
            program = current
        reindex([program])
        history.bump(AREA)
        invalidate()
    return program


def _follow_renamed_successor(actor, old_id: str, new_id: str, source: str) -> None:
    """Programs naming a renamed program as their successor follow the new ID (the link is by ID, as in the file)."""
    for other in SupportProgram.objects.select_for_update().filter(successor=old_id):
        before = _snapshot(other)
        other.successor = new_id
        other.version += 1
        other.save(update_fields=["successor", "version", "updated_at"])
        history.record(actor, history.UPDATE, other, before, _snapshot(other), source=source)


STALE_VERSION = "支援メニューがほかで更新されています（最新の版を出力し直してください）"
MISSING_VERSION = ("既存の支援メニューを変更する行には版が必要です（出力したファイルの version 列が必要です。"
                   "カタログをダウンロードし直して編集してください）")


def parse_catalog_table(table: Table, result: ImportResult) -> list[tuple[int, dict, int | None]]:
    """Validate every row of an uploaded catalog; every bad row and column goes to result.problems.
    Each row comes with the version it was exported at (None: the file has none for it)."""
    missing = [c for c in REQUIRED_COLUMNS if c not in table.header]
    if missing:
        result.reject(table.header_number, "、".join(missing),
                      f"必須の列がありません: {', '.join(missing)}（ヘッダー: {', '.join(table.header)}）")
        return []
    unknown = [h for h in table.header if h not in HEADER]
    if unknown:
        result.reject(table.header_number, "", f"不明な列があります: {', '.join(unknown)}（使える列: {', '.join(HEADER)}）")
    codes = _sector_codes()
    # A successor may be in the catalog already or anywhere in this file (all-or-nothing: both exist after it).
    known_ids = _catalog_ids() | {(row.values.get("id") or "").strip() for row in table.rows}
    parsed, seen = [], {}
    for row in table.rows:
        budget.check()
        try:
            data = parse_row(row.values, codes, known_ids)
        except Invalid as exc:
            result.problems.extend(RowProblem(row.number, column, reason, row.get(column))
                                   for column, reason in exc.problems)
            data = None
        raw_version = (row.get(VERSION_COLUMN) or "").strip()
        version = None
        if raw_version:
            try:
                version = editing.parse_version(raw_version)
            except ValueError as exc:
                result.reject(row.number, VERSION_COLUMN, str(exc), raw_version)
                continue
        if data is None:
            continue
        if data["public_id"] in seen:
            result.reject(row.number, "id", f"ID {data['public_id']} が重複しています（{seen[data['public_id']]}行目）",
                          data["public_id"])
            continue
        seen[data["public_id"]] = row.number
        parsed.append((row.number, data, version))
    if not table.rows:
        result.reject(None, "", "データ行がありません")
    return parsed


def import_catalog(actor, table: Table, *, dry_run: bool = False, source: str = history.IMPORT) -> ImportResult:
    """All-or-nothing upsert of the catalog from a CSV/XLSX table; dry_run writes nothing. A row that changes a
    program must carry the version it was exported at (the version column), as the edit form does."""
    require(actor, "programs.manage")
    result = ImportResult(dry_run=dry_run, rows=len(table.rows))
    parsed = parse_catalog_table(table, result)
    # The file's own problems; the versions are checked against the database below, on every attempt, so a file
    # with both kinds of problem names them all at once (and writes nothing).
    file_problems = list(result.problems)

    def plan_and_write() -> bool:
        with transaction.atomic():
            # Read under the lock, so a program another import committed meanwhile is updated, not inserted twice,
            # and one saved on its page since the preview meets its new version here: the whole file is refused.
            db.lock_area(AREA)
            result.created = result.updated = result.unchanged = 0  # counted again on a retry
            result.problems[:] = file_problems
            existing = {p.public_id: p for p in SupportProgram.objects.select_for_update()
                        .filter(public_id__in=[d["public_id"] for _, d, _ in parsed])}
            writes = []  # (program, its snapshot before; None for a new one)
            for number, data, version in parsed:
                program = existing.get(data["public_id"])
                if program is None:
                    writes.append((SupportProgram(**data, edited_since_load=True), None))
                    result.created += 1
                    continue
                before = _snapshot(program)
                before_content = content_of(program)
                current_version = program.version
                for attr, value in data.items():
                    stored = getattr(program, attr)
                    # Cells are read with full-width digits and spaces made half-width: a text saved on the page
                    # with them reads back the same, and is kept as saved rather than rewritten.
                    if not (isinstance(stored, str) and isinstance(value, str) and value == as_read(stored)):
                        setattr(program, attr, value)
                if content_of(program) == before_content:
                    result.unchanged += 1
                    continue
                # A change needs the version it was read at: without it an old file would undo later edits.
                if version is None:
                    result.reject(number, VERSION_COLUMN, MISSING_VERSION)
                    continue
                if version != current_version:
                    result.reject(number, VERSION_COLUMN, STALE_VERSION, str(version))
                    continue
                writes.append((program, before))
                result.updated += 1
            committed = False
            if not dry_run and result.ok and writes:
                records = []
                for program, before in writes:
                    if before is not None:
                        program.version += 1
                        program.edited_since_load = True
                    program.save()
                    records.append(history.change_record(
                        actor, history.CREATE if before is None else history.UPDATE, program, before,
                        _snapshot(program), source=source))
                history.record_many(records)
                reindex([program for program, _ in writes])
                history.bump(AREA)
                committed = True
            invalidate()
            return committed

    # A program saved without this lock (the admin form) between our read and our insert (IntegrityError), or a
    # lost lock race: plan again against what is there now; db.Busy (409) when that keeps happening.
    result.committed = db.retry(plan_and_write, also=(IntegrityError,))
    result.problems.sort(key=lambda problem: problem.row or 0)
    return result


# ---- Saved searches ---------------------------------------------------------------------------------------


SAVED_SEARCH_FIELDS = ["owner_id", "name", "params", "alerts"]


def _search_state(saved: SavedSearch) -> dict:
    return history.snapshot(saved, SAVED_SEARCH_FIELDS)


def save_search(actor, *, name: str, params: str, alerts: bool, source: str = history.WEB) -> SavedSearch:
    require(actor, "programs.save_search")
    for field, value in (("name", name), ("params", params)):
        problem = control_character_problem(value)
        if problem:
            raise Invalid([(field, problem)])
    name = (name or "").strip() or "保存した検索"
    if alerts and not actor.email:
        raise Invalid([("alerts", "メール通知を受け取るには、マイページでメールアドレスを登録してください")])
    with transaction.atomic():
        saved = SavedSearch.objects.create(owner=actor, name=name[:100], params=params[:1000], alerts=alerts)
        # Programs already matching are not "new": only later additions are announced.
        result = run_search(SearchRequest.from_querystring(params), user=actor, page_size=10_000)
        saved.seen_program_ids = [item.public_id for item in result.all_items]
        saved.save(update_fields=["seen_program_ids"])
        history.record(actor, history.CREATE, saved, None, _search_state(saved), source=source)
    return saved


def _locked_search(saved: SavedSearch) -> SavedSearch:
    """The saved search locked for this transaction; deleted meanwhile (two clicks at once) is 404, as it is when
    sent later — not a second deletion in the history, nor a 500."""
    current = SavedSearch.objects.select_for_update().filter(pk=saved.pk).first()
    if current is None:
        raise Http404("保存した検索が見つかりません")
    return current


def _set_alerts(actor, saved: SavedSearch, alerts: bool, source: str) -> SavedSearch:
    with transaction.atomic():
        current = _locked_search(saved)
        if current.alerts != alerts:
            before = _search_state(current)
            current.alerts = alerts
            current.save(update_fields=["alerts"])
            history.record(actor, history.UPDATE, current, before, _search_state(current), source=source)
    saved.alerts = alerts
    return saved


def set_alerts(actor, saved: SavedSearch, alerts: bool, *, source: str = history.WEB) -> SavedSearch:
    require(actor, "programs.save_search", saved)
    if alerts and not saved.owner.email:
        raise Invalid([("alerts", "メール通知を受け取るには、マイページでメールアドレスを登録してください")])
    return _set_alerts(actor, saved, alerts, source)


def unsubscribe(saved: SavedSearch) -> None:
    """From a signed link in an e-mail: the token is the permission (no login needed); history names the owner."""
    _set_alerts(saved.owner, saved, False, history.WEB)


def delete_search(actor, saved: SavedSearch, *, source: str = history.WEB) -> None:
    require(actor, "programs.save_search", saved)
    with transaction.atomic():
        current = _locked_search(saved)
        history.record(actor, history.DELETE, current, _search_state(current), None, source=source)
        current.delete()
