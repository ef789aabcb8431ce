"""事例ライブラリ: editing by role (owner municipality, its prefecture, national admins), drafts, search with the
shared engine and facets, 似た事例 on other pages, import all or nothing, export that re-imports, API."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from chiiki.access import SYSTEM
from chiiki.core.models import ChangeRecord
from chiiki.programs.reference import load_catalog
from chiiki.progress.tests.conftest import xlsx_file
from chiiki.testing import filter_panel

from .. import actions
from ..imports import CASES
from ..models import Case

pytestmark = pytest.mark.django_db

PROGRAM = "MIC-KOUDO-MUSEN"


def make(code="132012", title="防災アプリの導入", **extra):
    data = {"municipality": code, "title": title, "summary": extra.pop("summary", "避難情報をアプリで配信"),
            "sectors": extra.pop("sectors", ["disaster"]), "status": extra.pop("status", "published"), **extra}
    case, _ = actions.save_case(SYSTEM, None, data, version=0)
    return case


def form(**extra):
    return {"municipality": "132012", "title": "見守りセンサー", "summary": "高齢者の見守り", "sectors": ["health"],
            "funding_kinds": ["crowdfunding"], "outcomes": "登録世帯|世帯|10|120|2025", "cost": "3,000,000",
            "status": "published", "version": "0", **extra}


def test_owner_municipality_prefecture_and_admin_edit(client_for, users, register):
    hachioji, tokyo, aogashima, admin = (client_for(users[r]) for r in ("hachioji", "tokyo", "aogashima", "admin"))
    assert aogashima.post("/cases/new", form()).status_code == 403  # another municipality's case
    assert client_for(users["advisor"]).get("/cases/new").status_code == 403
    response = hachioji.post("/cases/new", form())
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert case.outcomes == [{"indicator": "登録世帯", "unit": "世帯", "before": 10, "after": 120, "fiscal_year": 2025}]
    assert (case.cost, case.funding_kinds, case.version) == (3_000_000, ["crowdfunding"], 1)
    edit = f"/cases/{case.pk}/edit"
    assert aogashima.get(edit).status_code == 403
    assert tokyo.post(edit, form(title="見守りセンサー（改）", version="1")).status_code == 302
    stale = admin.post(edit, form(title="古い版から", version="1"))
    assert stale.status_code == 409 and "ほかの人が先に保存しました" in stale.content.decode()
    assert admin.post(edit, form(title="事務局の修正", version="2")).status_code == 302
    case.refresh_from_db()
    assert (case.title, case.version) == ("事務局の修正", 3)
    changes = ChangeRecord.objects.filter(model="cases.case", object_id=str(case.pk)).order_by("pk")
    assert [c.action for c in changes] == ["create", "update", "update"]
    assert changes[1].before["title"] == "見守りセンサー" and changes[1].municipality_id == "132012"


def test_validation_names_every_field_in_japanese(client_for, users, register):
    response = client_for(users["admin"]).post("/cases/new", form(
        municipality="99999", title="", sectors=[], outcomes="登録世帯|世帯|10", cost="-1", source_url="ftp://x",
        programs="NO-SUCH"))
    text = response.content.decode()
    assert response.status_code == 422
    for message in ("団体コード", "事例名を入力してください", "分野を1つ以上選んでください",
                    "成果は1行に「指標|単位|前|後|年度」の形で書いてください", "事業費は0以上の整数（円）です",
                    "出典URLは http:// か https:// で始まるURLです", "支援制度のIDが見つかりません: NO-SUCH"):
        assert message in text, message
    assert not Case.objects.exists()


def test_drafts_are_seen_only_by_their_editors(client_for, client, users, register):
    draft = make(title="下書きの事例", status="draft")
    assert client.get(f"/cases/{draft.pk}/").status_code == 404
    assert client_for(users["aogashima"]).get(f"/api/v1/cases/{draft.pk}").status_code == 404
    assert client_for(users["hachioji"]).get(f"/cases/{draft.pk}/").status_code == 200
    assert client_for(users["tokyo"]).get("/api/v1/cases").json()["count"] == 1
    assert client.get("/api/v1/cases").json()["count"] == 0
    assert "事例はまだ登録されていません" in client.get("/cases/").content.decode()


def test_search_with_short_words_facets_and_sort(client, register):
    make("132012", "防災アプリで避難情報を配信", funding_kinds=["corporate_furusato"], cost=5_000_000)
    make("325252", "島の観光案内をクラウドファンディングで", sectors=["tourism"], funding_kinds=["crowdfunding"],
         summary="観光客向けの多言語案内", cost=1_000_000)
    make("011002", "カーシェアリングで移動支援", sectors=["public_private"], sharing_economy=True,
         summary="公用車を住民に貸し出す", partners=["013315"])
    body = client.get("/api/v1/cases?q=防災").json()
    assert [c["title"] for c in body["items"]] == ["防災アプリで避難情報を配信"]
    assert client.get("/api/v1/cases?q=カーシェア").json()["count"] == 1
    both = client.get("/api/v1/cases?funding=crowdfunding,corporate_furusato&sort=cost").json()
    assert [c["cost"] for c in both["items"]] == [1_000_000, 5_000_000]
    hokkaido = client.get("/api/v1/cases?prefecture=01").json()
    assert hokkaido["count"] == 1 and hokkaido["items"][0]["partners"][0]["code"] == "013315"
    facets = {f["key"]: f["count"] for f in hokkaido["facets"]["prefecture"]}
    assert facets == {"01": 1, "13": 1, "32": 1}  # a facet counts with the other filters only
    assert client.get("/api/v1/cases?sharing=yes").json()["items"][0]["sharing_economy"] is True
    assert client.get("/api/v1/cases?sort=bogus").status_code == 422
    page = client.get("/cases/?sector=tourism").content.decode()
    assert 'data-testid="case-count">1<' in page and "島の観光案内" in page
    panel = filter_panel(page)  # the shared filter panel: checkboxes named like the query parameters
    assert ("tourism", "観光", True) in panel["boxes"]["sector"] and ("disaster", "防災", False) in panel["boxes"]["sector"]
    assert panel["form"] == [("q", ""), ("sector", "tourism")] and panel["summary"] == "絞り込み（1件選択中）"
    assert panel["counts"]["sector"]["disaster"] == ("1", "?sector=disaster")


def test_similar_cases_on_the_municipality_page_and_the_navigator(client, register):
    make("012025", "函館の防災事例", sectors=["disaster"])      # core city, another prefecture
    make("322016", "松江の防災事例", sectors=["disaster"])      # core city
    make("134023", "青ヶ島の観光事例", sectors=["tourism"])      # same prefecture as 八王子, other sector
    make("132012", "八王子自身の事例", sectors=["disaster"])     # never its own
    page = client.get("/progress/municipalities/132012/").content.decode()
    section = page[page.index("似た事例"):]
    assert "函館の防災事例" in section and "松江の防災事例" in section and "八王子自身の事例" not in section
    navigator = client.get("/programs/navigator/?municipality=132012&sector=tourism").content.decode()
    section = navigator[navigator.index("似た事例"):]
    assert "青ヶ島の観光事例" in section and "防災事例" not in section


def test_import_is_all_or_nothing_and_the_export_reimports(client_for, users, register):
    load_catalog(data_dir=Path(settings.BASE_DIR) / "data")
    header = ["団体コード", "事例名", "概要", "分野", "財源", "支援制度ID", "成果", "公開状況"]
    good = ["13201", "高度無線環境の整備", "光回線を整備", "教育;観光", "国の支援制度", PROGRAM, "加入世帯|世帯|0|300|R7", "公開"]
    bad = ["011002", "札幌の事例", "概要", "防災", "寄付", "", "", "公開"]
    result = CASES.run(users["tokyo"], xlsx_file([good, bad], header=",".join(header)), "cases.xlsx")
    problems = {(p.row, p.column) for p in result.problems}
    assert problems == {(3, "団体コード"), (3, "財源")}  # 札幌市 is not Tokyo's; 寄付 is no funding kind
    assert not Case.objects.exists()
    result = CASES.run(users["tokyo"], xlsx_file([good], header=",".join(header)), "cases.xlsx")
    assert result.committed and result.created == 1
    case = Case.objects.get()
    assert case.sectors == ["education", "tourism"] and case.outcomes[0]["fiscal_year"] == 2025
    assert list(case.programs.values_list("public_id", flat=True)) == [PROGRAM]
    exported = client_for(users["tokyo"]).get("/cases/?format=csv").content
    again = CASES.run(users["tokyo"], exported, "export.csv")
    assert again.committed and (again.created, again.updated, again.unchanged) == (0, 0, 1)
    edited = exported.decode("utf-8-sig").replace("光回線を整備", "光回線を全域に整備").encode("utf-8-sig")
    assert CASES.run(users["tokyo"], edited, "export.csv").updated == 1
    stale = CASES.run(users["tokyo"], edited, "export.csv")  # version 1 is no longer current
    assert not stale.ok and stale.problems[0].column == "版"
    # An ID no database integer holds names no case: the row is refused, not a 500.
    beyond = exported.decode("utf-8-sig").replace(f"\r\n{case.pk},", "\r\n" + "9" * 30 + ",", 1)
    assert beyond != exported.decode("utf-8-sig")
    refused = CASES.run(users["tokyo"], beyond.encode("utf-8-sig"), "export.csv")
    assert [(p.row, p.column, p.reason) for p in refused.problems] == [(2, "ID", "この ID の事例はありません")]
    assert client_for(users["hachioji"]).get("/cases/import/").status_code == 403


def test_import_through_the_upload_and_preview_pages(client_for, users, register):
    admin = client_for(users["admin"])
    data = "団体コード,事例名,概要,分野\r\n132012,防災,概要,防災\r\n".encode("utf-8-sig")
    response = admin.post("/cases/import/", {"file": SimpleUploadedFile("cases.csv", data)})
    assert response.status_code == 302
    preview = admin.get(response["Location"])
    assert preview.status_code == 200 and not Case.objects.exists()  # the preview writes nothing
    sha = preview.context["upload"].sha256
    done = admin.post(response["Location"] + "commit", {"sha256": sha})
    assert done.status_code == 302 and Case.objects.get().title == "防災"


def test_case_api_writes(client, users, register):
    from chiiki.pdca.tests.conftest import bearer

    payload = {"municipality": "132012", "title": "API事例", "summary": "概要", "sectors": ["disaster"],
               "outcomes": [{"indicator": "利用者", "unit": "人", "before": 0, "after": 50, "fiscal_year": 2025}],
               "status": "published"}
    assert client.post("/api/v1/cases", payload, content_type="application/json").status_code == 401
    assert client.post("/api/v1/cases", payload, content_type="application/json",
                       **bearer(users["aogashima"])).status_code == 403
    created = client.post("/api/v1/cases", payload, content_type="application/json", **bearer(users["hachioji"]))
    assert created.status_code == 201 and created.json()["version"] == 1
    cid = created.json()["id"]
    bad = client.post("/api/v1/cases", {**payload, "sectors": ["nope"]}, content_type="application/json",
                      **bearer(users["hachioji"]))
    assert bad.status_code == 422 and "sectors" in bad.json()["detail"]
    updated = client.put(f"/api/v1/cases/{cid}", {**payload, "title": "API事例（改）", "version": 1},
                         content_type="application/json", **bearer(users["tokyo"]))
    assert updated.status_code == 200 and updated.json()["version"] == 2
    assert client.put(f"/api/v1/cases/{cid}", {**payload, "version": 1}, content_type="application/json",
                      **bearer(users["tokyo"])).status_code == 409
    assert client.get(f"/api/v1/cases/{cid}").json()["title"] == "API事例（改）"


def test_demo_cases_are_marked(register, client):
    from chiiki.regions.models import Municipality, Prefecture

    nagano = Prefecture.objects.create(code="20", lg_code="200000", name="長野県", kana="ナガノケン")
    for code, name in (("202011", "長野市"), ("202151", "塩尻市"), ("204072", "阿智村")):
        Municipality.objects.create(code=code, prefecture=nagano, name=name, kana="", kind="city")
    from .. import demo

    assert "4件を作成" in demo.load(actor=SYSTEM)
    assert Case.objects.filter(is_demo=True).count() == 4
    assert all(c.title.startswith("（デモ）") for c in Case.objects.all())
    page = client.get("/cases/").content.decode()
    assert page.count('badge badge--demo">デモ') == 4
    assert "作成済み" in demo.load(actor=SYSTEM)


def test_restore_rebuilds_the_search_index(register):
    from django.apps import apps

    from ..indexing import CASE_INDEX

    make(title="防災アプリ")
    CASE_INDEX.clear()
    assert "1件" in apps.get_app_config("cases").rebuild_derived_data()
    from chiiki.core.search import parse_query

    assert len(CASE_INDEX.search(parse_query("防災"))) == 1
    call_command("check")


def test_openapi_keeps_every_apps_schemas_apart(client, db):
    """A schema class named like another app's would replace it in the document (it did: MunicipalityRef)."""
    components = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "prefecture" in components["CaseMunicipality"]["required"]
    assert "prefecture" not in components["MunicipalityRef"].get("required", [])
    assert {"CaseOut", "CaseList", "KPIOut", "ReviewDetailOut", "ProposalOut"} <= set(components)


