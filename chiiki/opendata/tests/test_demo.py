"""The demo catalog: valid and invalid standard datasets, one 庁内限定, marked デモ, idempotent."""

from chiiki.opendata import demo
from chiiki.opendata.models import Conformance, Dataset, UseCase
from chiiki.regions.models import Municipality, Prefecture


def _nagano(register):
    pref = Prefecture.objects.create(code="20", lg_code="200000", name="長野県", kana="ナガノケン")
    for code, name, kind, lat, lng in (("202011", "長野市", "core_city", 36.648, 138.194),
                                       ("202151", "塩尻市", "city", 36.115, 137.953),
                                       ("204072", "阿智村", "village", 35.443, 137.746)):
        Municipality.objects.create(code=code, name=name, kana=name, prefecture=pref, kind=kind, lat=lat, lng=lng)


def test_demo_catalog(register, files_dir, client):
    assert "作成しませんでした" in demo.load()
    _nagano(register)
    assert "9件を作成" in demo.load()
    assert "0件を作成" in demo.load()  # idempotent
    conformance = dict(Dataset.objects.exclude(standard_type="").values_list("name", "conformance"))
    assert conformance == {
        "demo-nagano-aed": Conformance.CONFORMING, "demo-nagano-evacuation": Conformance.CONFORMING,
        "demo-nagano-facilities": Conformance.NEEDS_FIX, "demo-shiojiri-tourism": Conformance.CONFORMING,
        "demo-shiojiri-childcare": Conformance.NEEDS_FIX, "demo-achi-toilets": Conformance.CONFORMING}
    assert Dataset.objects.filter(is_demo=False).count() == 0
    assert list(Dataset.objects.filter(visibility="internal").values_list("name", flat=True)) == [
        "demo-nagano-inspections"]
    assert UseCase.objects.get().status == "approved"
    page = client.get("/opendata/dataset/demo-nagano-facilities/").content.decode()
    assert "要修正" in page and "デモ" in page and "検査数字" in page
    assert client.get("/opendata/dataset/demo-nagano-inspections/").status_code == 404
