"""Reads of the catalog shared by the search page, the API, the ICS feed, alerts and the navigator.

One search-request shape (SearchRequest) for every surface. The full-text part runs in the database
(chiiki.core.search); filters, facets, status and eligibility run over an in-process snapshot of the catalog
that is rebuilt whenever the catalog changes (the snapshot key is read from the database on every request).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Max, Sum
from django.http import Http404, QueryDict
from django.utils import timezone

from chiiki.core.codes import InvalidCode, normalize_code
from chiiki.core.search import parse_query

from .eligibility import CHECK, ELIGIBLE, EXCLUDED, FIT_LABELS, FIT_ORDER, Fit, assess
from .indexing import PROGRAM_INDEX, concepts
from .models import Kind, SupportProgram, SupportType
from .windows import STATUS_LABELS, STATUS_ORDER, Status, parse_windows, status_on

SORTS = {"relevance": "関連度順", "default": "受付中を先頭", "deadline": "締切が近い順", "newest": "新着順"}
FACETS = ["sector", "kind", "support_type", "provider", "status", "fit"]
FACET_LABELS = {"sector": "分野", "kind": "種類", "support_type": "支援の種類", "provider": "提供者",
                "status": "募集状況", "fit": "自団体で利用可能"}
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200


class SearchError(ValueError):
    """A request parameter cannot be used (Japanese message)."""


# ---- The request -------------------------------------------------------------------------------------------


@dataclass
class SearchRequest:
    q: str = ""
    sector: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    support_type: list[str] = field(default_factory=list)
    provider: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    eligible_for: str = ""  # municipality code (5 or 6 digits)
    fit: list[str] = field(default_factory=list)  # with eligible_for; default: eligible only
    sort: str = ""
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    LIST_FIELDS = ("sector", "kind", "support_type", "provider", "status", "fit")

    @classmethod
    def from_querydict(cls, params: QueryDict) -> SearchRequest:
        def many(name):
            values = []
            for raw in params.getlist(name):
                values.extend(v.strip() for v in raw.split(",") if v.strip())
            return list(dict.fromkeys(values))

        def integer(name, default):
            try:
                return int(params.get(name) or default)
            except ValueError:
                return default

        return cls(
            q=(params.get("q") or "").strip()[:200],
            **{name: many(name) for name in cls.LIST_FIELDS},
            eligible_for=(params.get("eligible_for") or "").strip(),
            sort=(params.get("sort") or "").strip(),
            page=max(1, integer("page", 1)),
            page_size=max(1, min(integer("page_size", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)),
        )

    @classmethod
    def from_querystring(cls, querystring: str) -> SearchRequest:
        return cls.from_querydict(QueryDict(querystring or ""))

    def params(self, *, page: bool = True) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        if self.q:
            pairs.append(("q", self.q))
        for name in self.LIST_FIELDS:
            pairs.extend((name, v) for v in getattr(self, name))
        if self.eligible_for:
            pairs.append(("eligible_for", self.eligible_for))
        if self.sort:
            pairs.append(("sort", self.sort))
        if page and self.page > 1:
            pairs.append(("page", str(self.page)))
        if self.page_size != DEFAULT_PAGE_SIZE:
            pairs.append(("page_size", str(self.page_size)))
        return pairs

    def querystring(self, *, page: bool = True) -> str:
        return urlencode(self.params(page=page))

    def toggled(self, facet: str, key: str) -> str:
        """The query string with one facet value switched on/off (and back to page 1)."""
        values = list(getattr(self, facet))
        values = [v for v in values if v != key] if key in values else [*values, key]
        pairs = [(k, v) for k, v in self.params(page=False) if k != facet] + [(facet, v) for v in values]
        return urlencode(pairs)

    @property
    def effective_sort(self) -> str:
        if self.sort in SORTS and not (self.sort == "relevance" and not self.q):
            return self.sort
        return "relevance" if self.q else "default"

    @property
    def effective_fit(self) -> list[str]:
        if not self.eligible_for:
            return []
        return [f for f in self.fit if f in FIT_LABELS] or [ELIGIBLE]


# ---- The catalog snapshot -----------------------------------------------------------------------------------


@dataclass
class Snapshot:
    key: tuple
    programs: list[SupportProgram]
    by_pk: dict[int, SupportProgram]
    by_public_id: dict[str, SupportProgram]
    sector_names: dict[str, str]
    sector_keys: dict[int, tuple[str, ...]]
    windows: dict[int, list]
    statuses: dict[dt.date, dict[int, Status]] = field(default_factory=dict)
    fits: dict[tuple, dict[int, Fit]] = field(default_factory=dict)


_lock = threading.Lock()
_snapshot: Snapshot | None = None


def catalog_key() -> tuple:
    """Changes whenever any program is created, edited or deleted (cheap aggregate, one query)."""
    from chiiki.roadmap.models import Sector

    agg = SupportProgram.objects.aggregate(n=Count("id"), m=Max("updated_at"), v=Sum("version"), i=Max("id"))
    return (agg["n"], agg["m"], agg["v"], agg["i"], Sector.objects.count())


def snapshot() -> Snapshot:
    global _snapshot
    key = catalog_key()
    current = _snapshot
    if current is not None and current.key == key:
        return current
    with _lock:
        if _snapshot is not None and _snapshot.key == key:
            return _snapshot
        from chiiki.roadmap.models import Sector

        programs = list(SupportProgram.objects.order_by("public_id"))
        sector_names = dict(Sector.objects.order_by("order", "code").values_list("code", "name"))
        all_codes = tuple(sector_names)
        windows = {}
        for p in programs:
            try:
                windows[p.pk] = parse_windows(p.windows)
            except ValueError:
                windows[p.pk] = []
        _snapshot = Snapshot(
            key=key, programs=programs, by_pk={p.pk: p for p in programs},
            by_public_id={p.public_id: p for p in programs}, sector_names=sector_names,
            sector_keys={p.pk: all_codes if p.all_sectors else tuple(p.sectors) for p in programs},
            windows=windows,
        )
        return _snapshot


def statuses(snap: Snapshot, today: dt.date) -> dict[int, Status]:
    cached = snap.statuses.get(today)
    if cached is None:
        cached = {p.pk: status_on(snap.windows[p.pk], today) for p in snap.programs}
        snap.statuses.clear()
        snap.statuses[today] = cached
    return cached


def _municipality_key(m) -> tuple:
    return (m.code, m.kind, m.prefecture_id, m.population, m.fiscal_strength_index, m.depopulated,
            m.remote_island, m.mountainous)


def fits(snap: Snapshot, municipality) -> dict[int, Fit]:
    key = _municipality_key(municipality)
    cached = snap.fits.get(key)
    if cached is None:
        cached = {p.pk: assess(p, municipality) for p in snap.programs}
        if len(snap.fits) > 200:
            snap.fits.clear()
        snap.fits[key] = cached
    return cached


def get_municipality(code: str):
    from chiiki.regions.models import Municipality

    try:
        normalized = normalize_code(code)
    except InvalidCode as exc:
        raise Http404(f"団体コードが正しくありません: {exc}") from None
    municipality = Municipality.objects.select_related("prefecture").filter(code=normalized).first()
    if municipality is None:
        raise Http404(f"団体コード {normalized} の市区町村は登録されていません")
    return municipality


def get_program(public_id: str) -> SupportProgram:
    program = SupportProgram.objects.filter(public_id=public_id).first()
    if program is None:
        raise Http404(f"支援メニュー {public_id} は見つかりません")
    return program


# ---- Searching --------------------------------------------------------------------------------------------


@dataclass
class Hit:
    program: SupportProgram
    status: Status
    score: float | None = None
    fit: Fit | None = None

    @property
    def public_id(self) -> str:
        return self.program.public_id


@dataclass
class FacetValue:
    key: str
    label: str
    count: int
    selected: bool = False
    toggle: str = ""  # query string with this value toggled (pages)


@dataclass
class SearchResult:
    request: SearchRequest
    count: int
    items: list[Hit]
    all_items: list[Hit]
    facets: dict[str, list[FacetValue]]
    municipality: object = None
    sort: str = "default"

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.request.page_size))

    @property
    def page(self) -> int:
        return min(self.request.page, self.num_pages)


def _labels(snap: Snapshot) -> dict[str, dict[str, str]]:
    return {
        "sector": dict(snap.sector_names),
        "kind": dict(Kind.choices),
        "support_type": dict(SupportType.choices),
        "status": dict(STATUS_LABELS),
        "fit": dict(FIT_LABELS),
    }


def run_search(request: SearchRequest, *, user=None, today: dt.date | None = None,
               page_size: int | None = None) -> SearchResult:
    today = today or timezone.localdate()
    snap = snapshot()
    status_by_pk = statuses(snap, today)

    municipality, fit_by_pk = None, None
    if request.eligible_for:
        municipality = get_municipality(request.eligible_for)
        fit_by_pk = fits(snap, municipality)

    # Full text (database index) → candidates with scores
    scores: dict[int, float] | None = None
    if request.q:
        query = parse_query(request.q, concepts())
        ranked = PROGRAM_INDEX.search(query, stats_key=snap.key) if query else []
        scores = dict(ranked)
        candidates = [snap.by_pk[pk] for pk, _ in ranked if pk in snap.by_pk]
    else:
        candidates = snap.programs

    # Filters and disjunctive facet counts in one pass
    selected = {
        "sector": set(request.sector), "kind": set(request.kind), "support_type": set(request.support_type),
        "provider": set(request.provider), "status": set(request.status), "fit": set(request.effective_fit),
    }
    active = [name for name in FACETS if selected[name]]
    counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    matched: list[SupportProgram] = []
    for program in candidates:
        pk = program.pk
        values = {
            "sector": snap.sector_keys[pk],
            "kind": (program.kind,),
            "support_type": (program.support_type,),
            "provider": (program.provider,),
            "status": (status_by_pk[pk].code,),
            "fit": (fit_by_pk[pk].fit,) if fit_by_pk is not None else (),
        }
        failed = [name for name in active if not selected[name].intersection(values[name])]
        if len(failed) > 1:
            continue
        dims = failed if failed else FACETS
        for name in dims:
            bucket = counts[name]
            for value in values[name]:
                bucket[value] = bucket.get(value, 0) + 1
        if not failed:
            matched.append(program)

    sort = request.effective_sort
    far = dt.date.max

    def status_key(p):
        s = status_by_pk[p.pk]
        return (STATUS_ORDER[s.code], s.next_deadline or s.next_opening or far)

    if sort == "relevance":
        matched.sort(key=lambda p: (-round(scores.get(p.pk, 0.0), 9), STATUS_ORDER[status_by_pk[p.pk].code], p.public_id))
    elif sort == "deadline":
        matched.sort(key=lambda p: (status_by_pk[p.pk].next_deadline or far, status_key(p), p.public_id))
    elif sort == "newest":
        matched.sort(key=lambda p: (-p.created_at.timestamp(), -p.pk))
    else:
        matched.sort(key=lambda p: (*status_key(p), p.public_id))

    hits = [Hit(p, status_by_pk[p.pk], scores.get(p.pk) if scores is not None else None,
                fit_by_pk[p.pk] if fit_by_pk is not None else None) for p in matched]
    size = page_size or request.page_size
    page = min(request.page, max(1, -(-len(hits) // size)))
    page_items = hits[(page - 1) * size: page * size]

    labels = _labels(snap)
    facets: dict[str, list[FacetValue]] = {}
    for name in FACETS:
        if name == "fit" and fit_by_pk is None:
            continue
        bucket = counts[name]
        if name == "sector":
            keys = [code for code in snap.sector_names if code in bucket or code in selected[name]]
        elif name == "status":
            keys = [k for k in STATUS_ORDER if k in bucket or k in selected[name]]
        elif name == "fit":
            keys = [k for k in FIT_ORDER if k in bucket or k in selected[name]]
        elif name in ("kind", "support_type"):
            keys = [k for k in labels[name] if k in bucket or k in selected[name]]
        else:
            keys = sorted(set(bucket) | selected[name], key=lambda k: (-bucket.get(k, 0), k))
        facets[name] = [
            FacetValue(key, labels.get(name, {}).get(key, key), bucket.get(key, 0), key in selected[name],
                       request.toggled(name, key))
            for key in keys
        ]
    result = SearchResult(request, len(hits), page_items, hits, facets, municipality, sort)
    return result


# ---- The navigator (支援メニューナビ) ------------------------------------------------------------------------


@dataclass
class NavigatorItem:
    program: SupportProgram
    fit: Fit
    status: Status
    sector_specific: bool


@dataclass
class PackageStep:
    year: int
    fiscal_year: int
    role: str
    title: str
    programs: list[SupportProgram]
    why: str


ROLE_TITLES = {
    "people_knowhow": "人材・ノウハウ",
    "implementation": "実装資金",
    "operation": "運用・自走資金",
}
KIND_PREFERENCE = {
    "people_knowhow": ["advisor", "consulting", "special_tax", "tax", "matching"],
    "implementation": ["subsidy", "grant", "fund"],
    "operation": ["tax", "crowdfunding", "grant", "special_tax"],
}
STEP_SIZE = 3


def navigator(municipality, sector: str, *, stage: str = "", support_type: str = "",
              today: dt.date | None = None) -> tuple[list[NavigatorItem], list[PackageStep]]:
    """Every program relevant to the sector (and stage/support type) with its fit, and the 3-year package."""
    from chiiki.core.fiscal import fiscal_year_label, fiscal_year_of

    today = today or timezone.localdate()
    snap = snapshot()
    if sector not in snap.sector_names:
        raise Http404(f"分野 {sector} は登録されていません")
    status_by_pk = statuses(snap, today)
    fit_by_pk = fits(snap, municipality)

    in_sector = [p for p in snap.programs if p.all_sectors or sector in p.sectors]
    items = [
        NavigatorItem(p, fit_by_pk[p.pk], status_by_pk[p.pk], not p.all_sectors)
        for p in in_sector
        if (not stage or not p.stages or stage in p.stages) and (not support_type or p.support_type == support_type)
    ]
    items.sort(key=lambda i: (FIT_ORDER[i.fit.fit], not i.sector_specific, STATUS_ORDER[i.status.code],
                              i.program.public_id))

    # The package uses every eligible program of the sector (a package spans all stages and support types).
    eligible = [p for p in in_sector if fit_by_pk[p.pk].fit == ELIGIBLE]
    checks = [p for p in in_sector if fit_by_pk[p.pk].fit == CHECK]
    first_year = fiscal_year_of(today)
    used: set[int] = set()
    steps = []
    for year, role in enumerate(["people_knowhow", "implementation", "operation"], start=1):
        preference = KIND_PREFERENCE[role]

        def rank(p, preference=preference):
            kind_rank = preference.index(p.kind) if p.kind in preference else len(preference)
            return (p.all_sectors, kind_rank, STATUS_ORDER[status_by_pk[p.pk].code], p.public_id)

        chosen = sorted((p for p in eligible if role in p.package_roles and p.pk not in used), key=rank)[:STEP_SIZE]
        used.update(p.pk for p in chosen)
        fiscal_year = first_year + year - 1
        label = fiscal_year_label(fiscal_year) + ("以降" if year == 3 else "")
        pending = [p for p in checks if role in p.package_roles]
        steps.append(PackageStep(year, fiscal_year, role, ROLE_TITLES[role], chosen,
                                 _why(year, role, label, chosen, pending, municipality)))
    return items, steps


def _names(programs) -> str:
    return "、".join(f"「{p.name}」" for p in programs)


def _why(year: int, role: str, label: str, chosen, pending, municipality) -> str:
    if not chosen:
        text = f"{year}年目（{label}）: {municipality.name}が利用可能な{ROLE_TITLES[role]}の支援メニューは見つかりませんでした。"
        if pending:
            text += f"要確認の{_names(pending[:3])}は、条件を確認できれば候補になります。"
        return text
    if role == "people_knowhow":
        body = (f"まず人材とノウハウを確保します。{_names(chosen)}で外部の専門家や人材の支援を受け、"
                "地域の課題整理・実装計画・推進体制を固めます（2年目の補助申請の準備になります）。")
    elif role == "implementation":
        details = []
        for p in chosen:
            facts = [f"補助率{p.subsidy_rate}" if p.subsidy_rate else "", f"上限{p.cap_yen // 10000:,}万円" if p.cap_yen else ""]
            facts = [f for f in facts if f]
            details.append(f"「{p.name}」" + (f"（{'・'.join(facts)}）" if facts else ""))
        body = (f"1年目の計画をもとに、{'、'.join(details)}で実装の初期投資を賄います。"
                "公募時期と事業費の要件を確認し、前年度のうちに申請準備を進めます。")
    else:
        body = (f"補助が終わった後も続けられるよう、{_names(chosen)}で運用・更新の財源を確保し、"
                "自走できる体制に移行します。")
    return f"{year}年目（{label}）: {body}"


# ---- Deadlines (ICS) ---------------------------------------------------------------------------------------


def upcoming_deadlines(hits: list[Hit], *, today: dt.date | None = None, days_back: int = 31,
                       days_ahead: int = 400):
    """(program, deadline) pairs of the hits' application deadlines around today, by date."""
    from .windows import deadlines

    today = today or timezone.localdate()
    snap = snapshot()
    start, end = today - dt.timedelta(days=days_back), today + dt.timedelta(days=days_ahead)
    pairs = []
    for hit in hits:
        for deadline in deadlines(snap.windows.get(hit.program.pk, []), start, end):
            pairs.append((hit.program, deadline))
    return sorted(pairs, key=lambda pair: (pair[1].day, pair[0].public_id))


EXCLUDED_LABEL = FIT_LABELS[EXCLUDED]
