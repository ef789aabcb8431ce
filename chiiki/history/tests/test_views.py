"""The change-history pages: scope per role, filters, pagination, exports, readable diffs, detail."""

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.utils import timezone

from chiiki.core import history
from chiiki.core.fiscal import current_fiscal_year
from chiiki.core.models import ChangeRecord
from chiiki.programs.models import SupportProgram


@pytest.fixture
def records(register, users):
    """Attribute edits in 八王子市, 青ヶ島村 (both 東京都) and 札幌市, and a system-wide token record."""
    m = register["municipalities"]

    def edit(municipality, actor, before, after):
        return history.record(actor, "update", municipality, before, after, municipality=municipality, source="web")

    return {
        "hachioji": edit(m["132012"], users["hachioji"], {"fiscal_strength_index": "0.85", "depopulated": None},
                         {"fiscal_strength_index": "0.91", "depopulated": False}),
        "aogashima": edit(m["134023"], users["aogashima"], {"remote_island": None}, {"remote_island": True}),
        "sapporo": edit(m["011002"], users["sapporo"], {"kind": "core_city"}, {"kind": "designated_city"}),
        "system": history.record(None, "create", users["company"], None, {"username": "company"}),
    }


def _listed(response):
    return {row["record"].pk for row in response.context["rows"]}


def test_anonymous_is_sent_to_login(client, db):
    response = client.get("/history/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/history/")
    assert client.get("/history/1/").status_code == 302


@pytest.mark.parametrize(("role", "visible"), [
    ("admin", {"hachioji", "aogashima", "sapporo", "system"}),
    ("tokyo", {"hachioji", "aogashima"}),
    ("hachioji", {"hachioji"}),
    ("sapporo", {"sapporo"}),
    ("advisor", set()),
    ("company", set()),
])
def test_each_role_sees_its_scope(client_for, users, records, role, visible):
    client = client_for(users[role])
    response = client.get("/history/")
    assert response.status_code == 200
    assert _listed(response) == {records[name].pk for name in visible}
    for name, record in records.items():
        expected = 200 if name in visible else 404
        assert client.get(f"/history/{record.pk}/").status_code == expected, name


@pytest.mark.parametrize("role", ["advisor", "company"])
def test_page_says_when_nothing_is_visible(client_for, users, records, role):
    html = client_for(users[role]).get("/history/").content.decode()
    assert "閲覧できる変更履歴はありません" in html
    assert "絞り込む" not in html


def test_diff_uses_japanese_field_labels_and_readable_values(client_for, users, records):
    html = client_for(users["admin"]).get("/history/").content.decode()
    assert "財政力指数" in html and "<del>0.85</del> → <ins>0.91</ins>" in html
    assert "過疎地域" in html and "— → <ins>いいえ</ins>" in html
    assert "区分" in html and "<del>中核市</del> → <ins>政令指定都市</ins>" in html
    assert "市区町村" in html  # the model's verbose_name


def test_detail_page_shows_before_and_after(client_for, users, records):
    response = client_for(users["hachioji"]).get(f"/history/{records['hachioji'].pk}/")
    html = response.content.decode()
    assert "変更履歴の詳細" in html
    assert "<del>0.85</del>" in html and "<ins>0.91</ins>" in html
    assert "財政力指数" in html and "fiscal_strength_index" not in html  # labels, not field names
    assert "hachioji" in html and "画面" in html
    assert "?model=regions.municipality&amp;object_id=132012" in html


def test_filter_by_municipality_inside_scope(client_for, users, records):
    response = client_for(users["tokyo"]).get("/history/", {"municipality": "13402"})  # 5-digit is upgraded
    assert response.status_code == 200
    assert _listed(response) == {records["aogashima"].pk}


@pytest.mark.parametrize(("role", "code"), [
    ("hachioji", "134023"),  # another municipality in the same prefecture
    ("tokyo", "011002"),  # another prefecture
    ("admin", "202011"),  # a valid code that is not in the register
])
def test_filter_outside_scope_is_404(client_for, users, records, role, code):
    assert client_for(users[role]).get("/history/", {"municipality": code}).status_code == 404
    assert client_for(users[role]).get("/history/", {"municipality": code, "format": "csv"}).status_code == 404


def test_filter_prefecture_outside_scope_is_404(client_for, users, records):
    assert client_for(users["tokyo"]).get("/history/", {"prefecture": "01"}).status_code == 404
    assert client_for(users["hachioji"]).get("/history/", {"prefecture": "13"}).status_code == 404
    response = client_for(users["admin"]).get("/history/", {"prefecture": "13"})
    assert _listed(response) == {records["hachioji"].pk, records["aogashima"].pk}


