"""The optimistic-lock edit every app's actions use (ADR 0008): read the version the editor saw, lock the row and
compare, apply the cleaned values, and raise the version only when something really changed.

One sequence instead of a copy per app, so a stale edit is refused the same way everywhere (Conflict → 409) and
an edit that changes nothing writes neither a row nor a history entry.
"""

from decimal import Decimal, InvalidOperation

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


# ---- after a Conflict: the form comes back with what was typed (nothing the user wrote is lost) ----------------------

SAVED_FIRST = ("ほかの人が先に保存しました。あなたの入力は消さずに残しています。各項目の「ほかの人が保存した内容」と見比べてください。"
               "このまま保存すると、あなたの入力で上書きします。")


def _same(typed, stored) -> bool:
    if isinstance(typed, (list, tuple, set)) or isinstance(stored, (list, tuple, set)):
        return sorted(map(str, typed or ())) == sorted(map(str, stored or ()))
    if isinstance(typed, bool) or isinstance(stored, bool):
        return bool(typed) == bool(stored)
    # Browsers send CRLF in textareas; a number typed "3" is the stored Decimal("3.0").
    typed, stored = ("" if v is None else str(v).replace("\r\n", "\n").strip() for v in (typed, stored))
    if typed == stored:
        return True
    try:
        return Decimal(typed) == Decimal(stored)
    except (InvalidOperation, ValueError):
        return False


def _flat(choices):
    for key, label in choices or ():
        if isinstance(label, (list, tuple)):  # a group: (heading, [(value, label), ...])
            yield from label
        else:
            yield key, label


def _shown(value, choices) -> str:
    labels = {str(k): str(v) for k, v in _flat(choices)}
    if isinstance(value, (list, tuple, set)):
        return "・".join(labels.get(str(v), str(v)) for v in value) or "（なし）"
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if value is None or str(value).strip() == "":
        return "（空欄）"
    return labels.get(str(value), str(value))


def differences(typed: dict, stored: dict, choices: dict | None = None) -> dict[str, str]:
    """Field → what the other person saved, as text to show beside the field, for each field of `typed` whose stored
    value differs (`choices`: field → [(value, label)] so a choice shows its label, not its code)."""
    choices = choices or {}
    return {name: _shown(stored[name], choices.get(name)) for name, value in typed.items()
            if name in stored and not _same(value, stored[name])}


def keep_typed(form, stored: dict | None) -> None:
    """A bound Django form whose save raised Conflict: keep what was typed, show the other person's value on each field
    that differs (`field.field.theirs`) and move the form's version to the stored one, so that saving again is a
    deliberate overwrite. `stored`: the initial values of the row as it is now (None: it is gone)."""
    form.conflict = SAVED_FIRST
    if stored is None:
        return
    data = form.data.copy()
    data[form.add_prefix("version")] = str(stored["version"])
    form.data = data
    cleaned = getattr(form, "cleaned_data", {})
    typed = {name: cleaned[name] if name in cleaned else form[name].value()
             for name in form.fields if name != "version"}
    shown = differences(typed, stored, {name: getattr(field, "choices", None) for name, field in form.fields.items()})
    for name, text in shown.items():
        form.fields[name].theirs = text