def test_search_parameters_are_bounded(client, register):
    make(title="防災アプリ")
    assert client.get("/api/v1/cases?sector=disaster,tourism&page_size=200").json()["count"] == 1
    assert client.get("/api/v1/cases?" + "&".join(["sector=disaster"] * 9)).status_code == 422
    assert client.get("/api/v1/cases?sector=防災").status_code == 422  # keys, not labels
    assert client.get("/api/v1/cases?q=" + "あ" * 101).status_code == 422
    assert client.get("/api/v1/cases?page_size=201").status_code == 422


def test_detail_links_its_sectors_and_funding_to_the_cases_like_it(client, register):
    """On a case page each 分野 and 財源 links to the library filtered to it; the linked list holds this case."""
    import re

    case = make("325252", "島の観光案内をクラウドファンディングで", sectors=["tourism"],
                funding_kinds=["crowdfunding", "corporate_furusato"])
    make("132012", "防災アプリ", funding_kinds=["corporate_furusato"])
    html = client.get(f"/cases/{case.pk}/").content.decode()
    links = dict((name, href) for href, name in re.findall(r'<a href="(/cases/\?(?:sector|funding)=\w+)">([^<]+)</a>',
                                                             html))
    assert set(links) == {"観光", "クラウドファンディング", "企業版ふるさと納税"}
    expected = {"観光": 1, "クラウドファンディング": 1, "企業版ふるさと納税": 2}
    for name, href in links.items():
        listed = client.get(href).content.decode()
        assert re.search(rf'data-testid="case-count">{expected[name]}<', listed), name
        assert "島の観光案内" in listed


