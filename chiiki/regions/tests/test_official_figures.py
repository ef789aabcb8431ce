"""The register's real figures: 令和2年国勢調査（速報値） population and 令和3年度決算 fiscal indices, loaded by
load_reference from data/, kept apart from newer imports and officers' own values, shown with their labels, and
used by peer groups, rankings and the navigator."""

import re
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db.models import Sum

from chiiki.accounts.models import Role, User
from chiiki.core import history
from chiiki.core.models import ChangeRecord
from chiiki.programs.reference import load_catalog
from chiiki.regions.actions import OWN_FISCAL_SOURCE, update_municipality_attributes
from chiiki.regions.models import Municipality
from chiiki.regions.reference import CENSUS_SOURCE, FISCAL_SOURCE
from chiiki.testing import import_commit_form

FISCAL_HEADER = "団体コード,都道府県名,団体名,財政力指数,経常収支比率,実質公債費比率,将来負担比率,ラスパイレス指数\n"


def load(*args) -> str:
    out = StringIO()
    call_command("load_reference", "--no-progress", *args, stdout=out)
    return out.getvalue()


def run(command, *args) -> str:
    out = StringIO()
    call_command(command, *[str(a) for a in args], stdout=out)
    return out.getvalue()


@pytest.fixture
def loaded(db):
    load()


def test_load_reference_loads_population_and_fiscal_indices(loaded):
    municipalities = Municipality.objects.all()
    assert not municipalities.filter(population=None).exists()
    # The census total of the 1,741 municipalities (equal to the national total in the file).
    assert municipalities.aggregate(total=Sum("population"))["total"] == 126_226_568
    sapporo = Municipality.objects.get(code="011002")
    assert (sapporo.population, sapporo.population_year, sapporo.population_source) == (1_975_065, 2020, CENSUS_SOURCE)
    # 「-」 in the census is 0 persons (双葉町 was evacuated), not unknown and not an error.
    futaba = Municipality.objects.get(code="075469")
    assert futaba.population == 0
    assert (sapporo.fiscal_strength_index, sapporo.fiscal_strength_year, sapporo.fiscal_strength_source) == (
        Decimal("0.72"), 2021, FISCAL_SOURCE)
    assert (sapporo.ordinary_balance_ratio, sapporo.real_debt_service_ratio, sapporo.future_burden_ratio,
            sapporo.laspeyres_index, sapporo.fiscal_indices_year) == (
        Decimal("93.0"), Decimal("2.7"), Decimal("29.3"), Decimal("99.6"), 2021)
    # 「-」 in 将来負担比率 is "no future burden": recorded as such, with no ratio.
    no_burden = municipalities.filter(future_burden_none=True)
    assert no_burden.count() == 816 and not no_burden.exclude(future_burden_ratio=None).exists()
    assert not municipalities.filter(fiscal_strength_index=None).exists()
    # Attributes no file has stay unknown.
    assert not municipalities.exclude(depopulated=None).exists()
    assert not municipalities.exclude(mountainous=None).exists()
    assert not municipalities.exclude(remote_island=None).exists()
    record = ChangeRecord.objects.filter(object_id="011002", source="reference", after__has_key="population",
                                          action="update").get()
    assert record.after["population"] == 1_975_065


def test_second_load_changes_nothing(loaded):
    records = ChangeRecord.objects.count()
    versions = dict(Municipality.objects.values_list("code", "version"))
    output = load()
    assert "人口（令和2年国勢調査（速報値））: 市区町村1741件を確認、更新0件（変更なし）" in output
    assert "財政指標（令和3年度決算）: 市区町村1741件を確認、更新0件（変更なし）" in output
    assert ChangeRecord.objects.count() == records
    assert dict(Municipality.objects.values_list("code", "version")) == versions


