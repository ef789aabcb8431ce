"""Reading TopoJSON in Python: arcs → GeoJSON geometries, shared arcs → neighbours, geodesic area.

TopoJSON stores each border once as an "arc"; polygons list arc indices (a negative index ~i means arc i
reversed). Quantized files (with a `transform`) store arc positions as deltas from the previous position.
"""

import math
from collections import defaultdict
from itertools import combinations

# Radius of the sphere with the same surface area as the WGS84 ellipsoid (authalic radius), metres.
AUTHALIC_RADIUS_M = 6371007.181


class TopologyError(ValueError):
    pass


def decode_arcs(topology: dict, precision: int = 6) -> list[list[tuple[float, float]]]:
    """Absolute [lng, lat] positions of every arc (delta-decoded and transformed when quantized)."""
    try:
        arcs = topology["arcs"]
    except (KeyError, TypeError):
        raise TopologyError("TopoJSON に arcs がありません") from None
    transform = topology.get("transform")
    decoded = []
    if transform:
        try:
            (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
        except (KeyError, TypeError, ValueError):
            raise TopologyError("TopoJSON の構造が正しくありません（transform の scale と translate が"
                                "2つずつの数ではありません）") from None
    try:
        if transform:
            for arc in arcs:
                x = y = 0
                points = []
                for position in arc:
                    x += position[0]
                    y += position[1]
                    points.append((round(x * sx + tx, precision), round(y * sy + ty, precision)))
                decoded.append(points)
        else:
            decoded = [[(float(p[0]), float(p[1])) for p in arc] for arc in arcs]
    except (KeyError, IndexError, TypeError, ValueError):
        raise TopologyError("TopoJSON の構造が正しくありません（arcs の座標が数の組ではありません）") from None
    return decoded


def _ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[list[float]]:
    points: list[tuple[float, float]] = []
    for index in indices:
        try:
            arc = arcs[~index][::-1] if index < 0 else arcs[index]
        except (IndexError, TypeError):
            raise TopologyError(f"arcs が存在しない弧 {index!r} を参照しています") from None
        # Consecutive arcs share their joining point: keep it once.
        points.extend(arc[1:] if points else arc)
    if points and points[0] != points[-1]:
        points.append(points[0])
    return [list(p) for p in points]


def geometry_to_geojson(geometry: dict, arcs) -> dict | None:
    """The GeoJSON of a Polygon/MultiPolygon (None for other types); TopologyError says what is wrong with it."""
    kind = geometry.get("type")
    try:
        if kind == "Polygon":
            return {"type": "Polygon", "coordinates": [_ring(r, arcs) for r in geometry["arcs"]]}
        if kind == "MultiPolygon":
            return {"type": "MultiPolygon",
                    "coordinates": [[_ring(r, arcs) for r in polygon] for polygon in geometry["arcs"]]}
    except KeyError:
        raise TopologyError("arcs がありません") from None
    except TypeError:
        raise TopologyError(f"arcs が {kind} の弧の並びではありません") from None
    return None


def arc_ids(geometry: dict) -> set[int]:
    """The arcs a polygon geometry uses, direction ignored (~i and i are the same border)."""
    kind = geometry.get("type")
    if kind == "Polygon":
        rings = geometry["arcs"]
    elif kind == "MultiPolygon":
        rings = [ring for polygon in geometry["arcs"] for ring in polygon]
    else:
        return set()
    return {~i if i < 0 else i for ring in rings for i in ring}


def shared_arc_pairs(keyed_geometries: dict[str, dict]) -> set[tuple[str, str]]:
    """Pairs (a, b), a < b, of keys whose geometries share at least one arc."""
    users: dict[int, set[str]] = defaultdict(set)
    for key, geometry in keyed_geometries.items():
        for arc in arc_ids(geometry):
            users[arc].add(key)
    pairs = set()
    for keys in users.values():
        if len(keys) > 1:
            pairs.update(combinations(sorted(keys), 2))
    return pairs


def _ring_area(ring: list[list[float]]) -> float:
    """Area on the authalic sphere of a lng/lat ring, m² (sign gives orientation).

    Spherical polygon area by the Chamberlain–Duquette formula (JPL 2007), as used by OpenLayers and Turf:
    A = R²/2 · Σ (λ₂ − λ₁)(2 + sin φ₁ + sin φ₂).
    """
    total = 0.0
    count = len(ring)
    if count < 4:
        return 0.0
    for i in range(count - 1):
        lng1, lat1 = ring[i]
        lng2, lat2 = ring[i + 1]
        total += math.radians(lng2 - lng1) * (2 + math.sin(math.radians(lat1)) + math.sin(math.radians(lat2)))
    return total * AUTHALIC_RADIUS_M ** 2 / 2


def geodesic_area_km2(geometry: dict) -> float:
    """Area of a GeoJSON Polygon/MultiPolygon in km²: outer rings minus holes, on the WGS84 authalic sphere.

    Error against the ellipsoidal area is well under 1 % at Japan's latitudes; the simplified boundaries
    themselves are the larger source of error, so the result is labelled an approximation.
    """
    if geometry is None:
        return 0.0
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    total = 0.0
    for polygon in polygons:
        if not polygon:
            continue
        outer = abs(_ring_area(polygon[0]))
        holes = sum(abs(_ring_area(r)) for r in polygon[1:])
        total += max(outer - holes, 0.0)
    return total / 1e6


def single_object(topology: dict) -> tuple[str, dict]:
    """The one GeometryCollection object of a file (name, object)."""
    if not isinstance(topology, dict) or topology.get("type") != "Topology":
        raise TopologyError("TopoJSON（type: Topology）ではありません")
    objects = topology.get("objects") or {}
    if not isinstance(objects, dict):
        raise TopologyError("TopoJSON の構造が正しくありません（objects がオブジェクトではありません）")
    collections = [(name, obj) for name, obj in objects.items()
                   if isinstance(obj, dict) and obj.get("type") == "GeometryCollection"]
    if len(collections) != 1:
        raise TopologyError(f"GeometryCollection がちょうど1つ必要です（{len(collections)}個）")
    return collections[0]