@pytest.mark.parametrize("value", ["inf", "-Infinity", "nan", "1e999"])
def test_outcome_values_beyond_any_number_are_refused_on_every_path(client_for, client, users, register, value):
    """float() reads these; no JSON column can hold them (SQLite's CHECK and PostgreSQL refused the save: 500)."""
    from chiiki.pdca.tests.conftest import bearer

    page = client_for(users["hachioji"]).post("/cases/new", form(outcomes=f"登録世帯|世帯|{value}|120|2025"))
    assert page.status_code == 422 and f"成果の前の値は数値です: {value}" in page.content.decode()
    body = ('{"municipality": "132012", "title": "t", "summary": "s", "sectors": ["disaster"], "status": "published", '
            f'"outcomes": [{{"indicator": "a", "unit": "b", "before": 1, "after": {value.replace("inf", "1e999")}, '
            '"fiscal_year": 2025}]}').replace("nan", "NaN")
    api = client.post("/api/v1/cases", body, content_type="application/json", **bearer(users["hachioji"]))
    assert api.status_code == 422, api.content
    data = f"団体コード,事例名,概要,分野,成果\n132012,見守り,概要,disaster,登録|人|5|{value}|2025\n".encode()
    result = CASES.run(users["admin"], data, "cases.csv")
    assert not result.ok and any("成果の後の値は数値です" in str(p) for p in result.problems)
    assert not Case.objects.exists()
