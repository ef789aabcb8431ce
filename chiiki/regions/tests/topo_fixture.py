"""A tiny TopoJSON pair built by the tests themselves (never the shared files).

Three 0.1° squares in a row at 35.0–35.1°N: 千代田区 (139.0–139.1) | 八王子市 (139.1–139.2) | 青ヶ島村 (139.2–139.3).
千代田区–八王子市 and 八王子市–青ヶ島村 share an arc; 千代田区 and 青ヶ島村 do not touch. Plus one 所属未定地 polygon
(no code) and one Northern Territories village (a code that is not in the register). Quantized with delta-encoded arcs.
"""

import hashlib
import json
import math
from pathlib import Path

SCALE = 0.001
TRANSLATE = (139.0, 35.0)

_ABSOLUTE_ARCS = [
    [(100, 0), (100, 100)],                     # 0: 千代田区 | 八王子市
    [(100, 100), (0, 100), (0, 0), (100, 0)],   # 1: rest of 千代田区
    [(200, 0), (200, 100)],                     # 2: 八王子市 | 青ヶ島村
    [(200, 100), (100, 100)],                   # 3: 八王子市 top
    [(100, 0), (200, 0)],                       # 4: 八王子市 bottom
    [(200, 0), (300, 0), (300, 100), (200, 100)],  # 5: rest of 青ヶ島村
    [(0, 500), (50, 500), (50, 550), (0, 550), (0, 500)],  # 6: 所属未定地
    [(0, 800), (50, 800), (50, 850), (0, 850), (0, 800)],  # 7: 色丹村
]


def _delta(arc):
    out, px, py = [], 0, 0
    for x, y in arc:
        out.append([x - px, y - py])
        px, py = x, y
    return out


def _geometry(arcs, **properties):
    base = {"N03_001": "東京都", "N03_002": None, "N03_003": None, "N03_004": None, "N03_007": None}
    return {"type": "Polygon", "arcs": arcs, "properties": base | properties}


def municipalities_topology() -> dict:
    return {
        "type": "Topology",
        "transform": {"scale": [SCALE, SCALE], "translate": list(TRANSLATE)},
        "arcs": [_delta(a) for a in _ABSOLUTE_ARCS],
        "objects": {"N03-21_210101": {"type": "GeometryCollection", "geometries": [
            _geometry([[1, 0]], N03_004="千代田区", N03_007="13101"),
            _geometry([[4, 2, 3, ~0]], N03_004="八王子市", N03_007="13201"),
            _geometry([[5, ~2]], N03_004="青ヶ島村", N03_007="13402"),
            _geometry([[6]], N03_004=None),
            _geometry([[7]], N03_001="北海道", N03_004="色丹村", N03_007="01695"),
        ]}},
    }


def prefectures_topology() -> dict:
    """Not quantized, to exercise the plain-coordinates path."""
    return {
        "type": "Topology",
        "arcs": [[[139.0, 35.0], [139.3, 35.0], [139.3, 35.1], [139.0, 35.1], [139.0, 35.0]]],
        "objects": {"prefectures": {"type": "GeometryCollection", "geometries": [
            {"type": "Polygon", "arcs": [[0]], "properties": {"N03_001": "東京都"}},
        ]}},
    }


def write(directory: Path) -> dict[str, bytes]:
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "municipalities.topojson": json.dumps(municipalities_topology(), ensure_ascii=False).encode(),
        "prefectures.topojson": json.dumps(prefectures_topology(), ensure_ascii=False).encode(),
    }
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return files


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def square_area_km2(lat0: float, lat1: float, dlng: float) -> float:
    """Exact area of a lat/lng rectangle on the authalic sphere."""
    radius_km = 6371.007181
    return radius_km ** 2 * math.radians(dlng) * (math.sin(math.radians(lat1)) - math.sin(math.radians(lat0)))