def test_newer_import_and_officers_value_are_kept_unless_forced(loaded, tmp_path):
    final = tmp_path / "final.csv"
    final.write_text("団体コード,人口\n011002,1973395\n", encoding="utf-8")
    run("import_population", final, "--year", "2020", "--source", "令和2年国勢調査 人口等基本集計")
    admin = User.objects.create(username="kanri", role=Role.NATIONAL_ADMIN)
    hakodate = Municipality.objects.get(code="012025")
    update_municipality_attributes(admin, hakodate, {"fiscal_strength_index": "0.50"}, hakodate.version)
    hakodate.refresh_from_db()
    assert (hakodate.fiscal_strength_year, hakodate.fiscal_strength_source) == (None, OWN_FISCAL_SOURCE)
    load()
    assert Municipality.objects.get(code="011002").population == 1_973_395
    hakodate.refresh_from_db()
    assert hakodate.fiscal_strength_index == Decimal("0.50")
    assert hakodate.ordinary_balance_ratio == Decimal("91.2")  # the other indices still come from the file
    load("--force")
    assert Municipality.objects.get(code="011002").population == 1_975_065
    hakodate.refresh_from_db()
    assert (hakodate.fiscal_strength_index, hakodate.fiscal_strength_source) == (Decimal("0.48"), FISCAL_SOURCE)


def test_a_bad_row_in_the_data_file_stops_the_load_and_writes_nothing(db, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for source in (settings.BASE_DIR / "data").glob("*.csv"):
        (data / source.name).write_bytes(source.read_bytes())
    path = data / "fiscal_indices_r3.csv"
    text = path.read_text(encoding="utf-8").replace("011002,北海道,札幌市,0.72,", "011002,北海道,札幌市,abc,")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match="列「財政力指数」: 財政力指数は数値で入力してください: 'abc'"):
        load("--data-dir", data)
    assert not Municipality.objects.exclude(fiscal_strength_index=None).exists()


def test_pages_label_the_figures_with_their_source(loaded, client):
    html = client.get("/regions/municipalities/011002/").content.decode()
    assert "1,975,065人" in html and "2020年・令和2年国勢調査（速報値）" in html
    assert re.search(r'id="fiscal-strength">0\.72 <span[^>]*>（令和3年度決算）', html)
    assert "財政指標 <span class=\"muted small\">（令和3年度決算）</span>" in html
    assert "将来負担比率</dt><dd>29.3%" in html
    futaba = client.get("/regions/municipalities/075469/").content.decode()
    assert "0人" in futaba and "将来負担なし" in futaba
    for label in ("過疎地域", "離島地域", "中山間地域"):  # no file has them: unknown, as before
        assert f'<dt>{label}</dt><dd><span class="muted">未登録</span>' in futaba


