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
"""

from dataclasses import dataclass, field

MIN_GROUP = 5


@dataclass
class Inputs:
    """What the computation reads, loaded once for every model region (queries.diffusion_inputs).

    The register's part (neighbours, strata, model regions, and the groups derived from them) does not change when
    progress does, so queries caches it apart and adds `implemented` per request (ADR 0017)."""

    neighbours: dict[str, set[str]]          # code → adjacent codes
    strata: dict[str, tuple]                 # code → (kind, population class or None)
    implemented: dict[int, set[tuple[str, str]]]  # 年度 → (code, sector) at 実装済 or 自走 (carry-over resolved)
    years: list[int]                         # every 年度 that can be shown, ascending
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

    def done(self, year: int) -> set[tuple[str, str]]:
        return self.implemented.get(year, set())


def comparison_group(inputs: Inputs, neighbours, excluded: set[str]) -> set[str]:
    wanted = {inputs.strata[code] for code in neighbours if code in inputs.strata}
    return {code for code, stratum in inputs.strata.items() if stratum in wanted and code not in excluded}


def _share(cells: set[tuple[str, str]], done: set[tuple[str, str]]) -> tuple[int, float | None]:
    implemented = len(cells & done)  # one set intersection, not a lookup per cell
    return implemented, (round(implemented / len(cells) * 100, 1) if cells else None)


def _rows(neighbour_cells, comparison_cells, years, inputs: Inputs) -> list[dict]:
    rows = []
    for year in years:
        done = inputs.done(year)
        n_done, n_share = _share(neighbour_cells, done)
        c_done, c_share = _share(comparison_cells, done)
        difference = round(n_share - c_share, 1) if n_share is not None and c_share is not None else None
        rows.append({"fiscal_year": year, "neighbour_implemented": n_done, "neighbour_cells": len(neighbour_cells),
                     "neighbour_share": n_share, "comparison_implemented": c_done,
                     "comparison_cells": len(comparison_cells), "comparison_share": c_share,
                     "difference": difference})
    return rows


def for_region(inputs: Inputs, code: str, start_year: int, sectors: list[str]) -> dict:
    neighbours, comparison = inputs.group(code)
    years = [y for y in inputs.years if y >= start_year]
    neighbour_cells = {(n, s) for n in neighbours for s in sectors}
    comparison_cells = {(c, s) for c in comparison for s in sectors}
    last = years[-1] if years else start_year
    before_done, last_done = inputs.done(start_year - 1), inputs.done(last)
    changes = {}
    for n in sorted(neighbours):
        before = sum(1 for s in sectors if (n, s) in before_done)
        after = sum(1 for s in sectors if (n, s) in last_done)
        changes[n] = {"before": before, "after": after, "change": after - before}
    return {
        "neighbours": sorted(neighbours), "comparison": sorted(comparison),
        "neighbour_count": len(neighbours), "comparison_count": len(comparison),
        "too_small": len(neighbours) < MIN_GROUP or len(comparison) < MIN_GROUP,
        "years": _rows(neighbour_cells, comparison_cells, years, inputs),
        "changes": changes, "baseline_year": start_year - 1, "last_year": last,
    }


def national(inputs: Inputs, regions: list[tuple[str, int, list[str]]]) -> dict:
    """Pooled over the model regions (code, designation 年度, sectors) designated in or before each 年度."""
    per_region = []
    for code, start, sectors in regions:
        neighbours, comparison = inputs.group(code)
        per_region.append((start, {(n, s) for n in neighbours for s in sectors},
                           {(c, s) for c in comparison for s in sectors}))
    first = min((start for start, _, _ in per_region), default=None)
    rows = []
    n_cells, c_cells, added = set(), set(), set()
    for year in inputs.years:
        if first is None or year < first:
            continue
        for index, (start, n, c) in enumerate(per_region):  # the pools only grow: add each region once
            if start <= year and index not in added:
                added.add(index)
                n_cells |= n
                c_cells |= c
        rows.extend(_rows(n_cells, c_cells, [year], inputs))
    sizes = {"neighbour": {code for code, _ in n_cells}, "comparison": {code for code, _ in c_cells}}
    return {"regions": len(regions), "neighbour_count": len(sizes["neighbour"]),
            "comparison_count": len(sizes["comparison"]),
            "too_small": len(sizes["neighbour"]) < MIN_GROUP or len(sizes["comparison"]) < MIN_GROUP,
            "years": rows}
