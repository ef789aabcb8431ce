"""Every write of the catalog: permission → validation → one transaction → rows + history → data-version bump.

Pages, /api/v1/opendata, the demo loader and tests all call these functions. Usage counting (count_use) is the
one write without history: it stores monthly counters, not catalog data, and must not invalidate caches.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone

from chiiki import access
from chiiki.core import db, editing, history
from chiiki.core.errors import Invalid
from chiiki.core.tabular import format_size
from chiiki.regions.models import Municipality, Prefecture
from chiiki.roadmap.models import Sector

from . import bounds, search, standard
from .indexing import DATASET_INDEX, document_of, sector_names
from .models import (
    Conformance,
    Dataset,
    Frequency,
    License,
    Resource,
    Usage,
    UsageKind,
    UseCase,
    UseCaseStatus,
    Visibility,
)

AREA = "opendata"
NAME_RE = re.compile(r"[a-z0-9_-]{2,100}")
FIELDS = ("name", "title", "notes", "license", "license_other", "tags", "sectors", "frequency", "standard_type",
          "visibility")
HISTORY_FIELDS = (*FIELDS, "municipality_id", "prefecture_id", "version")
FORMATS = {"csv": "CSV", "xlsx": "XLSX", "xls": "XLS", "json": "JSON", "geojson": "GeoJSON", "pdf": "PDF",
           "zip": "ZIP", "xml": "XML", "rdf": "RDF", "ttl": "TTL", "txt": "TXT", "html": "HTML"}
# Free text is refused beyond these lengths (characters), not cut: a description reads to the end.
DESCRIPTION_LIMIT = 4000  # a dataset's 説明 and a resource's 説明
USE_CASE_LIMIT = 2000  # a 利用事例's 説明, written by anyone signed in
# Bots identified by their user-agent are not counted as uses (lower-case substrings).
BOT_AGENTS = ("bot", "crawler", "spider", "slurp", "bingpreview", "facebookexternalhit", "headlesschrome",
              "python-requests", "curl/", "wget/")


def _snapshot(dataset: Dataset) -> dict:
    return {name: history.jsonable(getattr(dataset, name)) for name in HISTORY_FIELDS}


def _owner_kwargs(owner) -> dict:
    if isinstance(owner, Municipality):
        return {"municipality": owner, "prefecture_id": owner.prefecture_id}
    if isinstance(owner, Prefecture):
        return {"municipality": None, "prefecture": owner}
    if owner is None:
        return {"municipality": None, "prefecture": None}
    raise TypeError(owner)


def _history_scope(dataset: Dataset) -> dict:
    if dataset.municipality_id:
        return {"municipality": dataset.municipality}
    if dataset.prefecture_id:
        return {"prefecture": dataset.prefecture}
    return {}


def _split(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = re.split(r"[,、，;；\n]", value)
    return [v.strip() for v in value if str(v).strip()]


def clean_fields(values: dict, *, current: Dataset | None = None) -> dict:
    """The dataset's fields as they will be stored; raises Invalid naming every bad field (Japanese)."""
    problems = []
    cleaned = {}
    name = str(values.get("name", current.name if current else "")).strip()
    if not NAME_RE.fullmatch(name):
        problems.append(("name", "URL名は半角の英小文字・数字・「-」「_」で2〜100文字にしてください"))
    elif Dataset.objects.filter(name=name).exclude(pk=current.pk if current else None).exists():
        problems.append(("name", f"URL名「{name}」はすでに使われています"))
    cleaned["name"] = name
    title = str(values.get("title", current.title if current else "")).strip()
    if not title:
        problems.append(("title", "タイトルを入力してください"))
    elif len(title) > 200:
        problems.append(("title", "タイトルは200文字以内にしてください"))
    cleaned["title"] = title
    cleaned["notes"] = str(values.get("notes", current.notes if current else "") or "").strip()
    if len(cleaned["notes"]) > DESCRIPTION_LIMIT:
        problems.append(("notes", f"説明は{DESCRIPTION_LIMIT}文字以内にしてください"))
    license_ = values.get("license", current.license if current else License.CC_BY) or License.CC_BY
    if license_ not in License.values:
        problems.append(("license", "ライセンスを選択肢から選んでください"))
    cleaned["license"] = license_
    other = str(values.get("license_other", current.license_other if current else "") or "").strip()
    if license_ == License.OTHER and not other:
        problems.append(("license_other", "「その他」のライセンスは名称または条件を入力してください"))
    elif license_ == License.OTHER and len(other) > 200:  # refused, not cut: a licence's terms read to the end
        problems.append(("license_other", "「その他」のライセンスは200文字以内にしてください"))
    cleaned["license_other"] = other if license_ == License.OTHER else ""
    # One tag however it was typed: width and spaces (search.tag_form), then case (the first spelling stays).
    firsts: dict[str, str] = {}
    for tag in map(search.tag_form, _split(values.get("tags", current.tags if current else []))):
        if tag:
            firsts.setdefault(tag.lower(), tag)
    tags = list(firsts.values())
    if any(len(t) > 100 for t in tags):
        problems.append(("tags", "タグは1つ100文字以内にしてください"))
    if len(tags) > 50:
        problems.append(("tags", "タグは50個までです"))
    cleaned["tags"] = tags
    sectors = list(dict.fromkeys(_split(values.get("sectors", current.sectors if current else []))))
    unknown = set(sectors) - set(Sector.objects.values_list("code", flat=True))
    if unknown:
        problems.append(("sectors", f"分野のコードが正しくありません: {'、'.join(sorted(unknown))}"))
    cleaned["sectors"] = sectors
    frequency = values.get("frequency", current.frequency if current else Frequency.IRREGULAR) or Frequency.IRREGULAR
    if frequency not in Frequency.values:
        problems.append(("frequency", "更新頻度を選択肢から選んでください"))
    cleaned["frequency"] = frequency
    standard_type = values.get("standard_type", current.standard_type if current else "") or ""
    if standard_type and standard_type not in standard.schemas():
        problems.append(("standard_type", "自治体標準オープンデータセットの種類を選択肢から選んでください"))
    cleaned["standard_type"] = standard_type
    visibility = values.get("visibility", current.visibility if current else Visibility.PUBLIC) or Visibility.PUBLIC
    if visibility not in Visibility.values:
        problems.append(("visibility", "公開範囲を「公開」か「庁内限定」から選んでください"))
    cleaned["visibility"] = visibility
    for key in ("title", "notes", "license_other"):
        if _CONTROL.search(cleaned[key]):
            problems.append((key, "制御文字は使えません"))
    if any(_CONTROL.search(t) for t in tags):
        problems.append(("tags", "制御文字は使えません"))
    if problems:
        raise Invalid(problems)
    return cleaned


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _bump(dataset: Dataset) -> None:
    """The area's data version, as the part of its owner: the register's page of a municipality lists that
    municipality's datasets (chiiki/regions/apps.py), so a write leaves the other municipalities' pages cached.
    A prefecture's or the national government's dataset is on no municipality's page: its part is one no page
    reads (the catalog pages depend on the whole area, which every part's bump raises too)."""
    history.bump(AREA, part=dataset.municipality_id or dataset.prefecture_id or "national")


