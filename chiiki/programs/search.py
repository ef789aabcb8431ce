"""支援メニューの検索: the request (chiiki.core.search_request's shape), the catalog snapshot, facets, ranking.

The full-text part runs in the database (chiiki.core.search); filters, facets, status and eligibility run over
an in-process snapshot of the catalog that is rebuilt whenever the catalog changes (the snapshot key is read
from the database on every request). The page, the API, the ICS feed, saved searches and alerts all build
their request with SearchRequest.from_params and run it with run_search (docs/decisions/0005, 0007).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

import numpy as np
from django.http import Http404
from django.utils import timezone

from chiiki.core import search_request
from chiiki.core.cache import versions
from chiiki.core.search import parse_query
from chiiki.core.search_request import FacetValue, OneOf, RequestSpec, Value
from chiiki.regions.queries import get_municipality
from chiiki.roadmap.models import Sector

from .eligibility import ELIGIBLE, FIT_LABELS, FIT_ORDER, Fit, assess
from .indexing import PROGRAM_INDEX, concepts, sector_vocabulary, vocabulary_concept
from .models import Kind, SupportProgram, SupportType
from .windows import (
    DEFAULT_STATUSES,
    ENDED,
    STATUS_LABELS,
    STATUS_ORDER,
    Status,
    days_after,
    deadlines,
    parse_windows,
    status_on,
)

SORTS = {"relevance": "関連度順", "default": "受付中を先頭", "deadline": "締切が近い順", "newest": "新着順"}
SPEC = RequestSpec(
    filters=(
        OneOf("sector", "分野"), OneOf("kind", "種類"), OneOf("support_type", "支援の種類"),
        OneOf("provider", "提供者"), OneOf("status", "募集状況"), OneOf("fit", "自団体で利用可能"),
        Value("eligible_for", "適合を判定する団体（団体コード）"),  # with it, "fit" defaults to eligible only
    ),
    sorts=SORTS, default_page_size=20, max_page_size=200,
)
FACET_LABELS = {f.name: f.label for f in SPEC.filters if isinstance(f, OneOf)}
FACETS = list(FACET_LABELS)
DEFAULT_PAGE_SIZE = SPEC.default_page_size
MAX_PAGE_SIZE = SPEC.max_page_size


# ---- The request -------------------------------------------------------------------------------------------


class SearchRequest(search_request.SearchRequest):
    spec = SPEC

    @property
    def effective_sort(self) -> str:
        sort = self.sort[0].key if self.sort else ""
        if sort in SORTS and not (sort == "relevance" and not self.q):
            return sort
        return "relevance" if self.q else "default"

    @property
    def effective_status(self) -> list[str]:
        """The statuses shown: those chosen, else every status but 募集終了 (ended programs are found by choosing it)."""
        return [s for s in self.filters["status"] if s in STATUS_LABELS] or list(DEFAULT_STATUSES)

    @property
    def effective_fit(self) -> list[str]:
        if not self.filters["eligible_for"]:
            return []
        return [f for f in self.filters["fit"] if f in FIT_LABELS] or [ELIGIBLE]


# ---- The catalog snapshot -----------------------------------------------------------------------------------


@dataclass
class Snapshot:
    """The catalog in memory, with boolean masks (numpy) for filtering and facet counting."""

    key: tuple
    programs: list[SupportProgram]
    by_pk: dict[int, SupportProgram]
    by_public_id: dict[str, SupportProgram]
    position: dict[int, int]  # pk → index in programs
    pk_position: np.ndarray  # pk → index in programs (-1 = none), for mapping search results
    sector_names: dict[str, str]
    windows: dict[int, list]
    texts: object  # chiiki.core.search.Corpus: normalised search fields in memory
    concepts: list  # the curated concept table plus the sector vocabulary's (chiiki.programs.indexing)
    masks: dict[str, dict[str, np.ndarray]]  # facet → value → mask (static facets)
    newest_order: np.ndarray
    public_id_rank: np.ndarray
    per_day: dict[dt.date, DayView] = field(default_factory=dict)
    fits: dict[tuple, FitView] = field(default_factory=dict)

    def __len__(self):
        return len(self.programs)


@dataclass
class DayView:
    statuses: list[Status]
    masks: dict[str, np.ndarray]
    status_rank: np.ndarray
    default_order: np.ndarray
    deadline_order: np.ndarray

    def by_pk(self, snap: Snapshot) -> dict[int, Status]:
        return {p.pk: self.statuses[i] for i, p in enumerate(snap.programs)}


@dataclass
class FitView:
    fits: list[Fit]
    masks: dict[str, np.ndarray]


_lock = threading.RLock()
_snapshot: Snapshot | None = None
_generation = 0


def invalidate() -> None:
    """Drop this process's snapshot (called by every catalog write; other processes see the data version)."""
    global _generation, _snapshot
    with _lock:
        _generation += 1
        _snapshot = None


