"""The one history writer: every change of domain data, single or bulk, is recorded here.

- `record(...)` saves one ChangeRecord (single edits).
- `change_record(...)` builds one without saving; `entry(...)` builds the same columns as a plain dict
  (cheap enough for 20,000 rows); `record_many([...])` writes a batch of either in bulk SQL with one `at`.
- `bump(area)` advances the data version caches key on; call it in the same transaction as the write.

`source` says which path made the change (SOURCES); actions take it as a keyword argument of the same name.
"""

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Iterable

from django.db import models, transaction
from django.db.models import F
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from . import bulk
from .cache import forget_recent, is_partitioned, note_write
from .models import ChangeRecord, DataVersion

# The paths a change can come by (ChangeRecord.source), with the labels the history pages show.
WEB, API, IMPORT, WEB_IMPORT, COMMAND, REFERENCE, DEMO, ADMIN_SITE = (
    "web", "api", "import", "web-import", "command", "reference", "demo", "admin")
SOURCES = {
    WEB: "画面からの入力",
    API: "API",
    IMPORT: "ファイル取込",
    WEB_IMPORT: "ファイル取込（画面）",
    COMMAND: "管理コマンド",
    REFERENCE: "参照データの読込",
    DEMO: "デモデータ",
    ADMIN_SITE: "管理画面",
}

CREATE, UPDATE, DELETE = ChangeRecord.Action.CREATE, ChangeRecord.Action.UPDATE, ChangeRecord.Action.DELETE

_COLUMNS = [f for f in ChangeRecord._meta.concrete_fields if not f.primary_key]
_JSON_COLUMNS = {f.attname for f in _COLUMNS if f.get_internal_type() == "JSONField"}


def jsonable(value):
    """A field value as JSON-safe data (dates as ISO text, decimals and UUIDs as text, objects by pk)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict:
    """Field values of obj as JSON-safe data (foreign keys by id)."""
    names = fields or [
        f.attname for f in obj._meta.concrete_fields if f.name not in ("created_at", "updated_at")
    ]
    return {name: jsonable(getattr(obj, name)) for name in names}


def _signed_in(actor) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


def actor_label(actor) -> str:
    return actor.get_username() if _signed_in(actor) else "システム"


def entry(actor, action: str, *, model: str, object_id, object_repr: str, municipality_id=None,
          prefecture_id=None, before=None, after=None, source: str = "") -> dict:
    """The columns of one ChangeRecord as plain values, for record_many."""
    signed_in = _signed_in(actor)
    return {
        "actor_id": actor.pk if signed_in else None, "actor_label": actor_label(actor), "action": action,
        "model": model, "object_id": str(object_id), "object_repr": object_repr[:255],
        "municipality_id": municipality_id, "prefecture_id": prefecture_id, "before": before, "after": after,
        "source": source,
    }


def change_record(actor, action: str, obj: models.Model, before=None, after=None, *, municipality=None,
                  prefecture=None, source: str = "", object_repr: str | None = None) -> ChangeRecord:
    """Build (not save) a ChangeRecord for obj."""
    if municipality is not None and prefecture is None:
        prefecture_id = municipality.prefecture_id
    else:
        prefecture_id = getattr(prefecture, "pk", None)
    return ChangeRecord(
        actor=actor if _signed_in(actor) else None,
        actor_label=actor_label(actor),
        action=action,
        model=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=(object_repr if object_repr is not None else str(obj))[:255],
        municipality=municipality,
        prefecture_id=prefecture_id,
        before=before,
        after=after,
        source=source,
    )


def record(actor, action: str, obj: models.Model, before=None, after=None, **kwargs) -> ChangeRecord:
    """Save the ChangeRecord of one change (inside the action's transaction)."""
    record_ = change_record(actor, action, obj, before, after, **kwargs)
    record_.save()
    return record_


def record_deleted_with(actor, obj: models.Model, *, source: str = "", skip: Iterable[type] = (),
                        object_repr=None, municipality=None, prefecture=None) -> int:
    """A DELETE, with what it held, for every row that deleting `obj` takes with it (on_delete=CASCADE, found as
    Django's delete finds them); call before obj.delete() in the same transaction. `skip`: models that are not
    domain data (counters) or that the caller records itself; Django's own (the admin log) are never recorded. `object_repr(row)`: a name without personal data."""
    from django.db import router
    from django.db.models.deletion import Collector

    collector = Collector(using=router.db_for_write(type(obj)))
    collector.collect([obj])
    skipped = (ChangeRecord, *skip)
    rows = [row for model, instances in collector.data.items() for row in instances]
    rows += [row for queryset in collector.fast_deletes for row in queryset]
    entries = [change_record(actor, DELETE, row, snapshot(row), None, source=source, municipality=municipality,
                             prefecture=prefecture, object_repr=object_repr(row) if object_repr else None)
               for row in rows
               if not (type(row) is type(obj) and row.pk == obj.pk)
               and not isinstance(row, skipped) and not row._meta.auto_created
               and row._meta.app_config.name.startswith("chiiki.")]  # not Django's admin log, sessions
    record_many(entries)
    return len(entries)


def _row(item, at) -> tuple:
    values = item if isinstance(item, dict) else {f.attname: getattr(item, f.attname) for f in _COLUMNS}
    row = []
    for column in _COLUMNS:
        if column.attname == "at":
            row.append(at)
        elif column.attname in _JSON_COLUMNS:
            raw = values.get(column.attname)
            row.append(None if raw is None else json.dumps(raw, ensure_ascii=False))
        else:
            row.append(values.get(column.attname))
    return tuple(row)


def record_many(entries: Iterable, at=None) -> None:
    """Write many changes in bulk (ChangeRecords from change_record or dicts from entry), all with one `at`."""
    at = at or timezone.now()
    bulk.insert_rows(ChangeRecord, [f.name for f in _COLUMNS], [_row(item, at) for item in entries])


def bump(name: str, *, part: str | None = None) -> None:
    """Increase the data version of an area; call inside the writing transaction.

    `part`: the write touched only this part of the area (e.g. one municipality's row): pages that show only
    another part stay cached. Without it, an area some page depends on by part also moves its whole-area epoch
    `area/*` (chiiki.core.cache, docs/decisions/0014-fast-by-default.md)."""
    _bump_one(name)
    # This process's own next request sees the write at once; the commit clears what was read meanwhile, and so
    # does a read after a rollback (note_write: Django has no hook for it).
    forget_recent()
    note_write()
    if part is not None:
        _bump_one(f"{name}/{part}")
    elif is_partitioned(name):
        _bump_one(f"{name}/*")


def _bump_one(name: str) -> None:
    updated = DataVersion.objects.filter(name=name).update(version=F("version") + 1)
    if not updated:
        with transaction.atomic():
            _obj, created = DataVersion.objects.select_for_update().get_or_create(name=name, defaults={"version": 1})
            if not created:
                DataVersion.objects.filter(name=name).update(version=F("version") + 1)


def version(name: str) -> int:
    return DataVersion.objects.filter(name=name).values_list("version", flat=True).first() or 0
