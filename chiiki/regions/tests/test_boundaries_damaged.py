"""load_boundaries given a broken path or a damaged TopoJSON must refuse with a Japanese CommandError, writing nothing."""

import json

import pytest
from django.core.management import CommandError, call_command

from chiiki.core.models import ChangeRecord
from chiiki.regions.models import BoundaryFile, Municipality

from . import topo_fixture


def _write(directory, municipalities=None, prefectures=None):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "municipalities.topojson").write_text(
        json.dumps(municipalities or topo_fixture.municipalities_topology(), ensure_ascii=False), encoding="utf-8")
    (directory / "prefectures.topojson").write_text(
        json.dumps(prefectures or topo_fixture.prefectures_topology(), ensure_ascii=False), encoding="utf-8")
    return directory


def _assert_refused_without_writing(path, message):
    with pytest.raises(CommandError, match=message):
        call_command("load_boundaries", str(path))
    assert BoundaryFile.objects.count() == 0
    assert not Municipality.objects.exclude(boundary=None).exists()
    assert ChangeRecord.objects.count() == 0


def test_an_arc_index_beyond_the_arcs_is_refused_clearly(register, tmp_path):
    topology = topo_fixture.municipalities_topology()
    topology["arcs"] = topology["arcs"][:3]  # truncated: 八王子市 and 青ヶ島村 use arcs 3–5
    _assert_refused_without_writing(_write(tmp_path / "b", municipalities=topology),
                                    "municipalities.topojson: TopoJSON の構造が正しくありません（N03_007=13201 の arcs が存在しない弧 4 を参照しています")


def test_a_polygon_without_arcs_is_refused_clearly(register, tmp_path):
    topology = topo_fixture.municipalities_topology()
    del topology["objects"]["N03-21_210101"]["geometries"][0]["arcs"]
    _assert_refused_without_writing(_write(tmp_path / "b", municipalities=topology),
                                    "構造が正しくありません（N03_007=13101 の arcs がありません）")


def test_a_malformed_transform_is_refused_clearly(register, tmp_path):
    topology = topo_fixture.municipalities_topology()
    topology["transform"] = {"scale": [0.001]}
    _assert_refused_without_writing(_write(tmp_path / "b", municipalities=topology), "transform の scale と translate")


def test_a_prefecture_polygon_without_arcs_is_refused_clearly(register, tmp_path):
    prefectures = topo_fixture.prefectures_topology()
    del prefectures["objects"]["prefectures"]["geometries"][0]["arcs"]
    _assert_refused_without_writing(_write(tmp_path / "b", prefectures=prefectures),
                                    "prefectures.topojson: .*都道府県「東京都」の arcs がありません")


def test_a_file_given_instead_of_the_directory_is_refused_clearly(register, tmp_path):
    directory = tmp_path / "boundaries"
    topo_fixture.write(directory)
    _assert_refused_without_writing(directory / "municipalities.topojson", "境界データのディレクトリではありません")


def test_a_directory_where_the_file_should_be_is_refused_clearly(register, tmp_path):
    directory = tmp_path / "boundaries"
    (directory / "municipalities.topojson").mkdir(parents=True)
    (directory / "prefectures.topojson").mkdir()
    _assert_refused_without_writing(directory, "境界データのファイルを読めません: .*municipalities.topojson")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(register, tmp_path, monkeypatch):
    from chiiki.regions import boundaries

    directory = tmp_path / "boundaries"
    topo_fixture.write(directory)
    monkeypatch.setattr(boundaries, "MAX_BOUNDARY_BYTES", 100)
    monkeypatch.setattr(type(directory), "read_bytes", lambda self: pytest.fail(f"{self} was read"))
    with pytest.raises(CommandError, match="境界データのファイルが大きすぎます"):
        call_command("load_boundaries", str(directory))
    assert BoundaryFile.objects.count() == 0