def catalog_key() -> tuple:
    """Changes whenever the catalog changes: the "programs" data version (bumped by every write) plus this
    process's own write counter (so a rolled-back transaction that reuses a version number is not mistaken)."""
    # versions(): read once per request (a page takes the snapshot several times), from the page's own read of the
    # versions when it has one.
    return (int(versions(("programs",))), _generation)


def _mask(n: int, indices) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    if indices:
        mask[list(indices)] = True
    return mask


def snapshot() -> Snapshot:
    global _snapshot
    key = catalog_key()
    current = _snapshot
    if current is not None and current.key == key:
        return current
    with _lock:
        if _snapshot is not None and _snapshot.key == key:
            return _snapshot
        programs = list(SupportProgram.objects.order_by("public_id"))
        n = len(programs)
        sector_names = dict(Sector.objects.order_by("order", "code").values_list("code", "name"))
        expansions = concepts() + vocabulary_concept(sector_vocabulary())
        windows = {}
        for p in programs:
            try:
                windows[p.pk] = parse_windows(p.windows)
            except ValueError:
                windows[p.pk] = []
        groups: dict[str, dict[str, list[int]]] = {"sector": {}, "kind": {}, "support_type": {}, "provider": {}}
        for i, p in enumerate(programs):
            for code in (sector_names if p.all_sectors else p.sectors):
                groups["sector"].setdefault(code, []).append(i)
            groups["kind"].setdefault(p.kind, []).append(i)
            groups["support_type"].setdefault(p.support_type, []).append(i)
            groups["provider"].setdefault(p.provider, []).append(i)
        masks = {facet: {value: _mask(n, idx) for value, idx in values.items()} for facet, values in groups.items()}
        created = np.array([p.created_at.timestamp() for p in programs], dtype=float)
        pks = np.array([p.pk for p in programs], dtype=np.int64)
        newest_order = np.lexsort((-pks, -created)) if n else np.zeros(0, dtype=np.int64)
        pk_position = np.full(int(pks.max()) + 1 if n else 0, -1, dtype=np.int64)
        pk_position[pks] = np.arange(n)
        _snapshot = Snapshot(
            key=key, programs=programs, by_pk={p.pk: p for p in programs},
            by_public_id={p.public_id: p for p in programs}, position={p.pk: i for i, p in enumerate(programs)}, pk_position=pk_position,
            sector_names=sector_names, windows=windows, texts=PROGRAM_INDEX.corpus(), concepts=expansions,
            masks=masks, newest_order=newest_order, public_id_rank=np.arange(n),
        )
        # Concept expansions are a fixed vocabulary: index their postings now, once per catalog version.
        PROGRAM_INDEX.pin((e for c in expansions for x in c.expansions for e in x.split()),
                          stats_key=_snapshot.key, texts=_snapshot.texts)
        return _snapshot


def day_view(snap: Snapshot, today: dt.date) -> DayView:
    view = snap.per_day.get(today)
    if view is None:
        n = len(snap)
        statuses = [status_on(snap.windows[p.pk], today, p.ended_fiscal_year) for p in snap.programs]
        masks = {code: np.array([s.code == code for s in statuses], dtype=bool) for code in STATUS_ORDER}
        rank = np.array([STATUS_ORDER[s.code] for s in statuses], dtype=np.int64)
        far = dt.date.max.toordinal()
        deadline = np.array([(s.next_deadline.toordinal() if s.next_deadline else far) for s in statuses], dtype=np.int64)
        upcoming = np.array([((s.next_deadline or s.next_opening).toordinal() if (s.next_deadline or s.next_opening)
                              else far) for s in statuses], dtype=np.int64)
        order_ids = snap.public_id_rank
        default_order = np.lexsort((order_ids, upcoming, rank)) if n else np.zeros(0, dtype=np.int64)
        deadline_order = np.lexsort((order_ids, upcoming, rank, deadline)) if n else np.zeros(0, dtype=np.int64)
        view = DayView(statuses, masks, rank, default_order, deadline_order)
        snap.per_day.clear()
        snap.per_day[today] = view
    return view


