"""KPI pages, the KPI API, KPI editing (permissions, validation, versions) and loading data/kpis.csv."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from chiiki.core.models import ChangeRecord

from ..models import KPI
from .conftest import YEAR, bearer, make_kpi, seed

pytestmark = pytest.mark.django_db

ROWS = [("131016", "disaster", YEAR - 2, "implemented"), ("132012", "education", YEAR - 1, "self_sustaining"),
        ("011002", "disaster", YEAR, "implemented"), ("322016", "health", YEAR, "piloting")]


def without_app(monkeypatch, key):
    """The measure's app as if not installed (every capability app is installed now)."""
    from .. import measures

    monkeypatch.setattr(measures.get(key), "requires", "chiiki.not_installed")


def test_kpi_list_links_each_value_to_its_rows_and_exports(client, register, monkeypatch):
    without_app(monkeypatch, "funding_crowdfunding_raised")
    seed(ROWS)
    make_kpi("K-ANY", target="6")
    make_kpi("K-CF", measure="funding_crowdfunding_raised", unit="円", target="1000000")
    page = client.get("/pdca/").content.decode()
    assert 'data-testid="kpi-value-K-ANY">3</a>' in page
    assert 'data-testid="kpi-unavailable-K-CF">この機能はまだありません' in page
    csv = client.get("/pdca/?format=csv").content.decode("utf-8-sig").splitlines()
    assert csv[0].startswith("KPI ID,KPI名,対象,算定方法,最新年度,最新値")
    rows = {line.split(",")[0]: line.split(",") for line in csv[1:]}
    assert rows["K-ANY"][4:6] == [str(YEAR), "3"] and rows["K-CF"][5] == "この機能はまだありません"


def test_kpi_page_shows_years_formula_and_breakdowns(client, register):
    seed(ROWS)
    kpi = make_kpi("K-ANY", target="6", target_year=YEAR + 2)
    response = client.get(f"/pdca/kpis/{kpi.code}/")
    page = response.content.decode()
    assert response.status_code == 200
    # 1, 2, 3 municipalities in the last three 年度: +1 a year → 5 in the target 年度, under 90 % of 6
    assert "見込み値 = 最新の実績 + 傾き b" in page and "未達見込み" in page
    assert f"?fiscal_year={YEAR}&amp;implemented_any=1&amp;stage=implemented&amp;stage=self_sustaining" in page
    assert 'data-testid="kpi-prefectures"' in page and 'data-testid="kpi-sectors"' in page
    older = client.get(f"/pdca/kpis/{kpi.code}/?fiscal_year={YEAR - 2}").content.decode()
    assert f"{YEAR - 2}年度の内訳" in older
    csv = client.get(f"/pdca/kpis/{kpi.code}/?format=csv").content.decode("utf-8-sig").splitlines()
    assert csv[-1].split(",")[:2] == [str(YEAR), "3"]
    assert client.get("/pdca/kpis/NO-SUCH/").status_code == 404


def test_unavailable_kpi_page_says_so(client, register, monkeypatch):
    without_app(monkeypatch, "plans_published_multiyear")
    kpi = make_kpi("K-PLANS", measure="plans_published_multiyear", unit="件")
    page = client.get(f"/pdca/kpis/{kpi.code}/").content.decode()
    assert 'data-testid="kpi-unavailable">この機能はまだありません' in page


def test_kpi_api_list_and_detail(client, register):
    seed(ROWS)
    make_kpi("K-ANY", target="6")
    make_kpi("K-TOKYO", measure="progress_implemented_share", unit="%", target="50", prefecture="13")
    body = client.get("/api/v1/kpis").json()
    items = {k["code"]: k for k in body["items"]}
    assert body["count"] == 2
    assert items["K-ANY"]["latest_value"] == 3 and items["K-ANY"]["available"] is True
    assert items["K-TOKYO"]["latest_value"] == 66.7  # 千代田区 and 八王子市 of 3 Tokyo municipalities
    assert [k["code"] for k in client.get("/api/v1/kpis?prefecture=national").json()["items"]] == ["K-ANY"]
    detail = client.get(f"/api/v1/kpis/K-ANY?fiscal_year={YEAR - 1}").json()
    assert detail["breakdown_fiscal_year"] == YEAR - 1
    prefs = {r["code"]: r for r in detail["by_prefecture"]}
    assert prefs["13"]["implemented"] == 2 and prefs["01"]["implemented"] == 0
    assert detail["outlook"]["label"] == "未達見込み" and detail["outlook"]["slope"] == 1.0
    assert client.get("/api/v1/kpis/NOPE").status_code == 404


