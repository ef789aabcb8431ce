"""Diffusion of a model region's success to its neighbours, against a comparison group (pure computation).

For a model region R designated in 年度 Y0 for sectors S:
- neighbours N: the municipalities adjacent to R (the register's neighbour relation);
- comparison C: municipalities that are neither a model region nor a neighbour of any model region, whose
  (kind, population class) is one of the neighbours' (so the two groups are alike in kind and size);
- for each 年度 y ≥ Y0: share of the group's municipality × sector cells (sectors S) at 実装済 or better;
  the difference is share(N) − share(C) in percentage points.
- A group of fewer than MIN_GROUP municipalities makes the difference meaningless: `too_small` says so.
- Each neighbour's change: sectors of S at 実装済 or better in the last 年度 minus in Y0 − 1 (before designation).

National: the same shares pooled over every model region designated in or before y (cells counted once).

Cells are counted with sector bit masks: a group is {code: mask of the sectors concerned}, the implemented cells
of a 年度 are {code: mask of its sectors at 実装済 or better}, and a group's implemented cells are
Σ popcount(group[code] & done[code]) — one integer operation per municipality instead of one lookup per cell.
"""

from dataclasses import dataclass, field

MIN_GROUP = 5


def bits_of(sectors) -> dict[str, int]:
    """One bit per sector code (in the order given)."""
    return {code: 1 << i for i, code in enumerate(sectors)}


def mask_of(sectors, bits: dict[str, int]) -> int:
    mask = 0
    for sector in sectors:
        mask |= bits.get(sector, 0)
    return mask


@dataclass
class Inputs:
    """What the computation reads, loaded once for every model region (queries.diffusion_inputs).

    The register's part (neighbours, strata, model regions, and the groups derived from them) does not change when
    progress does, so queries caches it apart and adds `implemented` per request (ADR 0017)."""

    neighbours: dict[str, set[str]]          # code → adjacent codes
    strata: dict[str, tuple]                 # code → (kind, population class or None)
    implemented: dict[int, dict[str, int]]   # 年度 → {code: mask of sectors at 実装済 or 自走} (carry-over resolved)
    years: list[int]                         # every 年度 that can be shown, ascending
    bits: dict[str, int]                     # sector code → its bit
    model_codes: set[str] = field(default_factory=set)
    groups: dict[str, tuple[frozenset, frozenset]] = field(default_factory=dict)  # memo: code → (N, C)

    def excluded(self) -> set[str]:
        """Model regions and every neighbour of one: never in a comparison group."""
        result = set(self.model_codes)
        for code in self.model_codes:
            result |= self.neighbours.get(code, set())
        return result

    def group(self, code: str) -> tuple[frozenset, frozenset]:
        """The model region's neighbours and its comparison group (computed once per Inputs)."""
        if code not in self.groups:
            neighbours = frozenset(self.neighbours.get(code, set()) - {code})
            self.groups[code] = (neighbours, frozenset(comparison_group(self, neighbours, self.excluded())))
        return self.groups[code]

    def done(self, year: int) -> dict[str, int]:
        return self.implemented.get(year, {})


def comparison_group(inputs: Inputs, neighbours, excluded: set[str]) -> set[str]:
    wanted = {inputs.strata[code] for code in neighbours if code in inputs.strata}
    return {code for code, stratum in inputs.strata.items() if stratum in wanted and code not in excluded}


def _cells(group: dict[str, int]) -> int:
    return sum(mask.bit_count() for mask in group.values())


def _share(group: dict[str, int], cells: int, done: dict[str, int]) -> tuple[int, float | None]:
    implemented = sum((done.get(code, 0) & mask).bit_count() for code, mask in group.items())
    return implemented, (round(implemented / cells * 100, 1) if cells else None)


def _rows(neighbour_group, comparison_group_, years, inputs: Inputs) -> list[dict]:
    n_cells, c_cells = _cells(neighbour_group), _cells(comparison_group_)
    rows = []
    for year in years:
        done = inputs.done(year)
        n_done, n_share = _share(neighbour_group, n_cells, done)
        c_done, c_share = _share(comparison_group_, c_cells, done)
        difference = round(n_share - c_share, 1) if n_share is not None and c_share is not None else None
        rows.append({"fiscal_year": year, "neighbour_implemented": n_done, "neighbour_cells": n_cells,
                     "neighbour_share": n_share, "comparison_implemented": c_done,
                     "comparison_cells": c_cells, "comparison_share": c_share,
                     "difference": difference})
    return rows


