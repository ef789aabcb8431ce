"""Reading the municipality and prefecture TopoJSON files (from a directory or the pinned upstream download).

Credit (shown on every map): 「国土数値情報（行政区域データ）」（国土交通省）を加工して作成.
Upstream: smartnews-smri/japan-topography, which simplified MLIT's N03 (edition N03-21_210101, 2021-01-01).
"""

import hashlib
import json
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .models import Municipality, Prefecture
from .topology import (
    TopologyError,
    decode_arcs,
    geodesic_area_km2,
    geometry_to_geojson,
    shared_arc_pairs,
    single_object,
)

CREDIT = "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成"
UPSTREAM_REPOSITORY = "smartnews-smri/japan-topography"
UPSTREAM_COMMIT = "b403e71eb97f1fdf32f63d16bd485129f703855e"
MUNICIPALITIES_FILE = "municipalities.topojson"
PREFECTURES_FILE = "prefectures.topojson"


@dataclass(frozen=True)
class PinnedFile:
    local_name: str
    upstream_path: str
    size: int
    sha256: str

    @property
    def url(self) -> str:
        return f"https://raw.githubusercontent.com/{UPSTREAM_REPOSITORY}/{UPSTREAM_COMMIT}/{self.upstream_path}"


# From shared/data/boundaries/README.md (byte-for-byte copies of the upstream files at the pinned commit).
PINNED = {
    "municipalities": PinnedFile(
        MUNICIPALITIES_FILE, "data/municipality/topojson/s0010/N03-21_210101_designated_city.json", 1_512_225,
        "5dc58fbe979c68c4af59b17255c62df580a93c434b354f867971537dceab3d33",
    ),
    "prefectures": PinnedFile(
        PREFECTURES_FILE, "data/municipality/topojson/s0010/prefectures.json", 455_889,
        "bf8dca7c8aa81445f7041258205d119f46262329e4061e8c15bcc6f14a7b8792",
    ),
}
COORDINATE_PRECISION = 5  # ~1 m; the source is simplified far beyond that


class BoundaryError(Exception):
    """The boundary files cannot be used; the message says which and why (Japanese)."""


# A boundary file is read whole (its geometries are needed at once): about 1.5 MB upstream, so a file many times that
# is not one, and is refused before it is read.
MAX_BOUNDARY_BYTES = 64 * 1024 * 1024


