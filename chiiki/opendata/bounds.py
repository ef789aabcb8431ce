"""Bounding boxes of owners' areas from the loaded boundaries (regions.BoundaryFile), for the validator's
「区域の外」 warning. Nothing when boundaries are not loaded. Computed once per loaded file (keyed on its sha256)."""

from __future__ import annotations

import json
import threading

from chiiki.regions.models import BoundaryFile
from chiiki.regions.topology import TopologyError, decode_arcs, single_object

_lock = threading.Lock()
_cache: dict[str, dict[str, tuple[float, float, float, float]]] = {}


def _boxes(topojson: str) -> dict[str, tuple[float, float, float, float]]:
    topology = json.loads(topojson)
    _name, collection = single_object(topology)
    arcs = decode_arcs(topology)
    boxes = {}
    for geometry in collection.get("geometries", []):
        code = (geometry.get("properties") or {}).get("code")
        kind = geometry.get("type")
        if not code or kind not in ("Polygon", "MultiPolygon"):
            continue
        rings = geometry["arcs"] if kind == "Polygon" else [r for polygon in geometry["arcs"] for r in polygon]
        xs, ys = [], []
        for ring in rings:
            for index in ring:
                for x, y in arcs[~index if index < 0 else index]:
                    xs.append(x)
                    ys.append(y)
        if xs:
            boxes[code] = (min(xs), min(ys), max(xs), max(ys))
    return boxes


def municipality_boxes() -> dict[str, tuple[float, float, float, float]]:
    row = BoundaryFile.objects.filter(name="municipalities").values_list("sha256", flat=True).first()
    if row is None:
        return {}
    with _lock:
        if row not in _cache:
            text = BoundaryFile.objects.filter(name="municipalities").values_list("topojson", flat=True).first()
            try:
                boxes = _boxes(text or "{}")
            except (TopologyError, ValueError, KeyError, IndexError, TypeError):
                boxes = {}
            _cache.clear()
            _cache[row] = boxes
        return _cache[row]


def bbox_of(municipality: str = "", prefecture: str = "") -> tuple[float, float, float, float] | None:
    """A municipality's box, or the union of a prefecture's municipalities' boxes; None when unknown."""
    boxes = municipality_boxes()
    if municipality:
        return boxes.get(municipality)
    if prefecture:
        inside = [box for code, box in boxes.items() if code[:2] == prefecture]
        if inside:
            return (min(b[0] for b in inside), min(b[1] for b in inside), max(b[2] for b in inside),
                    max(b[3] for b in inside))
    return None