def for_region(inputs: Inputs, code: str, start_year: int, sectors: list[str]) -> dict:
    neighbours, comparison = inputs.group(code)
    mask = mask_of(sectors, inputs.bits)
    years = [y for y in inputs.years if y >= start_year]
    neighbour_group = {n: mask for n in neighbours} if mask else {}
    comparison_group_ = {c: mask for c in comparison} if mask else {}
    last = years[-1] if years else start_year
    before_done, last_done = inputs.done(start_year - 1), inputs.done(last)
    changes = {}
    for n in sorted(neighbours):
        before = (before_done.get(n, 0) & mask).bit_count()
        after = (last_done.get(n, 0) & mask).bit_count()
        changes[n] = {"before": before, "after": after, "change": after - before}
    return {
        "neighbours": sorted(neighbours), "comparison": sorted(comparison),
        "neighbour_count": len(neighbours), "comparison_count": len(comparison),
        "too_small": len(neighbours) < MIN_GROUP or len(comparison) < MIN_GROUP,
        "years": _rows(neighbour_group, comparison_group_, years, inputs),
        "changes": changes, "baseline_year": start_year - 1, "last_year": last,
    }


def _pool(pool: dict[str, int], codes, mask: int) -> None:
    for code in codes:
        pool[code] = pool.get(code, 0) | mask


def region_groups(inputs: Inputs, code: str, sectors: list[str]) -> dict[str, dict[str, int]]:
    """The model region's two groups as {code: mask of the sectors counted} (what for_region counts)."""
    neighbours, comparison = inputs.group(code)
    mask = mask_of(sectors, inputs.bits)
    return {"neighbours": {n: mask for n in neighbours} if mask else {},
            "comparison": {c: mask for c in comparison} if mask else {}}


def national_groups(inputs: Inputs, regions: list[tuple[str, int, list[str]]], year: int) -> dict[str, dict]:
    """The pooled groups of 年度 `year` (model regions designated in or before it), as national counts them."""
    n_pool: dict[str, int] = {}
    c_pool: dict[str, int] = {}
    for code, start, sectors in regions:
        mask = mask_of(sectors, inputs.bits)
        if start <= year and mask:
            neighbours, comparison = inputs.group(code)
            _pool(n_pool, neighbours, mask)
            _pool(c_pool, comparison, mask)
    return {"neighbours": n_pool, "comparison": c_pool}


def cells_of(group: dict[str, int], done: dict[str, int] | None, bits: dict[str, int]) -> list[tuple[str, str]]:
    """The (code, sector) cells behind a group's count: every cell (done None) or those at 実装済 or better."""
    order = sorted(bits.items(), key=lambda item: item[1])
    result = []
    for code in sorted(group):
        mask = group[code] if done is None else group[code] & done.get(code, 0)
        result.extend((code, sector) for sector, bit in order if mask & bit)
    return result


def national(inputs: Inputs, regions: list[tuple[str, int, list[str]]]) -> dict:
    """Pooled over the model regions (code, designation 年度, sectors) designated in or before each 年度."""
    per_region = [(start, *inputs.group(code), mask_of(sectors, inputs.bits)) for code, start, sectors in regions]
    first = min((start for start, *_ in per_region), default=None)
    rows: list[dict] = []
    n_pool: dict[str, int] = {}
    c_pool: dict[str, int] = {}
    added = set()
    for year in inputs.years:
        if first is None or year < first:
            continue
        for index, (start, neighbours, comparison, mask) in enumerate(per_region):  # pools only grow
            if start <= year and index not in added and mask:
                added.add(index)
                _pool(n_pool, neighbours, mask)
                _pool(c_pool, comparison, mask)
        rows.extend(_rows(n_pool, c_pool, [year], inputs))
    return {"regions": len(regions), "neighbour_count": len(n_pool), "comparison_count": len(c_pool),
            "too_small": len(n_pool) < MIN_GROUP or len(c_pool) < MIN_GROUP,
            "years": rows, "neighbours": sorted(n_pool), "comparison": sorted(c_pool)}  # the pools behind the counts