def fetch_url(url: str, timeout: float = 60, limit: int = MAX_BOUNDARY_BYTES) -> bytes:
    """GET url (kept separate so tests can replace it), at most `limit` bytes (one more says it is too large)."""
    request = urllib.request.Request(url, headers={"User-Agent": "chiiki-load-boundaries"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (fixed https URL)
        return response.read(limit + 1)


def download() -> dict[str, tuple[bytes, str]]:
    """Download both pinned files and verify size and sha256 before anything is used."""
    files = {}
    for name, pinned in PINNED.items():
        try:
            data = fetch_url(pinned.url)
        except Exception as exc:
            raise BoundaryError(f"ダウンロードできませんでした: {pinned.url}（{exc}）") from None
        digest = hashlib.sha256(data).hexdigest()
        if len(data) != pinned.size or digest != pinned.sha256:
            raise BoundaryError(
                f"ダウンロードしたファイルが固定版と一致しません: {pinned.url}\n"
                f"  期待: {pinned.size:,}バイト sha256 {pinned.sha256}\n"
                f"  実際: {len(data):,}バイト sha256 {digest}\n何も変更していません。")
        files[name] = (data, pinned.url)
    return files


def read_directory(path: Path) -> dict[str, tuple[bytes, str]]:
    files = {}
    for name, pinned in PINNED.items():
        file = Path(path) / pinned.local_name
        try:
            if file.stat().st_size > MAX_BOUNDARY_BYTES:
                raise BoundaryError(f"境界データのファイルが大きすぎます: {file}（{file.stat().st_size:,}バイト、"
                                    f"上限 {MAX_BOUNDARY_BYTES:,}バイト）")
            files[name] = (file.read_bytes(), str(file))
        except FileNotFoundError:
            raise BoundaryError(f"境界データのファイルがありません: {file}") from None
        except OSError as exc:  # a directory in its place, no permission, a name the OS refuses
            raise BoundaryError(f"境界データのファイルを読めません: {file}（{exc.strerror}）") from None
    return files


@dataclass
class LoadedBoundaries:
    geometries: dict[str, dict]  # municipality code → GeoJSON geometry
    areas_km2: dict[str, float]
    neighbour_pairs: set[tuple[str, str]]
    unmatched: list[str]  # descriptions of geometries without a municipality
    files: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # name → (served text, sha256, source)
    verified: dict[str, bool] = field(default_factory=dict)  # name → equals the pinned upstream file


def _parse_json(data: bytes, source: str) -> dict:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BoundaryError(f"JSONとして読めません: {source}（{exc}）") from None


def _damaged(source: str, detail: str) -> BoundaryError:
    return BoundaryError(f"{source}: TopoJSON の構造が正しくありません（{detail}）")


def _geometries(collection: dict, source: str) -> list[dict]:
    geometries = collection.get("geometries", [])
    if not isinstance(geometries, list) or not all(isinstance(g, dict) for g in geometries):
        raise _damaged(source, "geometries が図形の並びではありません")
    return geometries


def _properties(geometry: dict) -> dict:
    properties = geometry.get("properties")
    return properties if isinstance(properties, dict) else {}


def _served(topology: dict, object_name: str, geometries: list[dict]) -> str:
    served = {k: v for k, v in topology.items() if k != "objects"}
    served["objects"] = {object_name: {"type": "GeometryCollection", "geometries": geometries}}
    return json.dumps(served, ensure_ascii=False, separators=(",", ":"))


def parse(files: dict[str, tuple[bytes, str]]) -> LoadedBoundaries:
    """Match geometries to the register and derive everything load_boundaries stores."""
    municipality_data, municipality_source = files["municipalities"]
    prefecture_data, prefecture_source = files["prefectures"]
    topology = _parse_json(municipality_data, municipality_source)
    try:
        object_name, collection = single_object(topology)
        arcs = decode_arcs(topology, precision=COORDINATE_PRECISION)
    except TopologyError as exc:
        raise BoundaryError(f"{municipality_source}: {exc}") from None
    register = {code[:5]: (code, name, pref) for code, name, pref in
                Municipality.objects.values_list("code", "name", "prefecture_id")}
    if not register:
        raise BoundaryError("団体が登録されていません。先に `python manage.py load_reference` を実行してください。")
    matched: dict[str, dict] = {}
    geojson: dict[str, dict] = {}
    served_geometries, unmatched = [], []
    for geometry in _geometries(collection, municipality_source):
        properties = _properties(geometry)
        code5 = properties.get("N03_007")
        entry = register.get(code5) if code5 and isinstance(code5, str) else None
        if entry is None or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            label = properties.get("N03_004") or properties.get("N03_003") or "所属未定地"
            unmatched.append(f"{properties.get('N03_001') or ''}{label}（{code5 or 'コードなし'}）")
            continue
        code, name, prefecture = entry
        if code in matched:
            raise BoundaryError(f"{municipality_source}: 団体コード {code5} の図形が複数あります")
        # Converted here, inside parse(), so a damaged geometry refuses the whole load before anything is stored.
        try:
            geojson[code] = geometry_to_geojson(geometry, arcs)
        except TopologyError as exc:
            raise _damaged(municipality_source, f"N03_007={code5} の {exc}") from None
        matched[code] = geometry
        served_geometries.append({"type": geometry["type"], "arcs": geometry["arcs"],
                                  "properties": {"code": code, "name": name, "prefecture": prefecture}})
    loaded = LoadedBoundaries(
        geometries=geojson,
        areas_km2={code: geodesic_area_km2(g) for code, g in geojson.items()},
        neighbour_pairs=shared_arc_pairs(matched),
        unmatched=unmatched,
    )
    municipalities_text = _served(topology, "municipalities", served_geometries)

    prefecture_topology = _parse_json(prefecture_data, prefecture_source)
    try:
        prefecture_object_name, prefecture_collection = single_object(prefecture_topology)
        prefecture_arcs = decode_arcs(prefecture_topology)
    except TopologyError as exc:
        raise BoundaryError(f"{prefecture_source}: {exc}") from None
    by_name = dict(Prefecture.objects.values_list("name", "code"))
    prefecture_geometries = []
    for geometry in _geometries(prefecture_collection, prefecture_source):
        name = _properties(geometry).get("N03_001")
        if not isinstance(name, str) or name not in by_name:
            loaded.unmatched.append(f"都道府県「{name}」")
            continue
        # Only checked (the map draws the served file): a broken polygon must not reach the browser.
        try:
            geometry_to_geojson(geometry, prefecture_arcs)
        except TopologyError as exc:
            raise _damaged(prefecture_source, f"都道府県「{name}」の {exc}") from None
        if "arcs" not in geometry:
            raise _damaged(prefecture_source, f"都道府県「{name}」の arcs がありません")
        prefecture_geometries.append({"type": geometry["type"], "arcs": geometry["arcs"],
                                      "properties": {"code": by_name[name], "name": name}})
    prefectures_text = _served(prefecture_topology, "prefectures", prefecture_geometries)

    for name, text, source, raw in (
        ("municipalities", municipalities_text, municipality_source, municipality_data),
        ("prefectures", prefectures_text, prefecture_source, prefecture_data),
    ):
        raw_digest = hashlib.sha256(raw).hexdigest()
        loaded.verified[name] = raw_digest == PINNED[name].sha256
        served_digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        loaded.files[name] = (text, served_digest, f"{source} (sha256 {raw_digest[:12]}…)")
    return loaded