def _after_write(dataset: Dataset) -> None:
    """Inside the transaction: the search index row, the area's data version; the snapshot after commit."""
    DATASET_INDEX.replace(dataset.pk, document_of(dataset, sector_names()))
    _bump(dataset)
    # Now (this process's snapshot) and after commit (a snapshot another thread built meanwhile from the old rows
    # under the new generation is dropped too).
    search.invalidate()
    transaction.on_commit(search.invalidate)


def create_dataset(actor, owner, values: dict, *, source: str = history.WEB, is_demo: bool = False) -> Dataset:
    """owner: a Municipality, a Prefecture, or None (the national government)."""
    access.require(actor, "opendata.manage", owner)
    cleaned = clean_fields(values)
    try:
        with transaction.atomic():
            dataset = Dataset.objects.create(**cleaned, **_owner_kwargs(owner), is_demo=is_demo)
            history.record(actor, history.CREATE, dataset, None, _snapshot(dataset), source=source,
                           **_history_scope(dataset))
            _after_write(dataset)
    except IntegrityError as exc:
        db.duplicate_or_raise(exc)
        raise Invalid([("name", f"URL名「{cleaned['name']}」はすでに使われています")]) from None
    return dataset


def _locked(dataset: Dataset, version: int) -> Dataset:
    """The dataset locked for this transaction and checked against the version the editor saw (core.editing)."""
    return editing.lock(Dataset.objects.select_related("municipality", "prefecture"), dataset.pk, version)


