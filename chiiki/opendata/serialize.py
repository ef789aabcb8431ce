"""Datasets as CKAN dicts (the Action API and /api/v1/opendata share them) and owners as CKAN organizations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse

from . import standard
from .models import LICENSE_URLS, Dataset, Frequency, Resource

NATIONAL = "national"
NATIONAL_TITLE = "国（総務省）"


@dataclass(frozen=True)
class Owner:
    """A CKAN organization: the national government, a prefecture or a municipality."""

    key: str  # national | prefecture lg_code | municipality code
    title: str
    lg_code: str  # 団体コード ("" for the national government)
    prefecture_id: str = ""
    municipality_id: str = ""

    @property
    def kind(self) -> str:
        return "municipality" if self.municipality_id else ("prefecture" if self.prefecture_id else "national")


def owner_of_municipality(m) -> Owner:
    return Owner(m.code, m.full_name, m.code, m.prefecture_id, m.code)


def owner_of_prefecture(p) -> Owner:
    return Owner(p.lg_code, p.name, p.lg_code, p.code)


def owner_of(dataset: Dataset) -> Owner:
    if dataset.municipality_id:
        return owner_of_municipality(dataset.municipality)
    if dataset.prefecture_id:
        return owner_of_prefecture(dataset.prefecture)
    return Owner(NATIONAL, NATIONAL_TITLE, "")


def ckan_time(value: dt.datetime) -> str:
    """CKAN writes timestamps as naive UTC ISO 8601 with microseconds."""
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def resource_url(request, resource: Resource) -> str:
    if resource.url:
        return resource.url
    return request.build_absolute_uri(reverse("opendata:download", args=[resource.dataset.name, resource.uid]))


def resource_dict(request, resource: Resource) -> dict:
    return {
        "id": str(resource.uid), "package_id": str(resource.dataset.uid), "name": resource.name,
        "url": resource_url(request, resource), "format": resource.format, "description": resource.description,
        "size": resource.size, "hash": f"sha256:{resource.sha256}" if resource.sha256 else "",
        "created": ckan_time(resource.created_at), "last_modified": ckan_time(resource.updated_at),
        "url_type": "upload" if resource.file else None, "state": "active",
    }


def organization_dict(owner: Owner, package_count: int | None = None) -> dict:
    out = {"id": owner.key, "name": owner.key, "title": owner.title, "display_name": owner.title,
           "type": "organization", "is_organization": True, "state": "active", "description": "",
           "extras": [{"key": "団体コード", "value": owner.lg_code}] if owner.lg_code else []}
    if package_count is not None:
        out["package_count"] = package_count
    return out


def group_dict(code: str, name: str, package_count: int | None = None) -> dict:
    out = {"id": code, "name": code, "title": name, "display_name": name, "type": "group",
           "is_organization": False, "state": "active", "description": ""}
    if package_count is not None:
        out["package_count"] = package_count
    return out


def dataset_dict(request, dataset: Dataset, sector_names: dict[str, str]) -> dict:
    owner = owner_of(dataset)
    resources = list(dataset.resources.all())
    extras = [{"key": "団体コード", "value": owner.lg_code},
              {"key": "更新頻度", "value": Frequency(dataset.frequency).label}]
    if dataset.standard_type:
        extras.append({"key": "標準データセット", "value": standard.title_of(dataset.standard_type)})
        extras.append({"key": "標準データセット準拠", "value": dataset.get_conformance_display()})
    return {
        "id": str(dataset.uid), "name": dataset.name, "title": dataset.title, "notes": dataset.notes,
        "license_id": dataset.license, "license_title": dataset.license_label,
        "license_url": LICENSE_URLS.get(dataset.license, ""),
        "organization": organization_dict(owner), "owner_org": owner.key,
        "groups": [group_dict(code, sector_names.get(code, code)) for code in dataset.sectors or []],
        "tags": [{"name": t, "display_name": t, "state": "active"} for t in dataset.tags or []],
        "num_tags": len(dataset.tags or []),
        "resources": [resource_dict(request, r) for r in resources], "num_resources": len(resources),
        "metadata_created": ckan_time(dataset.created_at), "metadata_modified": ckan_time(dataset.updated_at),
        "extras": extras, "private": False, "state": "active", "type": "dataset",
        "url": request.build_absolute_uri(dataset.get_absolute_url()),
    }
