import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from chiiki.core.models import ChangeRecord
from chiiki.regions import boundaries
from chiiki.regions.actions import COMPUTED_AREA_SOURCE
from chiiki.regions.models import BoundaryFile, Municipality
from chiiki.regions.topology import decode_arcs, geodesic_area_km2

from . import topo_fixture

CHIYODA, HACHIOJI, AOGASHIMA = "131016", "132012", "134023"


def neighbour_codes(code):
    return sorted(Municipality.objects.get(code=code).neighbours.values_list("code", flat=True))


@pytest.fixture
def boundary_dir(tmp_path):
    directory = tmp_path / "boundaries"
    topo_fixture.write(directory)
    return directory


def load(path, *args):
    out = StringIO()
    call_command("load_boundaries", str(path), *args, stdout=out)
    return out.getvalue()


def test_delta_decoding_applies_the_transform():
    arcs = decode_arcs(topo_fixture.municipalities_topology())
    assert arcs[1] == [(139.1, 35.1), (139.0, 35.1), (139.0, 35.0), (139.1, 35.0)]
    assert arcs[5][-1] == (139.2, 35.1)


def test_neighbours_come_from_shared_arcs(register, boundary_dir):
    output = load(boundary_dir)
    assert neighbour_codes(CHIYODA) == [HACHIOJI]
    assert neighbour_codes(HACHIOJI) == [CHIYODA, AOGASHIMA]  # symmetric
    assert neighbour_codes(AOGASHIMA) == [HACHIOJI]
    # The register fixture's hand-made 札幌–松前 pair is not in the file: the relation is replaced.
    assert neighbour_codes("011002") == []
    assert "市区町村3件に対応" in output
    assert "隣接ペア2組" in output
    # The notice is printed once, in one short line; the names come with -v 2.
    assert output.count("対応する団体のない図形") == 1 and "対応する団体のない図形2件は読み飛ばしました" in output
    assert "一覧は -v 2" in output
    verbose = StringIO()
    call_command("load_boundaries", str(boundary_dir), verbosity=2, stdout=verbose)
    assert "所属未定地" in verbose.getvalue() and "色丹村" in verbose.getvalue()


