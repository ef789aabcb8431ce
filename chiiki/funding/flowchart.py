"""The source → sector flow diagram as SVG geometry (drawn on the server: no chart plugin, links are real links).

Left nodes are source kinds, right nodes sectors, each as tall as its share of the money; a band per
(source, sector) pair joins the two, as wide as the pair's money, and links to the funding lines behind it.
"""

import unicodedata
from dataclasses import dataclass

WIDTH, HEIGHT, NODE_WIDTH, GAP, FONT_SIZE = 760, 360, 14, 10, 12
MIN_LABEL_WIDTH, MAX_LABEL_WIDTH = 120, 280


def label_text(label: str, value: int) -> str:
    return f"{label} {value:,}円"


def text_width(text: str) -> float:
    """A generous estimate of the drawn width at FONT_SIZE: full-width (CJK) characters take 1em, the rest 0.62em."""
    return sum(FONT_SIZE if unicodedata.east_asian_width(ch) in "WF" else FONT_SIZE * 0.62 for ch in text)


def label_width(nodes) -> int:
    """Room beside the nodes for their labels ("企業版ふるさと納税 100,000,000円" must not be cut at the edge)."""
    needed = max((text_width(label_text(n.label, n.value)) for n in nodes), default=0) + 10
    return int(min(max(needed, MIN_LABEL_WIDTH), MAX_LABEL_WIDTH))
COLORS = ["#0031d8", "#e25100", "#259d63", "#7d3fbf", "#c7a200", "#0b7285", "#666666"]


@dataclass
class Node:
    label: str
    value: int
    y: float
    height: float
    color: str = "#666666"


@dataclass
class Band:
    source: str
    sector: str
    value: int
    path: str
    color: str
    url: str


def layout(pairs: list[dict]) -> dict | None:
    """pairs: [{"kind": label, "sector": label, "planned": yen, "url": ...}] → nodes and bands, or None if empty."""
    pairs = [p for p in pairs if p["planned"] > 0]
    if not pairs:
        return None
    total = sum(p["planned"] for p in pairs)
    left_totals, right_totals = {}, {}
    for p in pairs:
        left_totals[p["kind"]] = left_totals.get(p["kind"], 0) + p["planned"]
        right_totals[p["sector"]] = right_totals.get(p["sector"], 0) + p["planned"]

    def stack(totals):
        usable = HEIGHT - GAP * (len(totals) - 1)
        nodes, y = {}, 0.0
        for label, value in sorted(totals.items(), key=lambda item: -item[1]):
            height = max(usable * value / total, 1.0)
            nodes[label] = Node(label, value, y, height)
            y += height + GAP
        return nodes

    left, right = stack(left_totals), stack(right_totals)
    for i, node in enumerate(left.values()):
        node.color = COLORS[i % len(COLORS)]
    left_width, right_width = label_width(left.values()), label_width(right.values())
    x0, x1 = left_width + NODE_WIDTH, WIDTH - right_width - NODE_WIDTH
    left_used = {label: 0.0 for label in left}
    right_used = {label: 0.0 for label in right}
    bands = []
    order = {label: i for i, label in enumerate(right)}
    for p in sorted(pairs, key=lambda p: (list(left).index(p["kind"]), order[p["sector"]])):
        source, target = left[p["kind"]], right[p["sector"]]
        h_left = source.height * p["planned"] / source.value
        h_right = target.height * p["planned"] / target.value
        ly, ry = source.y + left_used[p["kind"]], target.y + right_used[p["sector"]]
        left_used[p["kind"]] += h_left
        right_used[p["sector"]] += h_right
        mid = (x0 + x1) / 2
        path = (f"M{x0},{ly:.1f} C{mid},{ly:.1f} {mid},{ry:.1f} {x1},{ry:.1f} L{x1},{ry + h_right:.1f} "
                f"C{mid},{ry + h_right:.1f} {mid},{ly + h_left:.1f} {x0},{ly + h_left:.1f} Z")
        bands.append(Band(p["kind"], p["sector"], p["planned"], path, source.color, p["url"]))
    return {"width": WIDTH, "height": HEIGHT, "left": list(left.values()), "right": list(right.values()),
            "bands": bands, "left_x": left_width, "right_x": WIDTH - right_width - NODE_WIDTH,
            "node_width": NODE_WIDTH, "left_label_x": left_width - 6, "right_label_x": WIDTH - right_width + 6,
            "font_size": FONT_SIZE}