def test_bad_code_and_dates_are_explained_not_applied(client_for, users, records):
    response = client_for(users["admin"]).get("/history/", {"municipality": "abc", "from": "2026/13/01"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "団体コードが正しくありません" in html and "開始日は YYYY-MM-DD の形式で入力してください" in html
    assert len(_listed(response)) == 4


def test_filter_by_model_action_actor_and_dates(client_for, users, records):
    client = client_for(users["admin"])
    assert _listed(client.get("/history/", {"model": "accounts.user"})) == {records["system"].pk}
    assert _listed(client.get("/history/", {"action": "create"})) == {records["system"].pk}
    assert _listed(client.get("/history/", {"actor": "SAPP"})) == {records["sapporo"].pk}
    old = timezone.now() - dt.timedelta(days=40)
    ChangeRecord.objects.filter(pk=records["sapporo"].pk).update(at=old)
    today = timezone.localdate()
    recent = client.get("/history/", {"from": (today - dt.timedelta(days=1)).isoformat(), "to": today.isoformat()})
    assert records["sapporo"].pk not in _listed(recent) and len(_listed(recent)) == 3
    day = timezone.localtime(old).date().isoformat()
    assert _listed(client.get("/history/", {"from": day, "to": day})) == {records["sapporo"].pk}
    reversed_range = client.get("/history/", {"from": today.isoformat(), "to": day})
    assert "開始日は終了日以前の日付を指定してください。" in reversed_range.content.decode()


def test_model_choices_are_labelled_and_scoped(client_for, users, records):
    admin_choices = dict(client_for(users["admin"]).get("/history/").context["model_choices"])
    assert admin_choices == {"regions.municipality": "市区町村", "accounts.user": "ユーザー"}
    municipal_choices = dict(client_for(users["hachioji"]).get("/history/").context["model_choices"])
    assert municipal_choices == {"regions.municipality": "市区町村"}


def test_pagination(client_for, users, register):
    municipality = register["municipalities"]["132012"]
    history.record_many([
        history.change_record(users["hachioji"], "update", municipality, {"population": i}, {"population": i + 1},
                              municipality=municipality)
        for i in range(120)
    ])
    client = client_for(users["hachioji"])
    first = client.get("/history/")
    assert len(first.context["rows"]) == 50 and first.context["page"].paginator.count == 120
    assert "1 / 3ページ" in first.content.decode()
    last = client.get("/history/", {"page": 3})
    assert len(last.context["rows"]) == 20


def test_csv_export_of_the_filtered_list(client_for, users, records):
    response = client_for(users["tokyo"]).get("/history/", {"municipality": "132012", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("日時,操作,対象の種類,対象ID,対象,団体コード,団体,都道府県,実行者,経路,変更内容")
    assert len(lines) == 2
    assert "八王子市" in lines[1] and "財政力指数: 0.85 → 0.91" in lines[1] and "hachioji" in lines[1]


def test_xlsx_export_respects_scope(client_for, users, records):
    response = client_for(users["hachioji"]).get("/history/", {"format": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "日時" and len(rows) == 2
    assert rows[1][5] == "132012"


def test_export_links_keep_the_filters(client_for, users, records):
    html = client_for(users["admin"]).get("/history/", {"municipality": "132012", "action": "update"}).content.decode()
    assert "?municipality=132012&amp;action=update&amp;format=csv" in html
    assert "?municipality=132012&amp;action=update&amp;format=xlsx" in html


def test_create_and_delete_records_read_naturally(client_for, users, register):
    municipality = register["municipalities"]["132012"]
    created = history.record(users["admin"], "create", municipality, None, {"name": "八王子市", "kind": "core_city"},
                             municipality=municipality)
    deleted = history.record(users["admin"], "delete", municipality, {"name": "八王子市"}, None,
                             municipality=municipality, source="command")
    client = client_for(users["admin"])
    html = client.get(f"/history/{created.pk}/").content.decode()
    assert "作成" in html and "<td>—</td><td><ins>八王子市</ins></td>" in html and "<ins>中核市</ins>" in html
    html = client.get(f"/history/{deleted.pk}/").content.decode()
    assert "削除" in html and "<td><del>八王子市</del></td><td>—</td>" in html and "管理コマンド" in html


def test_unknown_models_and_fields_fall_back_to_their_names(client_for, users, register):
    municipality = register["municipalities"]["132012"]
    record = ChangeRecord.objects.create(action="update", model="retired.thing", object_id="7", object_repr="古い記録",
                                         municipality=municipality, prefecture=municipality.prefecture,
                                         before={"colour": "red"}, after={"colour": "blue"})
    html = client_for(users["hachioji"]).get(f"/history/{record.pk}/").content.decode()
    assert "retired.thing" in html and "colour" in html and "<del>red</del>" in html and "<ins>blue</ins>" in html


def test_history_shows_labels_not_codes_or_rule_strings(client_for, users, register):
    """分野「官民協働サービス」 and 経路「画面からの入力」, never public_private or 2/3:fiscal_index_le=0.4+…"""
    admin = client_for(users["admin"])
    response = client_for(users["hachioji"]).post("/progress/entry/132012/public_private/", {
        "fiscal_year": str(current_fiscal_year()), "stage": "planned", "note": "", "evidence_url": "", "version": "0"})
    assert response.status_code == 200
    program = SupportProgram.objects.create(public_id="TEST-TIERS", name="段階補助", provider="総務省",
                                            provider_type="national", kind="subsidy", support_type="funding",
                                            summary="試験", sectors=["public_private"], entity_kinds=["town"])
    history.record(users["admin"], "update", program, {"rate_tiers": "", "sectors": [], "windows": ""},
                   {"rate_tiers": "2/3:fiscal_index_le=0.4+disadvantaged|1/2", "sectors": ["public_private"],
                    "windows": "monthly:4-12", "entity_kinds": ["town"]}, source=history.IMPORT)
    for url in ("/history/", "/history/?format=csv"):
        text = admin.get(url).content.decode("utf-8-sig")
        shown = re.sub(r"<[^>]+>", " ", text)
        for label in ("官民協働サービス", "画面からの入力", "ファイル取込", "財政力指数0.4以下", "毎年度4月〜12月", "町"):
            assert label in shown, (url, label)
        for code in ("public_private", "fiscal_index_le", "disadvantaged", "monthly:", '["town"]'):
            assert code not in shown, (url, code)
    assert "2/3（財政力指数0.4以下かつ条件不利地域（過疎・離島・中山間のいずれか））、1/2（それ以外）" in text  # the CSV, untruncated


def test_lists_and_unnamed_relations_read_in_japanese(client_for, users, register):
    """Lists of codes or ids (分野, 財源, 隣接団体, できること, KPI) and relations without a verbose_name read as
    names joined with 「、」, under Japanese labels: never sectors, ["tourism"] or ["crowdfunding"]."""
    from chiiki.cases.models import Case
    from chiiki.pdca.models import Review
    from chiiki.talent.models import TalentProfile

    m = register["municipalities"]
    case = Case(pk=1, title="事例", municipality=m["132012"])
    history.record(users["admin"], "update", case, {"sectors": [], "funding_kinds": [], "partners": []},
                   {"sectors": ["tourism", "disaster"], "funding_kinds": ["crowdfunding"], "partners": ["134023"]},
                   municipality=m["132012"])
    history.record(users["admin"], "update", m["132012"], {"neighbours": []}, {"neighbours": ["134023", "011002"]},
                   municipality=m["132012"])
    history.record(users["admin"], "create", TalentProfile(pk=1, display_name="人"), None,
                   {"capabilities": ["CAP-EDU-01"]})
    history.record(users["admin"], "create", Review(pk=1, fiscal_year=2026), None, {"kpis": ["KPI-1"]})
    from chiiki.opendata.models import Resource

    history.record(users["admin"], "create", Resource(pk=1), None, {"dataset": 999})
    for url in ("/history/", "/history/?format=csv"):
        shown = re.sub(r"<[^>]+>", " ", client_for(users["admin"]).get(url).content.decode("utf-8-sig"))
        for text in ("観光、防災", "クラウドファンディング", "連携団体", "青ヶ島村", "隣接団体", "青ヶ島村、札幌市",
                     "できること", "CAP-EDU-01", "KPI", "KPI-1", "データセット"):
            assert text in shown, (url, text)
        for raw in ('["tourism"', '"crowdfunding"', "sectors", "neighbours", "capabilities", "kpis", "dataset:"):
            assert raw not in shown, (url, raw)


@pytest.mark.django_db
def test_every_kind_of_record_is_named_in_japanese(client_for, users):
    """The 対象の種類 filter names each model by its verbose_name: none may fall back to Django's English default
    (「use case」「visit」 were shown to prefecture staff)."""
    from django.apps import apps

    labels = [m._meta.label_lower for m in apps.get_models() if m.__module__.startswith("chiiki.")]
    ChangeRecord.objects.bulk_create([ChangeRecord(action="create", model=label, object_id="1", object_repr="x")
                                      for label in labels])
    html = client_for(users["admin"]).get("/history/").content.decode()
    select = re.search(r'<select id="f-model" name="model">(.*?)</select>', html, re.S).group(1)
    names = re.findall(r'<option value="[a-z_]+\.[a-z_]+"[^>]*>([^<]+)</option>', select)
    assert len(names) == len(labels)
    english = [name for name in names if re.search(r"[a-z]", name)]
    assert not english, english