def test_kpi_editing_by_role(client_for, users, register):
    admin, tokyo, hachioji = users["admin"], users["tokyo"], users["hachioji"]
    data = {"code": "TOKYO-1", "name": "都内の実装団体数", "unit": "団体", "measure": "progress_implemented_any",
            "target_value": "3", "target_fiscal_year": str(YEAR + 1), "prefecture": "13", "order": "0", "version": "0"}
    assert client_for(hachioji).get("/pdca/kpis/new").status_code == 403
    assert client_for(tokyo).post("/pdca/kpis/new", {**data, "prefecture": ""}).status_code == 403  # national
    response = client_for(tokyo).post("/pdca/kpis/new", data)
    assert response.status_code == 302 and response["Location"] == "/pdca/kpis/TOKYO-1/"
    kpi = KPI.objects.get(pk="TOKYO-1")
    assert (kpi.prefecture_id, kpi.target_value, kpi.version) == ("13", Decimal("3.00"), 1)
    bad = client_for(admin).post("/pdca/kpis/new", {**data, "code": "X-2", "target_value": "abc",
                                                    "measure": "progress_implemented_sectors"})
    assert bad.status_code == 422
    assert "目標値は数値で入力してください" in bad.content.decode()
    edit = {**data, "target_value": "5", "version": "1"}
    edit.pop("code")
    assert client_for(hachioji).post("/pdca/kpis/TOKYO-1/edit", edit).status_code == 403
    assert client_for(tokyo).post("/pdca/kpis/TOKYO-1/edit", edit).status_code == 302
    stale = client_for(admin).post("/pdca/kpis/TOKYO-1/edit", {**edit, "target_value": "9"})
    assert stale.status_code == 409 and "ほかの人が先に保存しました" in stale.content.decode()
    kpi.refresh_from_db()
    assert (kpi.target_value, kpi.version) == (Decimal("5.00"), 2)
    change = ChangeRecord.objects.filter(model="pdca.kpi", object_id="TOKYO-1").order_by("-pk").first()
    assert change.before["target_value"] == "3.00" and change.after["target_value"] == "5.00"
    assert change.prefecture_id == "13"


def test_sector_rules_of_measures(register):
    from chiiki.core.errors import Invalid

    with pytest.raises(Invalid, match="対象分野を1つ以上"):
        make_kpi("K-1", measure="progress_implemented_sectors")
    with pytest.raises(Invalid, match="対象分野を指定できません"):
        make_kpi("K-2", sectors=["disaster"])
    with pytest.raises(Invalid, match="分野コードが正しくありません"):
        make_kpi("K-3", measure="progress_implemented_sectors", sectors=["nope"])


def test_load_reference_makes_the_national_kpis_rows(register):
    out = StringIO()
    call_command("load_reference", "--no-progress", stdout=out)
    assert "KPI: 2件を確認、新規2件・更新0件" in out.getvalue()
    digiden = KPI.objects.get(pk="DIGIDEN-1500")
    assert (digiden.target_value, digiden.target_fiscal_year, digiden.baseline_value, digiden.baseline_date) == (
        Decimal("1500.00"), 2027, Decimal("1161.00"), "2023-03")
    assert digiden.measure == "progress_implemented_any" and digiden.prefecture_id is None
    KPI.objects.filter(pk="IOT-800").update(name="変更した名前")
    out = StringIO()
    call_command("load_reference", "--no-progress", stdout=out)
    assert "維持2件" in out.getvalue() and KPI.objects.get(pk="IOT-800").name == "変更した名前"
    call_command("load_reference", "--no-progress", "--force", stdout=StringIO())
    assert KPI.objects.get(pk="IOT-800").name == "IoTを活用した取組を創出した地方公共団体数"


