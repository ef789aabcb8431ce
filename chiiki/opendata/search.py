"""Catalog search for the pages, /api/v1/opendata and the CKAN package_search: one code path.

Full text goes through the shared Japanese index (chiiki.core.search, ADR 0005); filters, visibility and facet
counts run over an in-process snapshot of the catalog (numpy masks), rebuilt when the "opendata" data version
changes — the same design as chiiki/programs/search.py. Visibility is applied before anything is counted, so
庁内限定 datasets never show in a count, a facet or a result of someone who may not see them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from chiiki import access
from chiiki.core.models import DataVersion
from chiiki.core.search import parse_query
from chiiki.core.text import nfkc

from . import queries
from .indexing import DATASET_INDEX, sector_names
from .models import Dataset, Visibility

# facet name (CKAN's field names) → page label
FACETS = {
    "organization": "公開団体", "groups": "分野", "res_format": "形式", "license_id": "ライセンス",
    "standard_type": "標準データセット", "tags": "タグ",
}
# Filters that are not CKAN fields: package_search and the facets of /api/v1/opendata keep CKAN's shape (their
# default facet_fields are FACETS); the pages ask for these too, to show them with counts.
# "visibility" lets a figure that counts public datasets only (the standards table) link to exactly its rows: an
# officer's catalog otherwise lists their own 庁内限定 datasets beside them.
FILTERS = {"conformance": "標準への準拠", "visibility": "公開範囲"}


def tag_form(tag: str) -> str:
    """A tag as stored: NFKC (「ＩｏＴ」 is 「IoT」), spaces trimmed and each inner run made one space. The tags filter
    compares in this form too, so a link written before tags were normalised still finds its datasets."""
    return _SPACES.sub(" ", nfkc(str(tag))).strip()


# Spaces and tabs only: NFKC has made every Unicode space U+0020, and control characters stay for clean_fields
# to refuse.
_SPACES = re.compile(r"[ \t]+")


@dataclass
class Facet:
    """One facet as (dataset position, value index) pairs: counting is one bincount over the pairs, whatever the
    number of values (1,741 organizations, free tags); filtering reads the positions of the chosen values."""

    values: list[str]
    index: dict[str, int]
    pair_docs: np.ndarray
    pair_values: np.ndarray
    docs_of: list[np.ndarray]  # value index → dataset positions

    @classmethod
    def build(cls, groups: dict[str, list[int]]) -> Facet:
        values = sorted(groups)
        docs_of = [np.array(groups[v], dtype=np.int64) for v in values]
        pair_docs = np.concatenate(docs_of) if docs_of else np.zeros(0, dtype=np.int64)
        pair_values = (np.concatenate([np.full(len(d), i, dtype=np.int64) for i, d in enumerate(docs_of)])
                       if docs_of else np.zeros(0, dtype=np.int64))
        return cls(values, {v: i for i, v in enumerate(values)}, pair_docs, pair_values, docs_of)

    def mask(self, chosen, n: int) -> np.ndarray:
        mask = np.zeros(n, dtype=bool)
        for value in chosen:
            i = self.index.get(value)
            if i is not None:
                mask[self.docs_of[i]] = True
        return mask

    def counts(self, within: np.ndarray) -> np.ndarray:
        return np.bincount(self.pair_values[within[self.pair_docs]], minlength=len(self.values))


@dataclass
class Snapshot:
    key: tuple
    ids: np.ndarray  # dataset pks, in name order
    names: list[str]
    uids: list[str]
    position: dict[int, int]
    pk_position: np.ndarray
    public: np.ndarray
    prefecture: np.ndarray  # object array of prefecture codes ("" = none)
    municipality: np.ndarray
    modified: np.ndarray  # POSIX seconds
    uid_rank: np.ndarray  # position of each dataset in id (UUID text) order: CKAN's sort=id asc
    facets: dict[str, Facet]
    texts: object
    owner_titles: dict[str, str]  # organization key → name (facet labels)
    sector_names: dict[str, str]  # sector code → name (CKAN group titles)

    def __len__(self):
        return len(self.ids)


_lock = threading.RLock()
_snapshot: Snapshot | None = None
_generation = 0


def invalidate() -> None:
    global _generation, _snapshot
    with _lock:
        _generation += 1
        _snapshot = None


def snapshot() -> Snapshot:
    global _snapshot
    # Owner names come from the register and group titles from the sectors: a change there ("regions",
    # "roadmap") rebuilds the snapshot too.
    versions = dict(DataVersion.objects.filter(name__in=("opendata", "regions", "roadmap"))
                    .values_list("name", "version"))
    key = (versions.get("opendata", 0), versions.get("regions", 0), versions.get("roadmap", 0), _generation)
    current = _snapshot
    if current is not None and current.key == key:
        return current
    with _lock:
        if _snapshot is not None and _snapshot.key == key:
            return _snapshot
        rows = list(Dataset.objects.order_by("name").values_list(
            "pk", "name", "uid", "visibility", "prefecture_id", "prefecture__lg_code", "municipality_id", "sectors",
            "tags", "license", "standard_type", "updated_at", "conformance"))
        formats: dict[int, set[str]] = {}
        from .models import Resource

        for dataset_id, fmt in Resource.objects.values_list("dataset_id", "format"):
            if fmt:
                formats.setdefault(dataset_id, set()).add(fmt.upper())
        n = len(rows)
        groups: dict[str, dict[str, list[int]]] = {name: {} for name in (*FACETS, *FILTERS)}
        for i, (pk, _name, _uid, vis, _pref, pref_lg, muni, sectors, tags, lic, std, _mod, conformance) in enumerate(
                rows):
            owner = muni or pref_lg or "national"
            groups["organization"].setdefault(owner, []).append(i)
            for code in sectors or []:
                groups["groups"].setdefault(code, []).append(i)
            for tag in tags or []:
                groups["tags"].setdefault(tag, []).append(i)
            for fmt in formats.get(pk, ()):
                groups["res_format"].setdefault(fmt, []).append(i)
            groups["license_id"].setdefault(lic, []).append(i)
            groups["visibility"].setdefault(vis, []).append(i)
            if std:
                groups["standard_type"].setdefault(std, []).append(i)
                if conformance:  # 準拠 / 要修正 mean something for standard datasets only
                    groups["conformance"].setdefault(conformance, []).append(i)
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        pk_position = np.full(int(ids.max()) + 1 if n else 0, -1, dtype=np.int64)
        pk_position[ids] = np.arange(n)
        _snapshot = Snapshot(
            key=key, ids=ids, names=[r[1] for r in rows], uids=[str(r[2]) for r in rows],
            position={int(pk): i for i, pk in enumerate(ids)}, pk_position=pk_position,
            public=np.array([r[3] == Visibility.PUBLIC for r in rows], dtype=bool),
            prefecture=np.array([r[4] or "" for r in rows], dtype=object),
            municipality=np.array([r[6] or "" for r in rows], dtype=object),
            modified=np.array([r[11].timestamp() for r in rows], dtype=float),
            uid_rank=np.argsort(np.argsort(np.array([str(r[2]) for r in rows], dtype=object), kind="stable"),
                                kind="stable") if n else np.zeros(0, dtype=np.int64),
            facets={name: Facet.build(values) for name, values in groups.items()},
            texts=DATASET_INDEX.corpus(),
            owner_titles=queries.owner_titles(groups["organization"]),
            sector_names=sector_names(),
        )
        return _snapshot


def visible_mask(snap: Snapshot, user) -> np.ndarray:
    """The datasets the user may see (access.scope_datasets, as a mask)."""
    if access.is_admin(user):
        return np.ones(len(snap), dtype=bool)
    if not getattr(user, "is_authenticated", False):
        return snap.public.copy()  # anonymous visitors see public datasets only: no query needed
    pks = access.scope_datasets(user, Dataset.objects.filter(visibility=Visibility.INTERNAL)).values_list(
        "pk", flat=True)
    mask = snap.public.copy()
    for pk in pks:
        i = snap.position.get(pk)
        if i is not None:
            mask[i] = True
    return mask


@dataclass
class Result:
    count: int
    datasets: list[Dataset]
    facets: dict[str, list[tuple[str, int]]]  # facet → [(value, count)] by count desc, value asc
    snapshot: Snapshot  # the one searched (its labels), so callers need not look the versions up again


SORTS = ("relevance", "name", "-modified", "modified", "id", "-id", "title", "-title")


def run(user, *, q: str = "", filters: dict[str, list[str]] | None = None, modified_since: float | None = None,
        modified_until: float | None = None, sort: str = "", start: int = 0, rows: int = 20,
        facet_fields: list[str] | tuple[str, ...] = tuple(FACETS), facet_limit: int = 50, facet_mincount: int = 1,
        select_related=True) -> Result:
    """Search the catalog as `user` sees it. filters: facet or FILTERS name → values (OR within one, AND across)."""
    order, facets, snap = _matches(user, q=q, filters=filters, modified_since=modified_since,
                                   modified_until=modified_until, sort=sort, facet_fields=facet_fields,
                                   facet_limit=facet_limit, facet_mincount=facet_mincount)
    page = order[start:start + rows] if rows > 0 else order[:0]
    pks = [int(snap.ids[i]) for i in page]
    return Result(len(order), _datasets(pks, select_related), facets, snap)


def every_match(user, *, q: str = "", filters: dict[str, list[str]] | None = None, sort: str = "",
                chunk: int = 1000) -> Iterator[Dataset]:
    """Every dataset `run` would list, in its order, read `chunk` at a time (an export holds all of them, however
    many, without one query naming them all)."""
    order, _facets, snap = _matches(user, q=q, filters=filters, sort=sort, facet_fields=())
    for begin in range(0, len(order), chunk):
        yield from _datasets([int(snap.ids[i]) for i in order[begin:begin + chunk]], True)


def _datasets(pks: list[int], select_related: bool) -> list[Dataset]:
    qs = Dataset.objects.filter(pk__in=pks)
    if select_related:
        qs = qs.select_related("municipality__prefecture", "prefecture").prefetch_related("resources")
    by_pk = {d.pk: d for d in qs}
    return [by_pk[pk] for pk in pks if pk in by_pk]


def _matches(user, *, q: str = "", filters: dict[str, list[str]] | None = None, modified_since: float | None = None,
             modified_until: float | None = None, sort: str = "",
             facet_fields: list[str] | tuple[str, ...] = tuple(FACETS), facet_limit: int = 50,
             facet_mincount: int = 1):
    """The positions (in the snapshot) of the datasets that match, in `sort` order, and the facet counts."""
    snap = snapshot()
    n = len(snap)
    filters = filters or {}
    if filters.get("tags"):
        filters = {**filters, "tags": list(dict.fromkeys(tag_form(v) for v in filters["tags"]))}
    base = visible_mask(snap, user)
    visible = base.copy() if facet_mincount < 1 else None
    scores = None
    if q.strip():
        query = parse_query(q)
        found_ids, found = DATASET_INDEX.search_arrays(query, stats_key=snap.key, texts=snap.texts)
        known = (found_ids >= 0) & (found_ids < len(snap.pk_position))
        positions = snap.pk_position[found_ids[known]]
        kept = positions >= 0
        positions, found = positions[kept], found[known][kept]
        scores = np.zeros(n, dtype=float)
        scores[positions] = found
        text_mask = np.zeros(n, dtype=bool)
        text_mask[positions] = True
        base &= text_mask
    if modified_since is not None:
        base &= snap.modified >= modified_since
    if modified_until is not None:
        base &= snap.modified <= modified_until
    filter_masks = {}
    for name, values in filters.items():
        facet = snap.facets.get(name)
        if not values or facet is None:
            continue
        if name == "res_format":
            values = [v.upper() for v in values]
        filter_masks[name] = facet.mask(values, n)
    matched = base.copy()
    for mask in filter_masks.values():
        matched &= mask
    facets = {}
    for name in facet_fields:
        facet = snap.facets.get(name)
        if facet is None:
            continue
        within = base.copy()
        for other, mask in filter_masks.items():
            if other != name:
                within &= mask
        counts = facet.counts(within)
        chosen = set(filters.get(name, ()))
        keep = counts >= facet_mincount
        if visible is not None:
            # A zero count lists the values of the datasets the user may see, never those only 庁内限定 ones carry.
            keep &= facet.counts(visible) > 0
        keep = np.flatnonzero(keep)
        pairs = [(facet.values[i], int(counts[i])) for i in keep]
        pairs += [(v, int(counts[facet.index[v]]) if v in facet.index else 0) for v in chosen
                  if v not in facet.index or counts[facet.index[v]] < facet_mincount]
        pairs.sort(key=lambda pair: (-pair[1], pair[0]))
        facets[name] = pairs[:facet_limit] if facet_limit >= 0 else pairs
    idx = np.flatnonzero(matched)
    if sort in ("id", "-id"):
        order = idx[np.argsort(snap.uid_rank[idx], kind="stable")]
        if sort == "-id":
            order = order[::-1]
    elif sort in ("-modified", "modified"):
        # ties by name (the snapshot's order, so the position itself) so paging is stable
        keys = np.lexsort((idx, -snap.modified[idx] if sort == "-modified" else snap.modified[idx]))
        order = idx[keys]
    elif sort in ("name", "title", "-title") or scores is None:
        order = idx  # snapshot order is by name
        if sort == "-title":
            order = idx[::-1]
    else:
        order = idx[np.lexsort((idx, -np.round(scores[idx], 9)))]
    return order, facets, snap