def update_dataset(actor, dataset: Dataset, values: dict, *, version, source: str = history.WEB) -> Dataset:
    """Change a dataset's fields (not its owner). `version` is the version the user read; a stale one → Conflict."""
    access.require(actor, "opendata.manage", dataset)
    version = editing.require_version(version)
    cleaned = clean_fields(values, current=dataset)
    try:
        with transaction.atomic():
            current = _locked(dataset, version)
            old_type = current.standard_type
            before = editing.apply(current, HISTORY_FIELDS, cleaned)
            if before is None:  # nothing changed: no save, no history, same version
                return current
            if old_type != current.standard_type:
                _revalidate(current)
            current.save()
            history.record(actor, history.UPDATE, current, before, _snapshot(current), source=source,
                           **_history_scope(current))
            _after_write(current)
    except IntegrityError as exc:
        db.duplicate_or_raise(exc)
        # Another dataset took the name between the check in clean_fields and this save.
        raise Invalid([("name", f"URL名「{cleaned['name']}」はすでに使われています")]) from None
    return current


def delete_dataset(actor, dataset: Dataset, *, version, source: str = history.WEB) -> None:
    access.require(actor, "opendata.manage", dataset)
    version = editing.require_version(version)
    with transaction.atomic():
        current = _locked(dataset, version)
        files = [r.file.name for r in current.resources.all() if r.file]
        history.record(actor, history.DELETE, current, _snapshot(current), None, source=source,
                       **_history_scope(current))
        # Its files, their checks and the use cases people reported go with it: history keeps what they were.
        history.record_deleted_with(actor, current, source=source, skip=(Usage,), **_history_scope(current))
        pk = current.pk
        current.delete()
        DATASET_INDEX.remove([pk])
        _bump(current)
        search.invalidate()
        transaction.on_commit(search.invalidate)
        transaction.on_commit(lambda: _delete_files(files))


def _delete_files(names: list[str]) -> None:
    storage = Resource._meta.get_field("file").storage
    for name in names:
        storage.delete(name)


# ---- Resources ---------------------------------------------------------------------------------------------------

def format_of(filename: str, given: str = "") -> str:
    if given.strip():
        return given.strip().upper()[:20]
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return FORMATS.get(ext, ext.upper()[:20])


def read_upload(upload) -> bytes:
    """The uploaded file's bytes, refused with a Japanese message beyond settings.OPENDATA_MAX_UPLOAD_BYTES
    (checked on the declared size first, then while reading, so an oversized file is never read whole)."""
    limit = settings.OPENDATA_MAX_UPLOAD_BYTES
    message = (f"ファイルが大きすぎます（{format_size(limit)}まで）。大きなデータは分割するか、"
               "外部URLとして登録してください")
    if getattr(upload, "size", 0) and upload.size > limit:
        raise Invalid([("file", message)])
    chunks, total = [], 0
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        total += len(chunk)
        if total > limit:
            raise Invalid([("file", message)])
        chunks.append(chunk)
    return b"".join(chunks)


def _resource_snapshot(resource: Resource) -> dict:
    return {"dataset": resource.dataset_id, "name": resource.name, "format": resource.format,
            "description": resource.description, "file": resource.file.name if resource.file else "",
            "url": resource.url, "size": resource.size, "sha256": resource.sha256}


def _owner_of(dataset: Dataset) -> standard.Owner:
    if dataset.municipality_id:
        return validation_owner(dataset.municipality_id, dataset.prefecture_id)
    if dataset.prefecture_id:
        return validation_owner("", dataset.prefecture_id)
    return standard.Owner()


def validation_owner(municipality: str, prefecture: str) -> standard.Owner:
    """Who a checked file belongs to, with the area's bounding box when boundaries are loaded."""
    return standard.Owner(municipality=municipality, prefecture=prefecture,
                          bbox=bounds.bbox_of(municipality=municipality, prefecture=prefecture))


def _revalidate(dataset: Dataset) -> None:
    """Re-check every file resource against the dataset's standard type and set its 準拠 / 要修正 state."""
    resources = list(dataset.resources.all())
    for resource in resources:
        if dataset.standard_type and resource.file and resource.format in ("CSV", "XLSX"):
            with resource.file.open("rb") as handle:
                data = handle.read()
            resource.validation = standard.validate(data, resource.file.name, dataset.standard_type,
                                                    _owner_of(dataset)).summary()
        else:
            resource.validation = None
        resource.save(update_fields=["validation", "updated_at"])
    dataset.conformance = conformance_of(dataset.standard_type, resources)