def test_geometry_and_geodesic_area_are_stored(register, boundary_dir):
    load(boundary_dir)
    chiyoda = Municipality.objects.get(code=CHIYODA)
    assert chiyoda.boundary["type"] == "Polygon"
    ring = chiyoda.boundary["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5
    expected = topo_fixture.square_area_km2(35.0, 35.1, 0.1)
    assert 90 < expected < 110
    assert float(chiyoda.area_km2) == pytest.approx(expected, abs=0.01)
    assert chiyoda.area_source == COMPUTED_AREA_SOURCE
    assert geodesic_area_km2(chiyoda.boundary) == pytest.approx(expected, rel=1e-9)
    # No geometry in the file → area stays unknown (nothing invented).
    assert Municipality.objects.get(code="322016").area_km2 is None


def test_area_with_a_hole_subtracts_it():
    outer = [[139.0, 35.0], [139.2, 35.0], [139.2, 35.2], [139.0, 35.2], [139.0, 35.0]]
    hole = [[139.05, 35.05], [139.05, 35.15], [139.15, 35.15], [139.15, 35.05], [139.05, 35.05]]
    full = geodesic_area_km2({"type": "Polygon", "coordinates": [outer]})
    holed = geodesic_area_km2({"type": "Polygon", "coordinates": [outer, hole]})
    assert holed == pytest.approx(full - topo_fixture.square_area_km2(35.05, 35.15, 0.1), rel=1e-9)


def test_official_area_is_never_overwritten(register, boundary_dir):
    Municipality.objects.filter(code=CHIYODA).update(area_km2=Decimal("11.66"), area_source="国土地理院（令和6年）")
    load(boundary_dir)
    chiyoda = Municipality.objects.get(code=CHIYODA)
    assert chiyoda.area_km2 == Decimal("11.66") and chiyoda.area_source == "国土地理院（令和6年）"


def test_served_topojson_has_rewritten_properties(register, boundary_dir, client):
    load(boundary_dir)
    response = client.get("/regions/boundaries/municipalities.topojson")
    assert response.status_code == 200
    topology = json.loads(response.content)
    geometries = topology["objects"]["municipalities"]["geometries"]
    assert [g["properties"] for g in geometries] == [
        {"code": CHIYODA, "name": "千代田区", "prefecture": "13"},
        {"code": HACHIOJI, "name": "八王子市", "prefecture": "13"},
        {"code": AOGASHIMA, "name": "青ヶ島村", "prefecture": "13"},
    ]
    assert topology["transform"]["scale"] == [topo_fixture.SCALE, topo_fixture.SCALE]
    prefectures = json.loads(client.get("/regions/boundaries/prefectures.topojson").content)
    assert prefectures["objects"]["prefectures"]["geometries"][0]["properties"] == {"code": "13", "name": "東京都"}


def test_boundary_endpoint_caching_and_missing(register, boundary_dir, client):
    missing = client.get("/regions/boundaries/municipalities.topojson")
    assert missing.status_code == 404 and "detail" in missing.json()
    load(boundary_dir)
    first = client.get("/regions/boundaries/municipalities.topojson")
    etag = first["ETag"]
    assert etag and "public" in first["Cache-Control"]
    again = client.get("/regions/boundaries/municipalities.topojson", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    zipped = client.get("/regions/boundaries/municipalities.topojson", HTTP_ACCEPT_ENCODING="gzip")
    import gzip

    assert zipped["Content-Encoding"] == "gzip" and gzip.decompress(zipped.content) == first.content
    assert client.get("/regions/boundaries/other.topojson").status_code == 404


def test_load_is_idempotent_and_records_history(register, boundary_dir):
    load(boundary_dir)
    records = ChangeRecord.objects.filter(model="regions.municipality").count()
    assert records == 5  # 3 with geometry + 札幌・松前 losing their fixture neighbour
    record = ChangeRecord.objects.filter(object_id=CHIYODA).get()
    assert record.after["neighbours"] == [HACHIOJI] and record.source == "command"
    assert record.actor_label == "システム"
    second = load(boundary_dir)
    assert "（変更なし）" in second
    assert ChangeRecord.objects.filter(model="regions.municipality").count() == records
    assert BoundaryFile.objects.count() == 2


def test_missing_directory_or_register_fails_clearly(db, tmp_path, boundary_dir):
    with pytest.raises(CommandError, match="ファイルがありません"):
        load(tmp_path / "nowhere")
    with pytest.raises(CommandError, match="load_reference"):
        load(boundary_dir)


def test_broken_file_fails_and_writes_nothing(register, boundary_dir):
    (boundary_dir / "municipalities.topojson").write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="JSONとして読めません"):
        load(boundary_dir)
    assert BoundaryFile.objects.count() == 0


def _fake_upstream(monkeypatch, files: dict[str, bytes], served: dict[str, bytes]):
    """Pin the fixture files as the 'upstream' and serve `served` from a fake fetch."""
    pinned = {
        "municipalities": boundaries.PinnedFile("municipalities.topojson", "data/m.json",
                                                len(files["municipalities.topojson"]),
                                                topo_fixture.sha256(files["municipalities.topojson"])),
        "prefectures": boundaries.PinnedFile("prefectures.topojson", "data/p.json",
                                             len(files["prefectures.topojson"]),
                                             topo_fixture.sha256(files["prefectures.topojson"])),
    }
    monkeypatch.setattr(boundaries, "PINNED", pinned)
    fetched = []

    def fake_fetch(url, timeout=60):
        fetched.append(url)
        return served["municipalities.topojson" if url.endswith("m.json") else "prefectures.topojson"]

    monkeypatch.setattr(boundaries, "fetch_url", fake_fetch)
    return fetched


def test_download_verifies_and_loads(register, tmp_path, monkeypatch):
    files = topo_fixture.write(tmp_path / "src")
    fetched = _fake_upstream(monkeypatch, files, files)
    from io import StringIO

    out = StringIO()
    call_command("load_boundaries", "--download", stdout=out)
    assert fetched == [
        f"https://raw.githubusercontent.com/smartnews-smri/japan-topography/{boundaries.UPSTREAM_COMMIT}/data/m.json",
        f"https://raw.githubusercontent.com/smartnews-smri/japan-topography/{boundaries.UPSTREAM_COMMIT}/data/p.json",
    ]
    assert neighbour_codes(CHIYODA) == [HACHIOJI]
    assert "固定版と異なる" not in out.getvalue()


def test_download_hash_mismatch_writes_nothing(register, tmp_path, monkeypatch):
    files = topo_fixture.write(tmp_path / "src")
    tampered = dict(files)
    tampered["municipalities.topojson"] = files["municipalities.topojson"].replace(b"13101", b"13102")
    _fake_upstream(monkeypatch, files, tampered)
    with pytest.raises(CommandError, match="固定版と一致しません"):
        call_command("load_boundaries", "--download")
    assert BoundaryFile.objects.count() == 0
    assert neighbour_codes("011002") == ["013315"]  # untouched
    assert not Municipality.objects.exclude(boundary=None).exists()


def test_pinned_urls_point_at_the_upstream_commit():
    url = boundaries.PINNED["municipalities"].url
    assert url == ("https://raw.githubusercontent.com/smartnews-smri/japan-topography/"
                   "b403e71eb97f1fdf32f63d16bd485129f703855e/"
                   "data/municipality/topojson/s0010/N03-21_210101_designated_city.json")
    assert boundaries.PINNED["prefectures"].sha256.startswith("bf8dca7c")


def test_user_option_checks_permission(users, boundary_dir):
    with pytest.raises(CommandError, match="権限がありません"):
        load(boundary_dir, "--user", "tokyo-pref")
    load(boundary_dir, "--user", "admin")
    assert ChangeRecord.objects.filter(object_id=CHIYODA).get().actor_label == "admin"


SHARED = Path(settings.BOUNDARIES_DIR)


@pytest.mark.skipif(not (SHARED / "municipalities.topojson").exists(), reason="shared boundary files are absent")
def test_real_shared_files(db):
    call_command("load_reference", "--no-progress")
    output = load(SHARED)
    assert "市区町村1741件に対応" in output
    assert "対応する団体のない図形10件" in output  # 6 Northern Territories villages + 4 所属未定地
    assert output.count("対応する団体のない図形") == 1
    assert "固定版と異なる" not in output
    names = sorted(Municipality.objects.get(code=CHIYODA).neighbours.values_list("name", flat=True))
    assert names == sorted(["中央区", "港区", "新宿区", "文京区", "台東区"])
    assert Municipality.objects.filter(boundary=None).count() == 0
    sapporo = Municipality.objects.get(code="011002")
    assert 1100 < float(sapporo.area_km2) < 1140  # official 1,121.26 km²
    through = Municipality.neighbours.through.objects
    assert through.count() % 2 == 0
    # Islands without a land border have no neighbours; 八丈町 is one.
    assert Municipality.objects.get(code="134015").neighbours.count() == 0
