"""What to offer when a search finds nothing: what the words did match, as one-click searches.

A search that finds no program never ends at a bare 0 件: the words are looked up in the sector vocabulary (a
sector's name or one of its models → 「分野『…』で絞り込む」) and among the municipalities' names (→ 「〇〇市で使える
支援メニュー」, eligible_for), the words alone are tried without the filters that emptied the list, and when nothing
matched at all the sectors are offered to browse. Each suggestion carries the request parameters to run instead
and how many programs that finds; the page and the API show the same list (docs/decisions/0005).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from chiiki.core.search import normalize, parse_query
from chiiki.regions.queries import municipalities
from chiiki.roadmap.models import SectorModel

from .search import FACETS, SearchRequest, SearchResult, run_search, snapshot

MAX_MUNICIPALITIES = 5
MUNICIPALITY_SUFFIXES = ("市", "町", "村", "区")


@dataclass
class Suggestion:
    kind: str  # "sector" | "municipality" | "query_only" | "ended" | "all"
    label: str  # the link text
    reason: str  # what the words matched, in Japanese ("" when the suggestion is a way out, not a match)
    params: dict[str, str] = field(default_factory=dict)  # the search to run instead (page and API parameters)
    count: int = 0  # programs that search finds

    @property
    def querystring(self) -> str:
        return urlencode(self.params)


def _words(q: str) -> list[str]:
    return [t.text for t in parse_query(q).terms if len(t.text) >= 2]


def _matches(words: list[str], haystack: str, text: str) -> bool:
    """A word of the query is part of text, or text (2+ characters) is part of the query."""
    folded = normalize(text).replace(" ", "")
    return bool(folded) and (any(w in folded for w in words) or (len(folded) >= 2 and folded in haystack))


def _sector_matches(q: str) -> list[tuple[str, str, str]]:
    """(sector code, sector name, reason) for each sector whose name or a model the words match."""
    words, haystack = _words(q), normalize(q).replace(" ", "")
    if not words and not haystack:
        return []
    names = snapshot().sector_names
    models: dict[str, list[str]] = {}
    for code, name in SectorModel.objects.order_by("sector__order", "order").values_list("sector_id", "name"):
        models.setdefault(code, []).append(name)
    found = []
    for code, name in names.items():
        if _matches(words, haystack, name):
            found.append((code, name, f"「{name}」は分野の名前です"))
            continue
        model = next((m for m in models.get(code, []) if _matches(words, haystack, m)), None)
        if model:
            found.append((code, name, f"「{model}」は分野「{name}」のモデルです"))
    return found


def _municipality_matches(q: str) -> list:
    """Municipalities named in the query: the full name (八王子市) anywhere in it, or the name without its
    市町村区 as one of its words (八王子). At most MAX_MUNICIPALITIES, by code."""
    words, haystack = set(_words(q)), normalize(q).replace(" ", "")
    if not haystack:
        return []
    found = []
    for m in municipalities().order_by("code"):
        name = normalize(m.name).replace(" ", "")
        stem = name[:-1] if name.endswith(MUNICIPALITY_SUFFIXES) else name
        if (len(name) >= 2 and name in haystack) or (len(stem) >= 2 and stem in words):
            found.append(m)
            if len(found) >= MAX_MUNICIPALITIES:
                break
    return found


def _count(params: dict[str, str], user) -> int:
    return run_search(SearchRequest.from_params(params), user=user, page_size=1).count


def suggest(result: SearchResult, *, user=None) -> list[Suggestion]:
    """Alternatives for a search that found nothing ([] when it found something)."""
    if result.count:
        return []
    req = result.request
    q = req.q
    filtered = any(req.filters[name] for name in FACETS) or bool(req.filters["eligible_for"])
    out: list[Suggestion] = []
    if q:
        for code, name, reason in _sector_matches(q):
            params = {"sector": code}
            out.append(Suggestion("sector", f"分野「{name}」で絞り込む", reason, params, _count(params, user)))
        for m in _municipality_matches(q):
            params = {"eligible_for": m.code}
            out.append(Suggestion("municipality", f"{m.full_name}で使える支援メニュー",
                                  f"「{m.name}」は団体の名前です", params, _count(params, user)))
        if filtered:
            params = {"q": q}
            out.append(Suggestion("query_only", f"絞り込みを外して「{q}」を検索する", "", params, _count(params, user)))
        if not req.filters["status"]:
            # The default view leaves out ended programs: an old program's name would otherwise find nothing.
            params = {"q": q, "status": "ended"}
            out.append(Suggestion("ended", f"募集を終えた支援メニューから「{q}」を検索する",
                                  "募集を終えた支援メニュー（後継を案内しています）に一致しました", params,
                                  _count(params, user)))
    elif filtered:
        out.append(Suggestion("all", "絞り込みを外してすべての支援メニューを見る", "", {}, _count({}, user)))
    out = [s for s in out if s.count]
    if not out:
        # Nothing the words matched: offer the catalog by sector, never an empty page.
        snap = snapshot()
        out.append(Suggestion("all", "すべての支援メニューを見る", "", {}, _count({}, user)))
        for code, name in snap.sector_names.items():
            params = {"sector": code}
            out.append(Suggestion("sector", f"分野「{name}」の支援メニューを見る", "", params, _count(params, user)))
        out = [s for s in out if s.count]
    return out
