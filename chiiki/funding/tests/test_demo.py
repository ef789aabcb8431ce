"""Demo funding data: plans with and without flags, campaigns, marked デモ, idempotent."""

from pathlib import Path

import pytest
from django.conf import settings

from chiiki.funding import demo
from chiiki.funding.models import Campaign, ImplementationPlan
from chiiki.programs.reference import load_catalog
from chiiki.regions.models import Municipality, Prefecture
from chiiki.roadmap.reference import load as load_sectors

DATA_DIR = Path(settings.BASE_DIR) / "data"


@pytest.fixture
def nagano(db):
    pref = Prefecture.objects.create(code="20", lg_code="200000", name="長野県", kana="ナガノケン")
    for code, name, kind in (("202011", "長野市", "core_city"), ("202151", "塩尻市", "city"),
                             ("204072", "阿智村", "village")):
        Municipality.objects.create(code=code, prefecture=pref, name=name, kana="ア", kind=kind)
    load_sectors(data_dir=DATA_DIR, force=False, stdout=None, progress=False)
    load_catalog(data_dir=DATA_DIR)


def test_demo_plans_campaigns_and_flags(client, nagano):
    from chiiki.accounts.models import Role, User

    User.objects.create(username="demo-company", role=Role.COMPANY)
    summary = demo.load()
    assert summary == ("資金循環デモデータ: 実装計画3件（うち下書き1件）、クラウドファンディング2件、"
                       "企業版ふるさと納税の申出2件を作成")
    assert demo.load() == "資金循環デモデータ: 作成済みのため変更しませんでした"
    assert ImplementationPlan.objects.filter(is_demo=True).count() == 3
    items = {i["municipality"]: i for i in client.get("/api/v1/plans").json()["items"]}
    assert set(items) == {"202011", "202151"}  # the draft is not public
    assert items["202011"]["flags"] == []
    assert items["202151"]["flags"] == ["funding_cliff", "operator_undecided"]
    # Its one-year program ends next 年度 with little after it: the default national 財源の崖 list shows it.
    assert [c["title"] for c in client.get("/api/v1/funding/cliffs").json()] == ["【デモ】塩尻市 ぶどう畑のスマート農業"]
    page = client.get("/funding/campaigns/").content.decode()
    assert "デモ" in page and "1,379,000円" in page
    assert Campaign.objects.filter(is_demo=True).count() == 2
    projects = client.get("/api/v1/revitalisation-projects?prefecture=20").json()["items"]
    assert [(p["owner_name"], p["pledged"], p["received"]) for p in projects] == [
        ("長野県長野市", 5_000_000, 5_000_000), ("長野県阿智村", 1_000_000, 0)]


def test_demo_needs_the_reference_data(db):
    assert "先に load_reference を実行してください" in demo.load()
