"""Reading the change history: filters within the user's scope, readable diffs, export rows."""

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import lru_cache

from django.apps import apps
from django.http import Http404
from django.utils import timezone

from chiiki import access
from chiiki.core import history
from chiiki.core.codes import InvalidCode, normalize_code
from chiiki.core.models import ChangeRecord
from chiiki.core.search_request import parse_date
from chiiki.core.text import nfkc
from chiiki.regions.models import Municipality, Prefecture

ACTION_LABELS = dict(ChangeRecord.Action.choices)
EXPORT_HEADER = ["日時", "操作", "対象の種類", "対象ID", "対象", "団体コード", "団体", "都道府県", "実行者", "経路",
                 "変更内容"]
SOURCE_LABELS = history.SOURCES


@dataclass
class HistoryFilters:
    municipality: str = ""
    prefecture: str = ""
    model: str = ""
    object_id: str = ""
    action: str = ""
    actor: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    errors: list[str] = field(default_factory=list)
    municipality_obj: object = None
    prefecture_obj: object = None

    def as_query(self) -> dict:
        """The active filters as GET parameters (for export links)."""
        pairs = {
            "municipality": self.municipality, "prefecture": self.prefecture, "model": self.model,
            "object_id": self.object_id, "action": self.action, "actor": self.actor,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        }
        return {k: v for k, v in pairs.items() if v}


def _parse_date(raw: str, label: str, errors: list[str]) -> dt.date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return parse_date(raw)
    except ValueError:
        errors.append(f"{label}は YYYY-MM-DD の形式で入力してください（入力: {raw}）。")
        return None


def parse_filters(user, params) -> HistoryFilters:
    """Read the filters from GET params. A municipality/prefecture outside the user's history scope → 404."""
    filters = HistoryFilters(
        model=params.get("model", "").strip(),
        object_id=params.get("object_id", "").strip(),
        action=params.get("action", "").strip() if params.get("action") in ACTION_LABELS else "",
        actor=params.get("actor", "").strip(),
    )
    filters.date_from = _parse_date(params.get("from", ""), "開始日", filters.errors)
    filters.date_to = _parse_date(params.get("to", ""), "終了日", filters.errors)
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        filters.errors.append("開始日は終了日以前の日付を指定してください。")
        filters.date_from = filters.date_to = None

    raw_code = params.get("municipality", "").strip()
    if raw_code:
        try:
            code = normalize_code(raw_code)
        except InvalidCode as exc:
            filters.errors.append(f"団体コードが正しくありません: {exc}")
        else:
            municipality = Municipality.objects.select_related("prefecture").filter(code=code).first()
            if municipality is None or not access.can(user, "municipality.view_history", municipality):
                raise Http404("この団体の変更履歴は見つかりません")
            filters.municipality, filters.municipality_obj = code, municipality

    # １３ as typed on a Japanese keyboard names 東京都 as 13 does (the 団体コード above is read the same way).
    raw_prefecture = nfkc(params.get("prefecture", "")).strip()
    if raw_prefecture:
        prefecture = Prefecture.objects.filter(code=raw_prefecture.zfill(2)).first()
        if prefecture is None or not access.can(user, "municipality.view_history", prefecture):
            raise Http404("この都道府県の変更履歴は見つかりません")
        filters.prefecture, filters.prefecture_obj = prefecture.code, prefecture
    return filters


def scope_label(user) -> str | None:
    """Whose history the user may read, in words; None if nobody's (access.scope_history gives them none)."""
    if access.is_admin(user):
        return "全国のすべての変更履歴"
    if access.staff_prefecture_id(user):
        return f"{user.prefecture.name}と域内市区町村の変更履歴"
    if access.staff_municipality_id(user):
        return f"{user.municipality.name}の変更履歴"
    return None


def scoped_records(user):
    return access.scope_history(
        user, ChangeRecord.objects.select_related("municipality", "prefecture")
    )


def filtered_records(user, filters: HistoryFilters):
    records = scoped_records(user)
    if filters.municipality:
        records = records.filter(municipality_id=filters.municipality)
    if filters.prefecture:
        records = records.filter(prefecture_id=filters.prefecture)
    if filters.model:
        records = records.filter(model=filters.model)
    if filters.object_id:
        records = records.filter(object_id=filters.object_id)
    if filters.action:
        records = records.filter(action=filters.action)
    if filters.actor:
        records = records.filter(actor_label__icontains=filters.actor)
    if filters.date_from:
        records = records.filter(at__date__gte=filters.date_from)
    if filters.date_to:
        records = records.filter(at__date__lte=filters.date_to)
    return records


@lru_cache(maxsize=256)
def model_label(label: str) -> str:
    """'regions.municipality' → 市区町村 (the model's verbose_name), or the label itself if unknown."""
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