def conformance_of(standard_type: str, resources) -> str:
    if not standard_type:
        return Conformance.NONE
    checked = [r.validation for r in resources if r.validation]
    if checked and all(v["ok"] for v in checked):
        return Conformance.CONFORMING
    return Conformance.NEEDS_FIX


def add_resource(actor, dataset: Dataset, *, name: str, upload=None, url: str = "", format: str = "",
                 description: str = "", source: str = history.WEB) -> Resource:
    """A file (stored through the resource storage) or an external URL. A file of a standard dataset type is
    validated; the dataset's 準拠 / 要修正 state follows."""
    access.require(actor, "opendata.manage", dataset)
    problems = []
    name = (name or "").strip() or (getattr(upload, "name", "") or url.rsplit("/", 1)[-1]).strip()
    if not name:
        problems.append(("name", "名称を入力してください"))
    if len(name) > 200:
        problems.append(("name", "名称は200文字以内にしてください"))
    url = (url or "").strip()
    if upload is None and not url:
        problems.append(("file", "ファイルを選ぶか、外部URLを入力してください"))
    if upload is not None and url:
        problems.append(("url", "ファイルと外部URLはどちらか一方にしてください"))
    if url and not re.fullmatch(r"https?://\S{3,490}", url):
        problems.append(("url", "外部URLは http:// または https:// で始まるURLにしてください"))
    description = (description or "").strip()
    if _CONTROL.search(description):
        problems.append(("description", "制御文字は使えません"))
    elif len(description) > DESCRIPTION_LIMIT:
        problems.append(("description", f"説明は{DESCRIPTION_LIMIT}文字以内にしてください"))
    if problems:
        raise Invalid(problems)
    data = read_upload(upload) if upload is not None else None
    filename = getattr(upload, "name", "") or url
    resource = Resource(dataset=dataset, name=name, format=format_of(filename, format),
                        description=description, url=url)
    if data is not None:
        resource.size = len(data)
        resource.sha256 = hashlib.sha256(data).hexdigest()
        if dataset.standard_type and resource.format in ("CSV", "XLSX"):
            resource.validation = standard.validate(data, filename, dataset.standard_type,
                                                    _owner_of(dataset)).summary()
    stored = None
    try:
        with transaction.atomic():
            current = Dataset.objects.select_for_update(of=("self",)).order_by().filter(pk=dataset.pk).first()
            if current is None:  # deleted by another request after this one read it
                raise Http404("このデータセットは削除されました")
            if data is not None:
                safe = re.sub(r"[^\w.-]", "_", filename.rsplit("/", 1)[-1])[-100:] or "file"
                resource.file.save(safe, ContentFile(data), save=False)
                stored = resource.file.name
            resource.dataset = current
            resource.save()
            current.conformance = conformance_of(current.standard_type, current.resources.all())
            current.version += 1
            current.save(update_fields=["conformance", "version", "updated_at"])
            history.record(actor, history.CREATE, resource, None, _resource_snapshot(resource), source=source,
                           **_history_scope(current))
            _after_write(current)
    except Exception:
        if stored:
            _delete_files([stored])
        raise
    return resource


def delete_resource(actor, resource: Resource, *, source: str = history.WEB) -> None:
    dataset = resource.dataset
    access.require(actor, "opendata.manage", dataset)
    with transaction.atomic():
        current = Dataset.objects.select_for_update(of=("self",)).order_by().filter(pk=dataset.pk).first()
        if current is None:  # deleted by another request after this one read it, with its files
            raise Http404("このデータセットは削除されました")
        if not Resource.objects.filter(pk=resource.pk).exists():
            # Deleted by a request that held the dataset's lock first: 404 as when sent later, recorded once.
            raise Http404("リソースが見つかりません")
        history.record(actor, history.DELETE, resource, _resource_snapshot(resource), None, source=source,
                       **_history_scope(current))
        name = resource.file.name if resource.file else ""
        resource.delete()
        current.conformance = conformance_of(current.standard_type, current.resources.all())
        current.version += 1
        current.save(update_fields=["conformance", "version", "updated_at"])
        _after_write(current)
        if name:
            transaction.on_commit(lambda: _delete_files([name]))


# ---- Usage and 利用事例 ---------------------------------------------------------------------------------------------

def is_bot(user_agent: str) -> bool:
    agent = (user_agent or "").lower()
    return not agent or any(marker in agent for marker in BOT_AGENTS)