def statuses(snap: Snapshot, today: dt.date) -> dict[int, Status]:
    return day_view(snap, today).by_pk(snap)


def successor_of(snap: Snapshot, program) -> SupportProgram | None:
    """The program that replaced this one (from the snapshot: no query per program)."""
    return snap.by_public_id.get(program.successor) if program.successor else None


def _municipality_key(m) -> tuple:
    return (m.code, m.kind, m.prefecture_id, m.population, m.fiscal_strength_index, m.depopulated,
            m.remote_island, m.mountainous)


def fit_view(snap: Snapshot, municipality) -> FitView:
    key = _municipality_key(municipality)
    view = snap.fits.get(key)
    if view is None:
        results = [assess(p, municipality) for p in snap.programs]
        masks = {code: np.array([f.fit == code for f in results], dtype=bool) for code in FIT_ORDER}
        view = FitView(results, masks)
        if len(snap.fits) > 200:
            snap.fits.clear()
        snap.fits[key] = view
    return view


def fits(snap: Snapshot, municipality) -> dict[int, Fit]:
    view = fit_view(snap, municipality)
    return {p.pk: view.fits[i] for i, p in enumerate(snap.programs)}


# ---- Searching --------------------------------------------------------------------------------------------


@dataclass
class Hit:
    program: SupportProgram
    status: Status
    score: float | None = None
    fit: Fit | None = None
    successor: SupportProgram | None = None  # the program that replaced this one (search.successor_of)

    @property
    def public_id(self) -> str:
        return self.program.public_id


@dataclass
class SearchResult:
    request: SearchRequest
    count: int
    items: list[Hit]
    facets: dict[str, list[FacetValue]]
    municipality: object = None
    sort: str = "default"
    _order: np.ndarray | None = None
    _make_hit: object = None

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.request.page_size))

    @property
    def page(self) -> int:
        return min(self.request.page, self.num_pages)

    @property
    def all_items(self) -> list[Hit]:
        """Every matching program in result order (exports, ICS, alerts)."""
        return [self._make_hit(int(i)) for i in self._order] if self._order is not None else []


def _labels(snap: Snapshot) -> dict[str, dict[str, str]]:
    return {
        "sector": dict(snap.sector_names),
        "kind": dict(Kind.choices),
        "support_type": dict(SupportType.choices),
        "status": dict(STATUS_LABELS),
        "fit": dict(FIT_LABELS),
    }


def describe(request: SearchRequest) -> str:
    """The request in words, as a list of saved searches shows it: 「キーワード「防災」・分野: 観光・阿智村で利用可能」."""
    labels = _labels(snapshot())
    parts = [f"キーワード「{request.q}」"] if request.q else []
    for name, label in FACET_LABELS.items():
        values = request.filters[name]
        if values and name != "fit":
            parts.append(f"{label}: " + "、".join(labels.get(name, {}).get(v, v) for v in values))
    code = request.filters["eligible_for"]
    if code:
        try:
            place = get_municipality(code)
        except Http404:
            place = None
        where = f"{place.prefecture.name}{place.name}" if place else f"団体コード {code}"
        parts.append(f"{where}で" + "・".join(FIT_LABELS[f] for f in request.effective_fit))
    return "・".join(parts) or "条件なし（すべての支援メニュー）"


