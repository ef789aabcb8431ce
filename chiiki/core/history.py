"""Recording changes of domain data (see ChangeRecord) and bumping data versions."""

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable

from django.db import models, transaction
from django.db.models import F

from .models import ChangeRecord, DataVersion


def _jsonable(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict:
    """Field values of obj as JSON-safe data (foreign keys by id)."""
    names = fields or [
        f.attname for f in obj._meta.concrete_fields if f.name not in ("created_at", "updated_at")
    ]
    return {name: _jsonable(getattr(obj, name)) for name in names}


def _actor_label(actor) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "システム"
    return actor.get_username()


def change_record(actor, action: str, obj: models.Model, before=None, after=None, *, municipality=None,
                  prefecture=None, source: str = "", object_repr: str | None = None) -> ChangeRecord:
    """Build (not save) a ChangeRecord for obj."""
    if municipality is not None and prefecture is None:
        prefecture_id = municipality.prefecture_id
    else:
        prefecture_id = getattr(prefecture, "pk", None)
    return ChangeRecord(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=_actor_label(actor),
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
    entry = change_record(actor, action, obj, before, after, **kwargs)
    entry.save()
    return entry


def record_many(entries: list[ChangeRecord]) -> None:
    ChangeRecord.objects.bulk_create(entries, batch_size=2000)


def bump(name: str) -> None:
    """Increase the data version of an area; call inside the writing transaction."""
    updated = DataVersion.objects.filter(name=name).update(version=F("version") + 1)
    if not updated:
        with transaction.atomic():
            obj, created = DataVersion.objects.select_for_update().get_or_create(name=name, defaults={"version": 1})
            if not created:
                DataVersion.objects.filter(name=name).update(version=F("version") + 1)


def version(name: str) -> int:
    return DataVersion.objects.filter(name=name).values_list("version", flat=True).first() or 0
