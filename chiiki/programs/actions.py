"""Every write to the catalog: admin edits, CSV/XLSX imports, the reference loader, saved searches."""

from django.db import transaction

from chiiki.access import require
from chiiki.core import history
from chiiki.core.errors import Conflict, ImportRejected, RowProblem
from chiiki.core.tabular import Table, TableError, require_columns
from chiiki.roadmap.models import Sector

from .catalog import HEADER, REQUIRED_COLUMNS, RowErrors, content_of, parse_row
from .indexing import PROGRAM_INDEX, reindex
from .models import SavedSearch, SupportProgram
from .search import SearchRequest, invalidate, run_search

AREA = "programs"


def _sector_codes() -> set[str]:
    return set(Sector.objects.values_list("code", flat=True))


def _snapshot(program) -> dict:
    return history.snapshot(program, [f.attname for f in SupportProgram._meta.concrete_fields
                                      if f.name not in ("created_at", "updated_at", "id")])


def save_program(actor, program: SupportProgram | None, row: dict[str, str], *, version: int | None = None,
                 source: str = "web") -> SupportProgram:
    """Create (program=None) or update a program from file-format values. Raises RowErrors, Conflict."""
    require(actor, "programs.manage", program)
    data = parse_row(row, _sector_codes())
    with transaction.atomic():
        if program is None:
            if SupportProgram.objects.filter(public_id=data["public_id"]).exists():
                raise RowErrors([("id", f"ID {data['public_id']} は既に使われています")])
            program = SupportProgram(**data, edited_since_load=True)
            program.save()
            history.record(actor, "create", program, None, _snapshot(program), source=source)
        else:
            current = SupportProgram.objects.select_for_update().get(pk=program.pk)
            if version is not None and current.version != version:
                raise Conflict("他の利用者がこの支援メニューを更新しました。最新の内容を確認してから保存してください")
            if data["public_id"] != current.public_id and \
                    SupportProgram.objects.filter(public_id=data["public_id"]).exclude(pk=current.pk).exists():
                raise RowErrors([("id", f"ID {data['public_id']} は既に使われています")])
            before = _snapshot(current)
            for attr, value in data.items():
                setattr(current, attr, value)
            current.version += 1
            current.edited_since_load = True
            current.save()
            history.record(actor, "update", current, before, _snapshot(current), source=source)
            program = current
        reindex([program])
        history.bump(AREA)
        invalidate()
    return program


def delete_program(actor, program: SupportProgram, *, source: str = "web") -> None:
    require(actor, "programs.manage", program)
    with transaction.atomic():
        before = _snapshot(program)
        history.record(actor, "delete", program, before, None, source=source)
        PROGRAM_INDEX.remove([program.pk])
        program.delete()
        history.bump(AREA)
        invalidate()


def parse_catalog_table(table: Table) -> list[tuple[int, dict]]:
    """Validate every row of an uploaded catalog; raises ImportRejected naming every bad row and column."""
    try:
        require_columns(table, REQUIRED_COLUMNS)
    except TableError as exc:
        raise ImportRejected([RowProblem(1, "", str(exc))]) from None
    unknown = [h for h in table.header if h not in HEADER]
    problems: list[RowProblem] = []
    if unknown:
        problems.append(RowProblem(1, "", f"不明な列があります: {', '.join(unknown)}（使える列: {', '.join(HEADER)}）"))
    codes = _sector_codes()
    parsed, seen = [], {}
    for row in table.rows:
        try:
            data = parse_row(row.values, codes)
        except RowErrors as exc:
            problems.extend(RowProblem(row.number, column, reason) for column, reason in exc.problems)
            continue
        if data["public_id"] in seen:
            problems.append(RowProblem(row.number, "id", f"ID {data['public_id']} が重複しています（{seen[data['public_id']]}行目）"))
            continue
        seen[data["public_id"]] = row.number
        parsed.append((row.number, data))
    if not table.rows:
        problems.append(RowProblem(None, "", "データ行がありません"))
    if problems:
        raise ImportRejected(problems)
    return parsed


def import_catalog(actor, table: Table, *, dry_run: bool = False) -> dict:
    """All-or-nothing upsert of the catalog from a CSV/XLSX table. Returns counts; dry_run writes nothing."""
    require(actor, "programs.manage")
    parsed = parse_catalog_table(table)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    with transaction.atomic():
        existing = {p.public_id: p for p in SupportProgram.objects.select_for_update()
                    .filter(public_id__in=[d["public_id"] for _, d in parsed])}
        records, touched = [], []
        for _, data in parsed:
            program = existing.get(data["public_id"])
            if program is None:
                program = SupportProgram(**data, edited_since_load=True)
                counts["created"] += 1
                if not dry_run:
                    program.save()
                    records.append(history.change_record(actor, "create", program, None, _snapshot(program),
                                                         source="import"))
                    touched.append(program)
                continue
            before_content = content_of(program)
            for attr, value in data.items():
                setattr(program, attr, value)
            if content_of(program) == before_content:
                counts["unchanged"] += 1
                continue
            counts["updated"] += 1
            if not dry_run:
                before = SupportProgram.objects.get(pk=program.pk)
                program.version += 1
                program.edited_since_load = True
                program.save()
                records.append(history.change_record(actor, "update", program, _snapshot(before), _snapshot(program),
                                                     source="import"))
                touched.append(program)
        if not dry_run and touched:
            history.record_many(records)
            reindex(touched)
            history.bump(AREA)
        invalidate()
    return counts


# ---- Saved searches ---------------------------------------------------------------------------------------


def save_search(actor, *, name: str, params: str, alerts: bool) -> SavedSearch:
    require(actor, "programs.save_search")
    name = (name or "").strip() or "保存した検索"
    if alerts and not actor.email:
        raise ValueError("メール通知を受け取るには、マイページでメールアドレスを登録してください")
    with transaction.atomic():
        saved = SavedSearch.objects.create(owner=actor, name=name[:100], params=params[:1000], alerts=alerts)
        # Programs already matching are not "new": only later additions are announced.
        result = run_search(SearchRequest.from_querystring(params), user=actor, page_size=10_000)
        saved.seen_program_ids = [item.public_id for item in result.all_items]
        saved.save(update_fields=["seen_program_ids"])
    return saved


def set_alerts(actor, saved: SavedSearch, alerts: bool) -> SavedSearch:
    require(actor, "programs.save_search", saved)
    if alerts and not saved.owner.email:
        raise ValueError("メール通知を受け取るには、マイページでメールアドレスを登録してください")
    SavedSearch.objects.filter(pk=saved.pk).update(alerts=alerts)
    saved.alerts = alerts
    return saved


def unsubscribe(saved: SavedSearch) -> None:
    """From a signed link in an e-mail: the token is the permission (no login needed)."""
    SavedSearch.objects.filter(pk=saved.pk).update(alerts=False)
    saved.alerts = False


def delete_search(actor, saved: SavedSearch) -> None:
    require(actor, "programs.save_search", saved)
    saved.delete()
