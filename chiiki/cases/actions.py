"""Every write of cases: permission (chiiki.access), validation, one transaction, history, search index, bump."""

from django.db import transaction

from chiiki import access
from chiiki.core import budget, db, editing, history
from chiiki.core.errors import Conflict, Invalid
from chiiki.core.forms import row_id
from chiiki.core.imports import ImportResult
from chiiki.core.tabular import as_read

from . import indexing, validation
from .models import Case

AREA = "cases"
FIELDS = ("title", "summary", "sectors", "sector_models", "funding_kinds", "sharing_economy", "outcomes", "cost",
          "operator", "lessons", "contact_organisation", "source_url", "status")


def snapshot(case: Case) -> dict:
    return {**{name: history.jsonable(getattr(case, name)) for name in FIELDS},
            "municipality": case.municipality_id, "partners": sorted(case.partners.values_list("code", flat=True)),
            "programs": sorted(case.programs.values_list("public_id", flat=True)), "version": case.version}


def _apply(case: Case, cleaned: dict) -> None:
    for name in FIELDS:
        setattr(case, name, cleaned[name])
    case.municipality = cleaned["municipality"]


def save_case(actor, case: Case | None, data: dict, *, version, source: str = history.WEB,
              is_demo: bool = False) -> tuple[Case, bool]:
    """Create (case None, version 0) or update a case; the acting user must manage its municipality (and, on
    an update, the one it had). Raises Invalid naming every bad field, Conflict on a stale version."""
    cleaned = validation.clean_case(data)
    access.require(actor, "cases.edit", cleaned["municipality"])
    expected = editing.require_version(version)
    with transaction.atomic():
        if case is None:
            if expected != 0:
                raise Conflict()
            case = Case(is_demo=is_demo, version=1,
                        created_by=actor if getattr(actor, "is_authenticated", False) else None)
            _apply(case, cleaned)
            case.save()
            case.partners.set(cleaned["partners"])
            case.programs.set(cleaned["programs"])
            history.record(actor, history.CREATE, case, None, snapshot(case), municipality=case.municipality,
                           source=source)
        else:
            access.require(actor, "cases.edit", case.municipality)
            current = editing.lock(Case.objects.all(), case.pk, expected)
            before = snapshot(current)
            _apply(current, cleaned)
            current.partners.set(cleaned["partners"])
            current.programs.set(cleaned["programs"])
            after = snapshot(current) | {"version": current.version}
            if after == before:
                return current, False
            current.version += 1
            current.save()
            case = current
            history.record(actor, history.UPDATE, case, before, snapshot(case), municipality=case.municipality,
                           source=source)
        indexing.reindex([case])
        history.bump(AREA)
    return case, True


def _reads_as(case, key: str, value) -> bool:
    stored = getattr(case, key, None)
    return isinstance(stored, str) and isinstance(value, str) and stored != value and value == as_read(stored)


def import_cases(actor, table, *, dry_run: bool = False, source: str = history.IMPORT) -> ImportResult:
    """All or nothing: every row is checked (values and the actor's right to edit its municipality) before any
    is written. A row with an `id` updates that case (its `version` must match), without one creates a case."""
    access.require(actor, "cases.import")
    result = ImportResult(dry_run=dry_run, rows=len(table.rows))
    missing = [c for c in validation.REQUIRED_COLUMNS if c not in table.header]
    if missing:
        result.reject(None, "", f"必須の列がありません: {', '.join(missing)}")
        return result
    plans = []
    seen: dict[int, int] = {}  # case id → the row that first names it
    for row in table.rows:
        budget.check()
        data = validation.row_data(row)
        problems = 0
        key = row_id(data.get("id"))
        if key is not None:
            # A case twice would meet its own new version at commit and be blamed on another user: name it now.
            if key in seen:
                result.reject(row.number, "ID", f"ID {data['id']} が重複しています（{seen[key]}行目）", str(data["id"]))
                continue
            seen[key] = row.number
        try:
            owner = validation.municipality(data.get("municipality"))
        except ValueError:
            owner = None  # named by clean_case below
        if owner is not None and not access.can(actor, "cases.edit", owner):
            result.reject(row.number, "団体コード", "この団体の事例を登録する権限がありません", owner.code)
            problems += 1
        try:
            validation.clean_case(data)
        except Invalid as exc:
            for field, reason in exc.problems:
                result.reject(row.number, validation.COLUMN_OF.get(field, field), reason, str(data.get(field, ""))[:100])
                problems += 1
        if problems:
            continue
        case = None
        if data.get("id"):
            case = Case.objects.filter(pk=row_id(data["id"]) or 0).first()
            # A draft the actor cannot see reads as no case at all, so a file cannot probe which IDs exist.
            if case is None or not access.can_view(actor, case):
                result.reject(row.number, "ID", "この ID の事例はありません", str(data["id"]))
                continue
            if not access.can(actor, "cases.edit", case.municipality):
                result.reject(row.number, "ID", "この事例を更新する権限がありません", str(data["id"]))
                continue
            try:
                stale = editing.parse_version(data.get("version")) != case.version
            except ValueError as exc:
                result.reject(row.number, "版", str(exc), str(data.get("version") or ""))
                continue
            if stale:
                result.reject(row.number, "版", "事例がほかで更新されています（最新の版を出力し直してください）",
                              str(data.get("version") or ""))
                continue
        if case is not None:  # cells read with full-width digits and spaces half-width: keep a text saved with them
            data = {key: getattr(case, key) if _reads_as(case, key, value) else value for key, value in data.items()}
        plans.append((row.number, case, data))
    if not result.ok or dry_run:
        result.created = sum(1 for _, case, _ in plans if case is None)
        result.updated = sum(1 for _, case, _ in plans if case is not None)
        return result
    try:
        with transaction.atomic():
            db.lock_area(AREA)
            for number, case, data in plans:
                try:
                    _saved, changed = save_case(actor, case, data, version=case.version if case else 0,
                                                source=source)
                except Conflict:
                    # Saved on its page after this file was checked: the file is refused whole, naming the row.
                    result.reject(number, "版", "事例がほかで更新されています（最新の版を出力し直してください）",
                                  str(data.get("version") or ""))
                    raise _Refused from None
                if case is None:
                    result.created += 1
                elif changed:
                    result.updated += 1
                else:
                    result.unchanged += 1
            result.committed = True
    except _Refused:
        result.created = result.updated = result.unchanged = 0
    return result


class _Refused(Exception):
    """Rolls back an import's writes when one row meets a change made since the file was checked."""