def run_search(request: SearchRequest, *, user=None, today: dt.date | None = None,
               page_size: int | None = None) -> SearchResult:
    today = today or timezone.localdate()
    snap = snapshot()
    n = len(snap)
    day = day_view(snap, today)

    municipality, fitv = None, None
    if request.filters["eligible_for"]:
        municipality = get_municipality(request.filters["eligible_for"])
        fitv = fit_view(snap, municipality)

    # Full text (database index) → candidate mask and scores
    scores = None
    if request.q:
        query = parse_query(request.q, snap.concepts)
        ids, found = PROGRAM_INDEX.search_arrays(query, stats_key=snap.key, texts=snap.texts)
        known = (ids >= 0) & (ids < len(snap.pk_position))
        positions = snap.pk_position[ids[known]]
        kept = positions >= 0
        positions, found = positions[kept], found[known][kept]
        scores = np.zeros(n, dtype=float)
        scores[positions] = found
        candidates = np.zeros(n, dtype=bool)
        candidates[positions] = True
    else:
        candidates = np.ones(n, dtype=bool)

    facet_masks = {**snap.masks, "status": day.masks}
    if fitv is not None:
        facet_masks["fit"] = fitv.masks
    selected = {name: request.filters[name] for name in FACETS}
    selected["fit"] = request.effective_fit
    selected["status"] = request.effective_status
    empty = np.zeros(n, dtype=bool)
    filters = {}
    for name, values in selected.items():
        if values and name in facet_masks:
            combined = empty.copy()
            for value in values:
                mask = facet_masks[name].get(value)
                if mask is not None:
                    combined |= mask
            filters[name] = combined
    matched = candidates.copy()
    for mask in filters.values():
        matched &= mask

    labels = _labels(snap)
    facets: dict[str, list[FacetValue]] = {}
    for name in FACETS:
        if name not in facet_masks:
            continue
        base = candidates.copy()
        for other, mask in filters.items():
            if other != name:
                base &= mask
        # The default status view is not a choice the person made: its statuses are not shown as ticked.
        chosen = set(request.filters["status"] if name == "status" else selected[name])
        counts = {value: int(np.count_nonzero(base & mask)) for value, mask in facet_masks[name].items()}
        if name == "sector":
            keys = [code for code in snap.sector_names if counts.get(code) or code in chosen]
        elif name == "status":
            keys = [k for k in STATUS_ORDER if counts.get(k) or k in chosen]
        elif name == "fit":
            keys = [k for k in FIT_ORDER if counts.get(k) or k in chosen]
        elif name in ("kind", "support_type"):
            keys = [k for k in labels[name] if counts.get(k) or k in chosen]
        else:
            keys = sorted((k for k in set(counts) | chosen if counts.get(k) or k in chosen),
                          key=lambda k: (-counts.get(k, 0), k))
        facets[name] = [FacetValue(key, labels.get(name, {}).get(key, key), counts.get(key, 0), key in chosen)
                        for key in keys]

    sort = request.effective_sort
    if sort == "relevance":
        idx = np.flatnonzero(matched)
        order = idx[np.lexsort((snap.public_id_rank[idx], day.status_rank[idx], -np.round(scores[idx], 9)))]
    else:
        base_order = {"deadline": day.deadline_order, "newest": snap.newest_order}.get(sort, day.default_order)
        order = base_order[matched[base_order]]

    def make_hit(i: int) -> Hit:
        program = snap.programs[i]
        return Hit(program, day.statuses[i], float(scores[i]) if scores is not None else None,
                   fitv.fits[i] if fitv is not None else None, successor_of(snap, program))

    size = page_size or request.page_size
    count = len(order)
    page = min(request.page, max(1, -(-count // size)))
    page_items = [make_hit(int(i)) for i in order[(page - 1) * size: page * size]]
    return SearchResult(request, count, page_items, facets, municipality, sort, order, make_hit)


# ---- Deadlines (ICS) ---------------------------------------------------------------------------------------


def upcoming_deadlines(hits: list[Hit], *, today: dt.date | None = None, days_back: int = 31,
                       days_ahead: int = 400):
    """(program, deadline) pairs of the hits' application deadlines around today, by date."""
    today = today or timezone.localdate()
    snap = snapshot()
    start, end = days_after(today, -days_back), days_after(today, days_ahead)
    pairs = []
    for hit in hits:
        if hit.status is not None and hit.status.code == ENDED:
            continue  # its windows are history: no deadline to put in a calendar
        for deadline in deadlines(snap.windows.get(hit.program.pk, []), start, end, hit.program.ended_fiscal_year):
            pairs.append((hit.program, deadline))
    return sorted(pairs, key=lambda pair: (pair[1].day, pair[0].public_id))
