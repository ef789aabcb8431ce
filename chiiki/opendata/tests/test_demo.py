"""The demo catalog: valid and invalid standard datasets, one 庁内限定, marked デモ, idempotent."""

from chiiki.core.tabular import read_table
from chiiki.opendata import demo
from chiiki.opendata.models import Conformance, Dataset, Usage, UsageKind, UseCase
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


def _usage_table(client, name) -> dict[str, tuple[str, ...]]:
    """月 → (ページ閲覧, ダウンロード, API, 合計) as the usage page's CSV gives them."""
    table = read_table(client.get(f"/opendata/dataset/{name}/usage?format=csv").content, "u.csv")
    return {r.get("月"): (r.get("ページ閲覧"), r.get("ダウンロード"), r.get("API"), r.get("合計")) for r in table.rows}


def test_demo_usage_for_every_municipalitys_datasets(register, files_dir, client_for, users):
    """Every demo municipality's datasets (and the prefecture's) have months of use on their usage page, counted
    through the site's counting actions, marked デモ; loading the demo again adds nothing."""
    _nagano(register)
    demo.load()
    admin = client_for(users["admin"])
    names = set(Dataset.objects.filter(is_demo=True).values_list("name", flat=True))
    assert len(names) == 9
    for code in ("202011", "202151", "204072"):
        assert Usage.objects.filter(dataset__municipality_id=code).values("dataset").distinct().count() == \
            Dataset.objects.filter(municipality_id=code).count()
    for name in ("demo-shiojiri-tourism", "demo-shiojiri-childcare", "demo-achi-toilets", "demo-achi-starry-sky"):
        page = admin.get(f"/opendata/dataset/{name}/usage").content.decode()
        assert "まだ利用の記録はありません。" not in page and "2026年11月" in page and "2026年9月" in page
        assert 'data-testid="demo-usage"' in page
    tourism = {"2026-09": ("52", "7", "4", "63"), "2026-10": ("66", "10", "8", "84"),
               "2026-11": ("95", "16", "12", "123")}
    assert _usage_table(admin, "demo-shiojiri-tourism") == tourism
    downloads = dict(Usage.objects.filter(kind=UsageKind.DOWNLOAD, dataset__name="demo-achi-toilets")
                     .values_list("month", "resource__name"))
    assert set(downloads.values()) == {"公衆トイレ一覧"}  # per file, as the resource page's download counts them
    before = {name: _usage_table(admin, name) for name in names}
    rows = Usage.objects.count()
    assert "0件を作成" in demo.load()
    assert Usage.objects.count() == rows
    assert {name: _usage_table(admin, name) for name in names} == before
    assert UseCase.objects.count() == 1
    # A catalog loaded before the demo had usage for most datasets: loading again fills in those without any.
    Usage.objects.filter(dataset__name="demo-achi-toilets").delete()
    demo.load()
    assert {name: _usage_table(admin, name) for name in names} == before
