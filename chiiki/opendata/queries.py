"""Reads shared by the pages, /api/v1/opendata, the CKAN Action API and DCAT; always scoped to what the user may see."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, Sum
from django.http import Http404

from chiiki import access
from chiiki.regions.models import Municipality, Prefecture

from . import standard
from .models import Conformance, Dataset, Resource, Usage, UsageKind, UseCase, UseCaseStatus, Visibility
from .serialize import NATIONAL, NATIONAL_TITLE, Owner, owner_of_municipality, owner_of_prefecture


def visible_datasets(user):
    return access.scope_datasets(user, Dataset.objects.all())


def get_dataset(user, key: str) -> Dataset:
    """By name or id (CKAN's package_show accepts either); 404 when absent or not visible to the user."""
    if "\x00" in key or len(key) > 100:  # PostgreSQL refuses NUL in text: no dataset has such a name
        raise Http404("データセットが見つかりません")
    qs = Dataset.objects.select_related("municipality__prefecture", "prefecture").prefetch_related("resources")
    try:
        dataset = qs.get(Q(name=key) | Q(uid=uuid.UUID(key))) if _is_uuid(key) else qs.get(name=key)
    except Dataset.DoesNotExist:
        raise Http404("データセットが見つかりません") from None
    access.require_view(user, dataset)
    return dataset


def _is_uuid(key: str) -> bool:
    try:
        uuid.UUID(str(key))
    except ValueError:
        return False
    return True


def get_resource(user, key: str, dataset: Dataset | None = None) -> Resource:
    if not _is_uuid(key):
        raise Http404("リソースが見つかりません")
    qs = Resource.objects.select_related("dataset__municipality__prefecture", "dataset__prefecture")
    if dataset is not None:
        qs = qs.filter(dataset=dataset)
    resource = qs.filter(uid=key).first()
    if resource is None:
        raise Http404("リソースが見つかりません")
    access.require_view(user, resource.dataset)
    return resource


def owner_by_key(key: str) -> Owner:
    """The organization named by a CKAN id/name: "national", a prefecture's 団体コード or a municipality's."""
    if key == NATIONAL:
        return Owner(NATIONAL, NATIONAL_TITLE, "")
    if not key.isascii() or not key.isdigit():
        raise Http404("組織が見つかりません")
    municipality = Municipality.objects.select_related("prefecture").filter(code=key).first()
    if municipality is not None:
        return owner_of_municipality(municipality)
    prefecture = Prefecture.objects.filter(Q(lg_code=key) | Q(code=key)).first()
    if prefecture is not None:
        return owner_of_prefecture(prefecture)
    raise Http404("組織が見つかりません")


def owner_titles(keys) -> dict[str, str]:
    """Organization key → display name, for facet labels (reads only the keys asked for)."""
    keys = set(keys)
    titles = {NATIONAL: NATIONAL_TITLE} if NATIONAL in keys else {}
    titles.update((m.code, m.full_name) for m in Municipality.objects.select_related("prefecture")
                  .filter(code__in=[k for k in keys if k != NATIONAL]))
    titles.update(Prefecture.objects.filter(lg_code__in=[k for k in keys if k not in titles])
                  .values_list("lg_code", "name"))
    return titles


def datasets_of_owner(user, owner: Owner):
    qs = visible_datasets(user)
    if owner.municipality_id:
        return qs.filter(municipality_id=owner.municipality_id)
    if owner.prefecture_id:
        return qs.filter(prefecture_id=owner.prefecture_id, municipality__isnull=True)
    return qs.filter(prefecture__isnull=True, municipality__isnull=True)


def owners_with_counts(user) -> list[tuple[Owner, int]]:
    """Every organization with at least one dataset the user may see, by 団体コード (national first)."""
    rows = (visible_datasets(user).values("prefecture_id", "municipality_id")
            .annotate(n=Count("pk")).order_by())
    counts: dict[tuple, int] = defaultdict(int)
    for row in rows:
        counts[(row["prefecture_id"] or "", row["municipality_id"] or "")] += row["n"]
    municipalities = {m.code: m for m in Municipality.objects.select_related("prefecture")
                      .filter(code__in=[m for _p, m in counts if m])}
    prefectures = {p.code: p for p in Prefecture.objects.filter(code__in=[p for p, _m in counts if p])}
    out = []
    for (pref, muni), n in counts.items():
        if muni:
            out.append((owner_of_municipality(municipalities[muni]), n))
        elif pref:
            out.append((owner_of_prefecture(prefectures[pref]), n))
        else:
            out.append((Owner(NATIONAL, NATIONAL_TITLE, ""), n))
    out.sort(key=lambda pair: ("" if pair[0].key == NATIONAL else pair[0].key))
    return out


def conforming_standard_datasets():
    """Public datasets of a 自治体標準オープンデータセット type whose files all pass the validator (準拠).

    The PDCA KPI 「標準に準拠したデータセット数」 counts this queryset (by municipality, prefecture or in all)."""
    return Dataset.objects.filter(visibility=Visibility.PUBLIC, conformance=Conformance.CONFORMING).exclude(
        standard_type="")


def standard_summary(user, owner: Owner) -> dict:
    """For an owner page: datasets, standard-type datasets, and how many of those conform (one query)."""
    standard_type = ~Q(standard_type="")
    return datasets_of_owner(user, owner).aggregate(
        datasets=Count("pk"), standard=Count("pk", filter=standard_type),
        conforming=Count("pk", filter=standard_type & Q(conformance=Conformance.CONFORMING)))


@dataclass(frozen=True)
class MunicipalityCatalog:
    """A municipality's datasets as its page in the register shows them (/regions/municipalities/<code>/)."""

    owner: Owner
    summary: dict  # standard_summary
    datasets: list  # Dataset rows, latest change first, each with `formats` (its resources' formats, once each)
    standard_titles: dict
    can_manage: bool  # the user may add and change them (a link to the management list)

    @property
    def more(self) -> int:
        return self.summary["datasets"] - len(self.datasets)


MUNICIPALITY_PAGE_ROWS = 10


def municipality_catalog(user, municipality: Municipality, *, rows: int = MUNICIPALITY_PAGE_ROWS
                         ) -> MunicipalityCatalog:
    """The datasets of `municipality` the user may see (庁内限定 ones only for those who manage it), the
    `rows` most recently changed, and the counts of its owner page."""
    owner = owner_of_municipality(municipality)
    formats = Resource.objects.only("pk", "dataset_id", "format").order_by("created_at", "pk")
    datasets = list(datasets_of_owner(user, owner).prefetch_related(Prefetch("resources", queryset=formats))
                    .order_by("-updated_at", "name")[:rows])
    for dataset in datasets:
        dataset.formats = list(dict.fromkeys(r.format for r in dataset.resources.all() if r.format))
    return MunicipalityCatalog(owner, standard_summary(user, owner), datasets, dict(standard.choices()),
                               access.can(user, "opendata.manage", municipality))


def standard_by_prefecture() -> tuple[list[tuple[str, str]], list[dict]]:
    """The national 見える化: per prefecture and standard type, how many municipalities publish that type
    (public datasets only; a municipality counts once per type). Returns (types, rows); each row's counts are
    (type, published, conforming, the publishing municipalities' codes, the conforming ones' codes) and
    "any_codes" the codes behind "any", so a figure can link to the catalog filtered to exactly those
    municipalities (and, for the conforming figure, to their conforming datasets)."""
    types = standard.choices()
    pairs = (Dataset.objects.filter(visibility=Visibility.PUBLIC, municipality__isnull=False)
             .exclude(standard_type="").values_list("municipality__prefecture_id", "standard_type", "municipality_id")
             .distinct())
    published: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    conforming: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for pref, kind, muni in pairs:
        published[pref][kind].add(muni)
    for pref, kind, muni in conforming_standard_datasets().filter(municipality__isnull=False).values_list(
            "municipality__prefecture_id", "standard_type", "municipality_id"):
        conforming[pref][kind].add(muni)
    totals = dict(Municipality.objects.values("prefecture_id").annotate(n=Count("code")).values_list(
        "prefecture_id", "n"))
    rows = []
    for prefecture in Prefecture.objects.order_by("code"):
        counts = [(key, len(published[prefecture.code][key]), len(conforming[prefecture.code][key]),
                   ",".join(sorted(published[prefecture.code][key])), ",".join(sorted(conforming[prefecture.code][key])))
                  for key, _title in types]
        any_codes = sorted(set().union(*published[prefecture.code].values())) if published[prefecture.code] else []
        rows.append({"prefecture": prefecture, "municipalities": totals.get(prefecture.code, 0), "counts": counts,
                     "any": len(any_codes), "any_codes": ",".join(any_codes)})
    return types, rows


def standard_types_by_municipality() -> dict[str, set[str]]:
    """Municipality code → the standard dataset types it publishes (public datasets), for the national map."""
    out: dict[str, set[str]] = defaultdict(set)
    for code, kind in (Dataset.objects.filter(visibility=Visibility.PUBLIC, municipality__isnull=False)
                       .exclude(standard_type="").values_list("municipality_id", "standard_type").distinct()):
        out[code].add(kind)
    return dict(out)


def usage_by_month(dataset: Dataset) -> list[dict]:
    """Uses of a dataset per month: page views, downloads (all resources) and API reads (CKAN API and /api/v1)."""
    rows = (Usage.objects.filter(dataset=dataset).values("month", "kind").annotate(n=Sum("count"))
            .order_by("month"))
    months: dict = {}
    for row in rows:
        months.setdefault(row["month"], {kind: 0 for kind in UsageKind.values})[row["kind"]] = row["n"]
    return [{"month": month, **counts, "total": sum(counts.values())} for month, counts in months.items()]


def usage_by_resource(dataset: Dataset) -> list[tuple[Resource, int]]:
    totals = dict(Usage.objects.filter(dataset=dataset, kind=UsageKind.DOWNLOAD, resource__isnull=False)
                  .values("resource_id").annotate(n=Sum("count")).values_list("resource_id", "n"))
    return [(r, totals.get(r.pk, 0)) for r in dataset.resources.all()]


def use_cases(user, dataset: Dataset):
    """Approved 利用事例 for everyone; those who moderate the dataset see pending and rejected ones too."""
    qs = UseCase.objects.filter(dataset=dataset)
    if not access.can(user, "opendata.moderate_use", dataset):
        qs = qs.filter(status=UseCaseStatus.APPROVED)
    return qs


def public_use_cases():
    return (UseCase.objects.filter(status=UseCaseStatus.APPROVED, dataset__visibility=Visibility.PUBLIC)
            .select_related("dataset"))


def managed_datasets(user):
    """The datasets the user may change (management list): those of the owners access.manages."""
    if access.is_admin(user):
        return Dataset.objects.all()
    municipalities = access.scope_managed_municipalities(user, Municipality.objects.all())
    prefectures = [p.code for p in Prefecture.objects.all() if access.can(user, "opendata.manage", p)]
    return Dataset.objects.filter(Q(municipality__in=municipalities)
                                  | Q(municipality__isnull=True, prefecture_id__in=prefectures))


def managed_owners(user) -> list[tuple[str, str]]:
    """(owner key, label) the user may create datasets for: national (admins), prefectures, municipalities."""
    out = []
    if access.is_admin(user):
        out.append((NATIONAL, NATIONAL_TITLE))
    for prefecture in Prefecture.objects.order_by("code"):
        if access.can(user, "opendata.manage", prefecture):
            out.append((prefecture.lg_code, prefecture.name))
    municipalities = access.scope_managed_municipalities(user, Municipality.objects.select_related("prefecture"))
    out.extend((m.code, m.full_name) for m in municipalities.order_by("code")[:2000])
    return out
