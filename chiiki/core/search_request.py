"""One search-request shape for pages and the API (docs/decisions/0007-one-search-request.md).

Every searchable list reads the same GET parameters, through one constructor (``from_params``), whether the
request comes from a page, the API, a saved search or an e-mail alert:

    q=…                        free text (stripped, cut to ``max_q_length`` characters)
    <name>=a&<name>=b          one_of filter; also ``<name>=a,b``; order kept, duplicates dropped
    <name>=v                   single-value filter
    <name>_min=…&<name>_max=…  numeric range, inclusive
    <name>_from=…&<name>_to=…  date range, inclusive (YYYY-MM-DD)
    sort=a,-b                  sort keys in priority order; ``-`` = descending where the spec allows it
    page=…&page_size=…         1-based page (below 1 reads as 1); page_size within 1..max_page_size

A value that cannot be used is dropped (the default applies) and its Japanese message is added to
``errors``: the API answers 422 with the messages, a page shows them next to the results. Unknown
parameters are ignored (pages carry their own, e.g. ``format``). ``querystring()`` writes the request back in
this form, so ``from_querystring(req.querystring())`` is the same request (saved searches rely on it).

An app declares a ``RequestSpec`` (its filters, sort keys, page sizes) on a subclass of ``SearchRequest``;
what a filter means (a mask, a WHERE clause) is the app's business. Facet counts come back as ``FacetValue``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import ClassVar
from urllib.parse import urlencode

from django.http import QueryDict

from .text import nfkc

# The longest free text a search reads (pages, the API, the CKAN API, suggestions); the rest is cut off. 200
# characters hold any real query, and bound the words chiiki.core.search looks up and the request line.
MAX_Q_LENGTH = 200


def _values(params, name: str) -> list[str]:
    """Every raw value of a parameter, from a QueryDict or a plain mapping (str, list or tuple values)."""
    if hasattr(params, "getlist"):
        return [str(v) for v in params.getlist(name)]
    value = params.get(name)
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v is not None]
    return [str(value)]


def _last(params, name: str) -> str:
    values = _values(params, name)
    return values[-1].strip() if values else ""


@dataclass(frozen=True)
class Bounds:
    """A min/max or from/to pair; either end may be open (None)."""

    low: object = None
    high: object = None

    def __bool__(self):
        return self.low is not None or self.high is not None


# ---- Filters -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OneOf:
    """Any of several values (OR within the filter): ``name=a&name=b`` or ``name=a,b``.

    With ``choices`` an unknown value is an error; without, it is kept (and simply matches nothing).
    """

    name: str
    label: str
    choices: tuple[str, ...] | None = None
    empty: ClassVar[tuple] = ()

    def parse(self, params, errors: list[str]) -> tuple[str, ...]:
        values = []
        for raw in _values(params, self.name):
            values.extend(v.strip() for v in raw.split(",") if v.strip())
        values = list(dict.fromkeys(values))
        if self.choices is not None:
            unknown = [v for v in values if v not in self.choices]
            if unknown:
                errors.append(f"{self.name} は {', '.join(self.choices)} のいずれかです（入力: {', '.join(unknown)}）")
                values = [v for v in values if v in self.choices]
        return tuple(values)

    def pairs(self, value) -> list[tuple[str, str]]:
        return [(self.name, v) for v in value]


@dataclass(frozen=True)
class Value:
    """One value (the last one given): ``name=v``. The app checks what it means (e.g. a code that must exist)."""

    name: str
    label: str
    empty: ClassVar[str] = ""

    def parse(self, params, errors: list[str]) -> str:
        return _last(params, self.name)

    def pairs(self, value) -> list[tuple[str, str]]:
        return [(self.name, value)] if value else []


@dataclass(frozen=True)
class Range:
    """A numeric range, inclusive: ``name_min`` / ``name_max`` (integers, or decimals with integer=False)."""

    name: str
    label: str
    integer: bool = True
    empty: ClassVar[Bounds] = Bounds()

    def _number(self, params, suffix: str, end: str, errors: list[str]):
        param = f"{self.name}_{suffix}"
        raw = nfkc(_last(params, param)).replace(",", "")
        if not raw:
            return None
        try:
            value = int(raw) if self.integer else Decimal(raw)
        except (ValueError, InvalidOperation):
            value = None
        if value is None or (isinstance(value, Decimal) and not value.is_finite()):  # Decimal reads "NaN"
            kind = "整数" if self.integer else "数値"
            errors.append(f"{param}（{self.label}の{end}）は{kind}で指定してください（入力: {raw}）")
            return None
        return value

    def parse(self, params, errors: list[str]) -> Bounds:
        low = self._number(params, "min", "下限", errors)
        high = self._number(params, "max", "上限", errors)
        if low is not None and high is not None and low > high:
            errors.append(f"{self.label}の下限（{low}）が上限（{high}）を超えています")
            return Bounds()
        return Bounds(low, high)

    def pairs(self, value: Bounds) -> list[tuple[str, str]]:
        return [(f"{self.name}_{suffix}", str(v)) for suffix, v in (("min", value.low), ("max", value.high))
                if v is not None]


def parse_date(raw: str) -> dt.date:
    """A date as people type it: YYYY-MM-DD or YYYY/MM/DD, full-width characters too. ValueError otherwise."""
    return dt.date.fromisoformat(nfkc(raw).strip().replace("/", "-"))


@dataclass(frozen=True)
class DateRange:
    """A date range, inclusive: ``name_from`` / ``name_to`` (YYYY-MM-DD; YYYY/MM/DD and full-width characters too)."""

    name: str
    label: str
    empty: ClassVar[Bounds] = Bounds()

    def _date(self, params, suffix: str, end: str, errors: list[str]) -> dt.date | None:
        param = f"{self.name}_{suffix}"
        raw = nfkc(_last(params, param))
        if not raw:
            return None
        try:
            return parse_date(raw)
        except ValueError:
            errors.append(f"{param}（{self.label}の{end}）は YYYY-MM-DD の形式で指定してください（入力: {raw}）")
            return None

    def parse(self, params, errors: list[str]) -> Bounds:
        start = self._date(params, "from", "開始日", errors)
        end = self._date(params, "to", "終了日", errors)
        if start is not None and end is not None and start > end:
            errors.append(f"{self.label}の開始日（{start.isoformat()}）が終了日（{end.isoformat()}）より後です")
            return Bounds()
        return Bounds(start, end)

    def pairs(self, value: Bounds) -> list[tuple[str, str]]:
        return [(f"{self.name}_{suffix}", v.isoformat()) for suffix, v in (("from", value.low), ("to", value.high))
                if v is not None]


Filter = OneOf | Value | Range | DateRange


# ---- Sorting -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SortKey:
    key: str
    descending: bool = False

    def __str__(self):
        return ("-" if self.descending else "") + self.key


@dataclass(frozen=True)
class RequestSpec:
    """What one search accepts: its filters (in query-string order), sort keys and page sizes."""

    filters: tuple[Filter, ...] = ()
    sorts: Mapping[str, str] = field(default_factory=dict)  # key → Japanese label
    descending: bool = False  # whether "-key" is accepted
    max_sort_keys: int = 1
    default_page_size: int = 20
    max_page_size: int = 200
    max_q_length: int = MAX_Q_LENGTH

    def filter(self, name: str) -> Filter:
        for f in self.filters:
            if f.name == name:
                return f
        raise KeyError(name)

    def parse_sort(self, params, errors: list[str]) -> tuple[SortKey, ...]:
        raw = [part.strip() for value in _values(params, "sort") for part in value.split(",") if part.strip()]
        keys: list[SortKey] = []
        for token in raw:
            descending = self.descending and token.startswith("-")
            name = token[1:] if descending else token
            if name not in self.sorts:
                errors.append(f"sort は {', '.join(self.sorts)} のいずれかです"
                              + ("（降順は先頭に -）" if self.descending else ""))
                return ()
            if all(k.key != name for k in keys):
                keys.append(SortKey(name, descending))
        if len(keys) > self.max_sort_keys:
            errors.append(f"sort に指定できるのは{self.max_sort_keys}つまでです（入力: {','.join(raw)}）")
            return ()
        return tuple(keys)

    def parse_page(self, params, errors: list[str]) -> tuple[int, int]:
        page, page_size = 1, self.default_page_size
        raw_page = nfkc(_last(params, "page"))
        if raw_page:
            try:
                page = max(1, int(raw_page))
            except ValueError:
                errors.append(f"page は1以上の整数で指定してください（入力: {raw_page}）")
        raw_size = nfkc(_last(params, "page_size"))
        if raw_size:
            try:
                size = int(raw_size)
            except ValueError:
                errors.append(f"page_size は1〜{self.max_page_size}です")
            else:
                if not 1 <= size <= self.max_page_size:
                    errors.append(f"page_size は1〜{self.max_page_size}です")
                page_size = max(1, min(size, self.max_page_size))
        return page, page_size


# ---- The request ---------------------------------------------------------------------------------------------


@dataclass
class SearchRequest:
    """q, filters, sort, page: the request a page and the API build alike. Subclasses set ``spec``."""

    spec: ClassVar[RequestSpec] = RequestSpec()

    q: str = ""
    filters: dict[str, object] = field(default_factory=dict)  # name → tuple (one_of), str (value) or Bounds
    sort: tuple[SortKey, ...] = ()
    page: int = 1
    page_size: int | None = None
    errors: tuple[str, ...] = ()

    def __post_init__(self):
        unknown = set(self.filters) - {f.name for f in self.spec.filters}
        if unknown:
            raise ValueError(f"unknown filters: {', '.join(sorted(unknown))}")
        self.filters = {f.name: self.filters.get(f.name, f.empty) for f in self.spec.filters}
        if self.page_size is None:
            self.page_size = self.spec.default_page_size

    @classmethod
    def from_params(cls, params: QueryDict | Mapping) -> SearchRequest:
        """The request from GET parameters (a QueryDict, or a mapping of name → str or list of str)."""
        spec = cls.spec
        errors: list[str] = []
        q = _last(params, "q")[:spec.max_q_length]
        filters = {f.name: f.parse(params, errors) for f in spec.filters}
        sort = spec.parse_sort(params, errors)
        page, page_size = spec.parse_page(params, errors)
        return cls(q=q, filters=filters, sort=sort, page=page, page_size=page_size, errors=tuple(errors))

    @classmethod
    def from_querystring(cls, querystring: str) -> SearchRequest:
        return cls.from_params(QueryDict(querystring or ""))

    @property
    def sort_param(self) -> str:
        return ",".join(str(k) for k in self.sort)

    def params(self, *, page: bool = True) -> list[tuple[str, str]]:
        """The request as GET pairs in a fixed order: q, filters (spec order), sort, page, page_size."""
        pairs: list[tuple[str, str]] = []
        if self.q:
            pairs.append(("q", self.q))
        for f in self.spec.filters:
            pairs.extend(f.pairs(self.filters[f.name]))
        if self.sort:
            pairs.append(("sort", self.sort_param))
        if page and self.page > 1:
            pairs.append(("page", str(self.page)))
        if self.page_size != self.spec.default_page_size:
            pairs.append(("page_size", str(self.page_size)))
        return pairs

    def querystring(self, *, page: bool = True) -> str:
        return urlencode(self.params(page=page))

    def only(self, name: str, key: str) -> str:
        """The query string with a one_of filter narrowed to one value: the rows a facet count stands for."""
        pairs = [(k, v) for k, v in self.params(page=False) if k != name] + [(name, key)]
        return urlencode(pairs)

    def without(self, *names: str) -> SearchRequest:
        """A copy with the named filters emptied (e.g. a filter value that turned out not to exist)."""
        filters = {**self.filters, **{name: self.spec.filter(name).empty for name in names}}
        return dataclasses.replace(self, filters=filters)


@dataclass
class FacetValue:
    """One value of a facet with the number of results it would give (other filters applied)."""

    key: str
    label: str
    count: int
    selected: bool = False
    only: str = ""  # query string of the rows behind ``count`` (pages; set by facet_panel)

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "count": self.count}


def facet_panel(req: SearchRequest, groups: list[tuple[str, str, list[FacetValue]]], *, form: str) -> dict:
    """What templates/components/facet_panel.html needs to draw ``groups`` ((name, label, values) per facet).

    The checkboxes belong to the page's search form (``form`` is its id, through the ``form`` attribute), so the
    keyword box, the 検索 button and the 絞り込む button all send one request with the same parameter names the
    facet links used to carry: every existing URL and saved search still reads the same. What the panel does not
    show as a checkbox (sort, page_size, eligible_for, a chosen value outside the listed ones) goes as hidden
    fields, so submitting never drops a condition the visitor cannot see. Each count links to its own rows: the
    counts are disjunctive (other facets applied, this one not), so those rows are this facet narrowed to the value.
    """
    shown = set()
    for name, _label, values in groups:
        for value in values:
            value.only = req.only(name, value.key)
            shown.add((name, value.key))
    hidden = [(k, v) for k, v in req.params(page=False) if k != "q" and (k, v) not in shown]
    selected = sum(value.selected for _name, _label, values in groups for value in values)
    return {"form": form, "groups": groups, "hidden": hidden, "selected": selected,
            "active": bool(req.params(page=False))}
