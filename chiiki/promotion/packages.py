"""Package advice (パッケージ型の実装): sector combinations similar municipalities implemented together.

Pure computation over itemsets {municipality: sectors at 実装済 or 自走}:
- support(X) = municipalities that implemented every sector of X;
- for a combination X of 2–3 sectors and each sector b in X, confidence(X − b → b) = support(X) ÷ support(X − b):
  of those that implemented the rest, the share that also implemented b;
- only combinations with support ≥ MIN_SUPPORT are returned.

programs_of(...) adds the support programs that the members' published plans (funding) used in the combination's
sectors, most plans first.
"""

from itertools import combinations as subsets
from itertools import compress

MIN_SUPPORT = 3
SIZES = (2, 3)


def mine(itemsets: dict[str, set[str]], *, min_support: int = MIN_SUPPORT, sizes=SIZES) -> list[dict]:
    # Vertical: one bit set per sector over the municipalities (in code order), so support(X) is the popcount of
    # the AND of X's sets and its members are the set bits — one integer operation per combination instead of
    # enumerating every subset of every municipality (packages of a large group of similar municipalities).
    codes, holders = _holders(itemsets)
    everyone = (1 << len(codes)) - 1
    sectors = sorted(holders)
    together: dict[tuple, int] = {(): everyone}

    def holding(combo: tuple) -> int:
        if combo not in together:
            together[combo] = holding(combo[:-1]) & holders[combo[-1]]
        return together[combo]

    result = []
    for size in sizes:
        for combo in subsets(sectors, size):
            held = holding(combo)
            support = held.bit_count()
            if support < max(min_support, 1):  # a combination nobody implemented is never listed
                continue
            rules = []
            for sector in combo:
                rest = tuple(s for s in combo if s != sector)
                base = holding(rest).bit_count()
                rules.append({"if": list(rest), "then": sector, "confidence": round(support / base * 100, 1),
                              "base": base})
            result.append({"sectors": list(combo), "support": support, "municipalities": _members(held, codes),
                           "rules": rules})
    result.sort(key=lambda c: (-c["support"], -len(c["sectors"]), c["sectors"]))
    return result


def _holders(itemsets: dict[str, set[str]]) -> tuple[list[str], dict[str, int]]:
    """The codes in order, and sector → the bit set of the codes (by index) that implemented it."""
    codes = sorted(itemsets)
    holders: dict[str, int] = {}
    for index, code in enumerate(codes):
        for sector in itemsets[code]:
            holders[sector] = holders.get(sector, 0) | 1 << index
    return codes, holders


def rule_bases(itemsets: dict[str, set[str]], combos: list[dict]) -> None:
    """Each combination's `bases`: per rule, the codes that implemented the rule's condition (the rest of the
    combination) — the municipalities behind its confidence's denominator. Kept apart from mine(), whose rules are
    the API's shape."""
    codes, holders = _holders(itemsets)
    everyone = (1 << len(codes)) - 1
    for combo in combos:
        combo["bases"] = []
        for rule in combo["rules"]:
            held = everyone
            for sector in rule["if"]:
                held &= holders.get(sector, 0)
            combo["bases"].append(_members(held, codes))


# bin()'s digits as the bytes 0/1 that itertools.compress reads as its selectors.
_SELECTORS = bytes.maketrans(b"01", b"\x00\x01")


def _members(held: int, codes: list[str]) -> list[str]:
    """The codes whose bits are set, in code order: the binary digits read lowest first select the codes (a C loop
    over the digits instead of a Python step per member)."""
    return list(compress(codes, bin(held)[:1:-1].encode().translate(_SELECTORS)))


def anchor(combo: dict) -> str:
    """The id of a combination's row on the municipality's promotion page, from its sectors (so the brief on other
    pages links to the same row)."""
    return "pkg-" + "-".join(combo["sectors"])


def programs_of(combo: dict, used: list[dict]) -> list[dict]:
    """used: rows {municipality, sector, program, name, plan}. Programs used by the combination's municipalities in
    its sectors, with how many plans (and which municipalities) used each; most plans first, then by name."""
    if not used:  # no published plan in the group (the usual case): nothing to match each combination against
        return []
    members, sectors = set(combo["municipalities"]), set(combo["sectors"])
    found: dict[str, dict] = {}
    for row in used:
        if row["municipality"] in members and row["sector"] in sectors:
            entry = found.setdefault(row["program"], {"public_id": row["program"], "name": row["name"],
                                                      "plans": set(), "municipalities": set()})
            entry["plans"].add(row["plan"])
            entry["municipalities"].add(row["municipality"])
    result = [{"public_id": e["public_id"], "name": e["name"], "plans": len(e["plans"]),
               "municipalities": sorted(e["municipalities"])} for e in found.values()]
    result.sort(key=lambda e: (-e["plans"], e["name"]))
    return result


def advise(mine_result: list[dict], own: set[str]) -> list[dict]:
    """Each combination with what the municipality already has and what it would add; the ones it has not
    completed first (most supported first), completed ones last."""
    rows = []
    for combo in mine_result:
        missing = [s for s in combo["sectors"] if s not in own]
        rows.append({**combo, "have": [s for s in combo["sectors"] if s in own], "missing": missing,
                     "next_rules": [r for r in combo["rules"] if r["then"] in missing
                                    and all(s in own for s in r["if"])]})
    rows.sort(key=lambda c: (not c["missing"], not c["next_rules"], -c["support"], c["sectors"]))
    return rows