def count_use(dataset: Dataset, kind: str, *, resource: Resource | None = None, user_agent: str = "",
              today: dt.date | None = None) -> bool:
    """Add one use to this month's counter (nothing about the visitor is stored). False for known bots and for
    a dataset or file deleted meanwhile."""
    if kind not in UsageKind.values:
        raise ValueError(kind)
    if is_bot(user_agent):
        return False
    month = (today or timezone.localdate()).replace(day=1)
    key = {"dataset": dataset, "resource_key": resource.pk if resource is not None else 0, "kind": kind,
           "month": month}
    try:
        with transaction.atomic():
            if not Usage.objects.filter(**key).update(count=F("count") + 1):
                try:
                    with transaction.atomic():
                        Usage.objects.create(**key, resource=resource, count=1)
                except IntegrityError:  # another request created this month's row first
                    Usage.objects.filter(**key).update(count=F("count") + 1)
    except IntegrityError:
        # The dataset or the file was deleted after the request read it: its foreign keys fail at commit (the
        # savepoint above never sees it), and a counter of a row that is gone does not matter.
        return False
    return True


def record_page_views(counts) -> None:
    """Add batched dataset page views ({(dataset name, first day of month): n}, from pageviews.COUNTER) to the
    monthly counters in one transaction. Names no longer in the catalog (deleted meanwhile) are dropped."""
    names = {name for name, _month in counts}
    ids = dict(Dataset.objects.filter(name__in=names).values_list("name", "pk"))
    with transaction.atomic():
        for (name, month), n in sorted(counts.items()):
            if name not in ids or n <= 0:
                continue
            key = {"dataset_id": ids[name], "resource_key": 0, "kind": UsageKind.VIEW, "month": month}
            if not Usage.objects.filter(**key).update(count=F("count") + n):
                try:
                    with transaction.atomic():
                        Usage.objects.create(**key, count=n)
                except IntegrityError:  # another worker created this month's row first
                    Usage.objects.filter(**key).update(count=F("count") + n)


def register_use_case(actor, dataset: Dataset, *, title: str, url: str = "", description: str = "",
                      source: str = history.WEB) -> UseCase:
    access.require(actor, "opendata.register_use", dataset)
    problems = []
    title = (title or "").strip()
    if not title:
        problems.append(("title", "名称を入力してください"))
    elif len(title) > 200:
        problems.append(("title", "名称は200文字以内にしてください"))
    url = (url or "").strip()
    if url and not re.fullmatch(r"https?://\S{3,490}", url):
        problems.append(("url", "URLは http:// または https:// で始まるURLにしてください"))
    description = (description or "").strip()
    if _CONTROL.search(description):
        problems.append(("description", "制御文字は使えません"))
    elif len(description) > USE_CASE_LIMIT:
        problems.append(("description", f"説明は{USE_CASE_LIMIT}文字以内にしてください"))
    if problems:
        raise Invalid(problems)
    with transaction.atomic():
        # delete_dataset deletes under this lock: a dataset deleted after this request read it is a 404 here,
        # not a use case pointing at nothing (a foreign key error at commit).
        current = Dataset.objects.select_for_update(of=("self",)).order_by().filter(pk=dataset.pk).first()
        if current is None:
            raise Http404("このデータセットは削除されました")
        use = UseCase.objects.create(dataset=current, title=title, url=url, description=description,
                                     submitted_by=actor if getattr(actor, "is_authenticated", False) else None)
        history.record(actor, history.CREATE, use, None, {"dataset": current.pk, "title": title, "url": url,
                                                          "status": use.status}, source=source,
                       **_history_scope(current))
        _bump(current)
    return use


def moderate_use_case(actor, use: UseCase, status: str, *, version, source: str = history.WEB) -> UseCase:
    """掲載する / 掲載しない. `version` is the version the manager's page showed; a stale one → Conflict."""
    access.require(actor, "opendata.moderate_use", use.dataset)
    version = editing.require_version(version)
    if status not in UseCaseStatus.values:
        raise Invalid([("status", "状態を選択肢から選んでください")])
    with transaction.atomic():
        current = editing.lock(UseCase.objects.select_related("dataset__municipality", "dataset__prefecture"),
                               use.pk, version)
        before = editing.apply(current, ("status",), {"status": status})
        if before is None:  # already so: no save, no history, same version
            return current
        current.save(update_fields=["status", "version"])
        history.record(actor, history.UPDATE, current, before, {"status": current.status}, source=source,
                       **_history_scope(current.dataset))
        _bump(current.dataset)
    return current