def test_review_api_needs_a_token_and_a_managing_role(client, users, register):
    make_kpi("K-ANY")
    assert client.post("/api/v1/reviews", {"fiscal_year": str(YEAR)}, content_type="application/json").status_code == 401
    response = client.post("/api/v1/reviews", {"fiscal_year": str(YEAR)}, content_type="application/json",
                           **bearer(users["hachioji"]))
    assert response.status_code == 403


def test_kpi_api_writes_by_role(client, users, register):
    body = {"code": "TOKYO-API", "name": "都内の実装団体数", "unit": "団体", "target_value": 3,
            "target_fiscal_year": str(YEAR + 1), "measure": "progress_implemented_any", "prefecture": "13"}
    assert client.post("/api/v1/kpis", body, content_type="application/json").status_code == 401
    assert client.post("/api/v1/kpis", body, content_type="application/json",
                       **bearer(users["hachioji"])).status_code == 403
    assert client.post("/api/v1/kpis", {**body, "prefecture": None}, content_type="application/json",
                       **bearer(users["tokyo"])).status_code == 403
    created = client.post("/api/v1/kpis", body, content_type="application/json", **bearer(users["tokyo"]))
    assert created.status_code == 201 and created.json()["version"] == 1
    bad = client.post("/api/v1/kpis", {**body, "code": "X", "measure": "nope", "target_fiscal_year": "来年"},
                      content_type="application/json", **bearer(users["admin"]))
    assert bad.status_code == 422 and set(bad.json()["detail"]) == {"measure", "target_fiscal_year"}
    update = {k: v for k, v in body.items() if k != "code"} | {"target_value": 4, "version": 1}
    done = client.put("/api/v1/kpis/TOKYO-API", update, content_type="application/json", **bearer(users["tokyo"]))
    assert done.status_code == 200 and done.json()["target_value"] == 4 and done.json()["version"] == 2
    assert client.put("/api/v1/kpis/TOKYO-API", update, content_type="application/json",
                      **bearer(users["admin"])).status_code == 409
    assert client.put("/api/v1/kpis/NOPE", update, content_type="application/json",
                      **bearer(users["admin"])).status_code == 404


def test_kpi_edit_that_changes_nothing_keeps_version_and_history(register):
    """The shared edit sequence (chiiki.core.editing): no change → no save, no history; a missing version is
    refused before anything is read."""
    from chiiki.access import SYSTEM
    from chiiki.core.errors import Invalid

    from .. import actions

    kpi = make_kpi("K-SAME", target="10")
    data = {"name": kpi.name, "unit": kpi.unit, "target_value": "10", "target_fiscal_year": kpi.target_fiscal_year,
            "measure": kpi.measure, "sectors": [], "prefecture": None}
    before = ChangeRecord.objects.filter(model="pdca.kpi", object_id="K-SAME").count()
    same, changed = actions.save_kpi(SYSTEM, kpi, data, version=1)
    assert (changed, same.version) == (False, 1)
    assert ChangeRecord.objects.filter(model="pdca.kpi", object_id="K-SAME").count() == before
    with pytest.raises(Invalid) as missing:
        actions.save_kpi(SYSTEM, kpi, {**data, "target_value": "12"}, version=None)
    assert missing.value.problems[0][0] == "version"
    moved, changed = actions.save_kpi(SYSTEM, kpi, {**data, "target_value": "12"}, version="1")
    assert (changed, moved.version) == (True, 2)
    change = ChangeRecord.objects.filter(model="pdca.kpi", object_id="K-SAME").order_by("-pk").first()
    assert (change.before["version"], change.after["version"]) == (1, 2)