def test_fiscal_indices_command_imports_a_newer_table_all_or_nothing(users, tmp_path):
    good = tmp_path / "r4.csv"
    good.write_text(FISCAL_HEADER + "130001,東京都,東京都,1.14,85,1,-,100.2\n"
                    "131016,東京都,千代田区,0.9,80.1,-1.2,-,101.0\n"
                    "132012,東京都,八王子市,…,…,…,…,…\n"
                    "011002,北海道,札幌市,0.73,92.5,2.5,25.1,99.5\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(FISCAL_HEADER + "131016,東京都,千代田区,0.9,80.1,-1.2,-,101.0\n"
                   "011002,北海道,札幌市,12,92.5,2.5,25.1,99.5\n", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        run("import_fiscal_indices", bad, "--fiscal-year", "令和4年度")
    assert "3行目 列「財政力指数」: 財政力指数は0〜9.99の範囲で入力してください: '12'" in str(error.value)
    assert not Municipality.objects.exclude(fiscal_strength_index=None).exists()
    output = run("import_fiscal_indices", good, "--fiscal-year", "令和4年度")
    assert "更新2件" in output and "令和4年度決算" in output
    chiyoda = Municipality.objects.get(code="131016")
    assert (chiyoda.fiscal_strength_index, chiyoda.real_debt_service_ratio, chiyoda.future_burden_ratio,
            chiyoda.future_burden_none, chiyoda.fiscal_indices_year) == (
        Decimal("0.90"), Decimal("-1.2"), None, True, 2022)
    assert chiyoda.fiscal_strength_source == "総務省「地方公共団体の主要財政指標一覧」（令和4年度決算）"
    # 「…」 everywhere: unknown, so 八王子市 is left as it was.
    assert Municipality.objects.get(code="132012").fiscal_strength_index is None
    with pytest.raises(CommandError, match="権限がありません"):
        run("import_fiscal_indices", good, "--fiscal-year", "2022", "--user", "hachioji")


def test_national_admin_uploads_fiscal_indices_on_the_web(client_for, users):
    url = "/regions/import/fiscal-indices/"
    assert client_for(users["hachioji"]).get(url).status_code == 403
    assert client_for(None).get(url).status_code == 404
    admin = client_for(users["admin"])
    assert "財政指標の取込" in admin.get(url).content.decode()
    content = (FISCAL_HEADER + "131016,東京都,千代田区,0.9,80.1,-1.2,-,101.0\n").encode("cp932")
    response = admin.post(url, {"file": SimpleUploadedFile("r4.csv", content), "fiscal_year": "R4",
                                "code_column": "団体コード", "data_source": ""})
    assert response.status_code == 302
    preview = response["Location"]
    html = admin.get(preview).content.decode()
    assert Municipality.objects.get(code="131016").fiscal_strength_index is None  # preview writes nothing
    assert admin.post(preview + "commit", import_commit_form(html)).status_code == 302
    chiyoda = Municipality.objects.get(code="131016")
    assert (chiyoda.fiscal_strength_index, chiyoda.fiscal_strength_year) == (Decimal("0.90"), 2022)
    assert ChangeRecord.objects.get(object_id="131016").source == "web-import"


def test_peer_groups_use_population_class_once_population_is_loaded(loaded, client):
    html = client.get("/progress/rankings/").content.decode()
    options = re.findall(r'<option value="([a-z_]+:[a-z0-9_]+)"', html)
    assert options and not [o for o in options if o.endswith(":unknown")]
    assert "village:lt10k" in options and "village:10k_50k" in options
    # 双葉町 (0 persons) is a town below 10,000.
    html = client.get("/progress/municipalities/075469/").content.decode()
    assert "町・人口 &lt; 1万" in html


def test_rankings_open_on_the_officers_own_group(loaded, client_for):
    hachioji = Municipality.objects.get(code="132012")  # core city, 577,513 persons
    officer = User.objects.create(username="h", role=Role.MUNICIPAL_STAFF, municipality=hachioji)
    html = client_for(officer).get("/progress/rankings/").content.decode()
    assert re.search(r'<option value="core_city:ge300k" selected>', html)
    assert 'data-code="132012" id="rank-132012" class="is-own" aria-current="true"' in html
    # Anyone else opens on the first group; an explicit group wins for the officer too.
    html = client_for(None).get("/progress/rankings/").content.decode()
    assert re.search(r'<option value="designated_city:ge300k" selected>', html)
    html = client_for(officer).get("/progress/rankings/?group=village:lt10k").content.decode()
    assert re.search(r'<option value="village:lt10k" selected>', html)
    assert "自団体の比較グループを表示" in html


def _check_count(client, code, sector):
    html = client.get(f"/programs/navigator/?municipality={code}&sector={sector}").content.decode()
    return int(re.search(r"要確認 (?:<a [^>]*>)?(\d+)", html).group(1)), html


def test_fiscal_strength_feeds_the_navigator(db, client):
    load()
    load_catalog(data_dir=settings.BASE_DIR / "data")
    with_index = {}
    for code in ("011002", "134023", "131016"):
        with_index[code], html = _check_count(client, code, "public_private")
    html = client.get("/programs/navigator/?municipality=011002&sector=public_private").content.decode()
    assert 'id="navigator-fiscal-strength">0.72（令和3年度決算）</dd>' in html
    Municipality.objects.update(fiscal_strength_index=None)
    history.bump("regions")
    for code in ("011002", "134023", "131016"):
        without, html = _check_count(client, code, "public_private")
        assert with_index[code] < without, code
    # 不交付 is shown as a 目安 (財政力指数 ≥ 1) where the rules use it.
    load("--force")
    _, html = _check_count(client, "131016", "public_private")
    assert "不交付団体の目安" in html