def model_choices(user) -> list[tuple[str, str]]:
    labels = scoped_records(user).order_by().values_list("model", flat=True).distinct()
    return sorted(((label, model_label(label)) for label in labels), key=lambda pair: pair[1])


@lru_cache(maxsize=256)
def _fields_of(label: str) -> dict:
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return {}
    fields = {}
    for f in model._meta.concrete_fields:
        fields[f.name] = fields[f.attname] = f
    for f in model._meta.many_to_many:  # recorded as lists of ids (tags, neighbours, capabilities)
        fields[f.name] = f
    return fields


def _field_label(f, name: str) -> str:
    if f is None:
        return name
    label = str(f.verbose_name)
    if f.is_relation and f.related_model is not None and label == f.name.replace("_", " "):
        return str(f.related_model._meta.verbose_name)  # a relation nobody named reads as what it points at
    return label


def _sector_names() -> dict[str, str]:
    from chiiki.roadmap.models import Sector

    return dict(Sector.objects.values_list("code", "name"))


def _related_label(model, pk, memo: dict) -> str:
    """A foreign key's value as its object's name (分野 public_private → 官民協働サービス); the id if it is gone, and
    no name when the viewer may not see the object (a draft plan named on a request of theirs).
    memo lives for one page or export of one viewer, so names are current and each object is read once."""
    key = (model._meta.label_lower, pk)
    if key not in memo:
        obj = model._default_manager.filter(pk=pk).first()
        if obj is None:
            memo[key] = str(pk)
        elif access.can_view(memo["viewer"], obj):
            memo[key] = str(obj)
        else:
            memo[key] = f"（閲覧できない{model._meta.verbose_name} #{pk}）"
    return memo[key]


def _display(f, value, memo: dict) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    # A model can word its own values (codes, lists, rule strings): programs.SupportProgram.history_display.
    custom = getattr(f.model, "history_display", None) if f is not None else None
    if custom is not None:
        shown = custom(f.name, value)
        if shown is not None:
            return shown
    if f is not None and f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if f is not None and f.is_relation and f.related_model is not None:
        if not isinstance(value, list | dict):
            return _related_label(f.related_model, value, memo)
        if isinstance(value, list):
            return "、".join(_related_label(f.related_model, pk, memo) for pk in value) or "—"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        if f is not None and f.name == "sectors":  # every app keeps its 分野 as a list of sector codes
            if "sector-names" not in memo:
                memo["sector-names"] = _sector_names()
            value = [memo["sector-names"].get(v, v) for v in value]
        return "、".join(str(v) for v in value) or "—"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    before: str
    after: str


def _history_labels(label: str) -> dict:
    """Labels a model gives the history keys that are not its fields (history_labels)."""
    try:
        return getattr(apps.get_model(label), "history_labels", {})
    except (LookupError, ValueError):
        return {}


def _changes(model: str, before: dict | None, after: dict | None, memo: dict) -> list[FieldChange]:
    fields = _fields_of(model)
    named = _history_labels(model)
    before, after = before or {}, after or {}
    changes = []
    for name in dict.fromkeys([*before, *after]):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        f = fields.get(name)
        label = named.get(name) or _field_label(f, name)
        changes.append(FieldChange(name, label, _display(f, old, memo), _display(f, new, memo)))
    return changes


def names_for(viewer) -> dict:
    """The memo of related objects' names for one page or export read by `viewer`."""
    return {"viewer": viewer}


def diff(record: ChangeRecord, memo: dict) -> list[FieldChange]:
    """The record's changed fields with Japanese labels (the model field's verbose_name) and readable values;
    `memo` from names_for(viewer)."""
    return _changes(record.model, record.before, record.after, memo)


def _diff_text(changes: list[FieldChange]) -> str:
    return "; ".join(f"{c.label}: {c.before} → {c.after}" for c in changes)


def export_rows(records, viewer):
    """Rows for EXPORT_HEADER; reads plain values (no model instances) so 100k records stay quick."""
    columns = ["at", "action", "model", "object_id", "object_repr", "municipality_id", "municipality__name",
               "prefecture__name", "actor_label", "source", "before", "after"]
    tz = timezone.get_current_timezone()
    memo = names_for(viewer)
    for r in records.values(*columns).iterator(chunk_size=2000):
        yield [
            r["at"].astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"), ACTION_LABELS.get(r["action"], r["action"]),
            model_label(r["model"]), r["object_id"], r["object_repr"], r["municipality_id"] or "",
            r["municipality__name"] or "", r["prefecture__name"] or "", r["actor_label"],
            SOURCE_LABELS.get(r["source"], r["source"]),
            _diff_text(_changes(r["model"], r["before"], r["after"], memo)),
        ]
