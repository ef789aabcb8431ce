"""The optimistic-lock edit every app's actions use (ADR 0008): read the version the editor saw, lock the row and
compare, apply the cleaned values, and raise the version only when something really changed.

One sequence instead of a copy per app, so a stale edit is refused the same way everywhere (Conflict → 409) and
an edit that changes nothing writes neither a row nor a history entry.
"""

from chiiki.core import history
from chiiki.core.errors import Conflict, Invalid

VERSION_REQUIRED = "版（version）を指定してください。最新の内容を読み込んでから保存してください"


def parse_version(raw) -> int:
    """The version the editor saw (0 = no row yet). Required: an update without it could overwrite others.
    ValueError with a Japanese message (importers report it against their row)."""
    if raw is None or raw == "":
        raise ValueError(VERSION_REQUIRED)
    if isinstance(raw, bool):
        raise ValueError(f"版（version）は0以上の整数です: {raw}")
    try:
        version = int(raw)
    except (TypeError, ValueError):
        raise ValueError(f"版（version）は0以上の整数です: {raw}") from None
    if version < 0:
        raise ValueError(f"版（version）は0以上の整数です: {raw}")
    return version


def require_version(raw) -> int:
    """`parse_version` for actions: a bad version is an `Invalid` on the field "version" (422)."""
    try:
        return parse_version(raw)
    except ValueError as exc:
        raise Invalid([("version", str(exc))]) from None


def check_version(current, version) -> None:
    """Conflict unless the (locked) row exists and still has the version the editor saw."""
    if current is None or current.version != version:
        raise Conflict(current=current)


def lock(queryset, pk, version):
    """The row `pk` of `queryset`, locked for this transaction (PostgreSQL; SQLite serialises writers) and
    checked against `version`. Call inside `transaction.atomic()`."""
    current = queryset.select_for_update(of=("self",)).order_by().filter(pk=pk).first()
    check_version(current, version)
    return current


def apply(current, fields, cleaned: dict) -> dict | None:
    """Set `cleaned` on the locked row. Returns the snapshot of `fields` before the change (and raises the version)
    when something changed; None when the edit changes nothing (then save nothing and record no history)."""
    before = history.snapshot(current, fields)
    for name, value in cleaned.items():
        setattr(current, name, value)
    if history.snapshot(current, fields) == before:
        return None
    current.version += 1
    return before
