"""議会向け 1ページ報告: the PDF's text names the municipality and its figures, every municipality fits on one A4
page even with the longest case texts, Noto Sans CJK is embedded, and a write makes the next PDF fresh."""

import io

import pypdf
import pypdfium2
import pytest

from chiiki.access import SYSTEM
from chiiki.cases import actions as case_actions
from chiiki.conftest import ARTIFACTS
from chiiki.progress import demo as progress_demo
from chiiki.regions.models import Municipality
from chiiki.talent.tests.conftest import rounds, vocabulary  # noqa: F401 (fixtures)

from .conftest import YEAR, seed

pytestmark = pytest.mark.django_db


def pdf_of(client, code, year=YEAR):
    response = client.get(f"/progress/municipalities/{code}/report.pdf?fiscal_year={year}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return response.content


def text_of(body: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(body))
    return len(reader.pages), "".join(page.extract_text() for page in reader.pages)


def test_the_report_names_the_municipality_and_its_figures(client, register):
    seed([("132012", "disaster", YEAR, "implemented"), ("132012", "education", YEAR, "self_sustaining"),
          ("131016", "disaster", YEAR, "implemented"), ("012025", "disaster", YEAR, "piloting")])
    body = pdf_of(client, "132012")
    pages, text = text_of(body)
    assert pages == 1
    assert "東京都 八王子市 地域IoT実装の状況" in text.replace("\u3000", " ")
    # 八王子市: 防災 実装済, 教育 自走 → score (4 + 5) / 40 × 100 = 22.5; Tokyo: 2 of 3 implemented in 防災.
    assert "22.5" in text and "2 / 8分野" in text
    assert "防災 実装済 66.7%" in text
    assert "この機能はまだありません" not in text  # funding, talent and opendata are installed: 「なし」 rows
    fonts = {str(font["/BaseFont"]) for font in
             pypdf.PdfReader(io.BytesIO(body)).pages[0]["/Resources"]["/Font"].get_object().values()
             if "/BaseFont" in font.get_object()}
    # A subset prefix (ABCDEF+) is how a PDF names an embedded subset: the font travels with the file.
    assert any(name[1:].split("+")[-1].startswith("Noto-Sans-CJK-JP") and name[7] == "+" for name in fonts), fonts


def test_every_municipality_fits_on_one_page_with_the_most_data(client, register):
    progress_demo.load(actor=SYSTEM)  # every municipality × sector with a history
    long_title = "地域全体の防災・見守り・観光案内を一つの基盤で提供する官民連携のIoTプラットフォームの構築と運用" * 2
    for code in ("011002", "012025", "322016"):
        case_actions.save_case(SYSTEM, None, {
            "municipality": code, "title": long_title[:200], "summary": "長い概要。" * 800, "status": "published",
            "sectors": ["disaster", "health", "tourism", "public_private"], "lessons": "教訓" * 2000,
            "partners": [c for c in ("013315", "325252") if c != code]}, version=0)
    worst = None
    for place in Municipality.objects.order_by("code"):
        body = pdf_of(client, place.code)
        pages, text = text_of(body)
        assert pages == 1, place.name
        assert place.name in text
        if place.code == "132012":
            worst = body
    assert "似た事例" in text_of(worst)[1] and long_title[:20] in text_of(worst)[1]
    path = ARTIFACTS / "screenshots" / "pdca-report.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    document = pypdfium2.PdfDocument(worst)
    try:
        document[0].render(scale=1.5).to_pil().save(path)
    finally:
        document.close()


def test_a_write_makes_the_next_report_fresh(client, register):
    seed([("132012", "disaster", YEAR, "planned")])
    before = text_of(pdf_of(client, "132012"))[1]
    assert "防災 計画策定" in before
    seed([("132012", "disaster", YEAR, "self_sustaining")])
    assert "防災 自走" in text_of(pdf_of(client, "132012"))[1]


def test_unknown_municipality_is_404(client, register):
    assert client.get("/progress/municipalities/999999/report.pdf").status_code == 404


def test_a_capability_row_says_so_when_its_app_is_not_installed(client, register, monkeypatch):
    from .. import report

    installed = report.apps.is_installed
    monkeypatch.setattr(report.apps, "is_installed", lambda app: app != "chiiki.talent" and installed(app))
    text = text_of(pdf_of(client, "134023"))[1]
    assert text.count("この機能はまだありません") == 1


def _long_plan(register, code, title, years, lines=()):
    from chiiki.funding import actions as funding_actions
    from chiiki.roadmap.models import Sector

    plan = funding_actions.create_plan(
        SYSTEM, register["municipalities"][code], sector=Sector.objects.get(pk="disaster"), title=title,
        start_year=years[0], operator_kind="direct",
        years=[{"fiscal_year": y, "phase": "implementation", "total_cost": 1_000_000} for y in years])
    for kind, amount, state in lines:
        funding_actions.add_line(SYSTEM, plan.years.get(fiscal_year=YEAR), source_kind=kind, amount=amount,
                                 state=state)
    plan.refresh_from_db()
    return funding_actions.set_status(SYSTEM, plan, "published", version=plan.version)


def test_the_capability_rows_show_plans_money_dispatches_and_datasets(client, register, users, settings, tmp_path,
                                                                      rounds, vocabulary):  # noqa: F811
    from chiiki.opendata import actions as opendata_actions
    from chiiki.opendata.tests.samples import VALID_AED, upload
    from chiiki.talent import actions as talent_actions
    from chiiki.talent.models import Status as TalentStatus
    from chiiki.talent.models import TalentRequest
    from chiiki.talent.tests.conftest import profile_data, request_data
    from chiiki.talent.tests.test_workflow import _whole_path

    settings.OPENDATA_FILES_DIR = tmp_path / "opendata-files"
    assert "今年度の財源" not in text_of(pdf_of(client, "132012"))[1]
    _long_plan(register, "132012", "高尾山の見守りIoT", [YEAR - 1, YEAR, YEAR + 1],
               [("local_finance", 3_000_000, "confirmed"), ("crowdfunding", 450_000, "received"),
                ("general", 999_999, "planned")])
    long_title = "地域全体の防災・見守り・観光案内を一つの基盤で提供する官民連携のIoTプラットフォーム" * 3
    for n in range(4):
        _long_plan(register, "132012", f"{n}{long_title}"[:200], [YEAR, YEAR + 1])
    _long_plan(register, "132012", "来年度からの計画", [YEAR + 1, YEAR + 2])  # not this 年度
    advisor = talent_actions.create_profile(users["advisor"], profile_data())
    request = talent_actions.create_request(users["hachioji"], register["municipalities"]["132012"], request_data())
    _whole_path(users, request, advisor)
    under_way = talent_actions.create_request(users["hachioji"], register["municipalities"]["132012"],
                                              request_data(title="観光案内を多言語化できる人"))
    TalentRequest.objects.filter(pk=under_way.pk).update(status=TalentStatus.DISPATCHING, talent=advisor)
    talent_actions.create_request(users["hachioji"], register["municipalities"]["132012"],
                                  request_data(title="まだ下書きの依頼"))  # not a dispatch
    aed = opendata_actions.create_dataset(SYSTEM, register["municipalities"]["132012"], {
        "name": "hachioji-aed", "title": "八王子市 AED設置箇所一覧", "standard_type": "aed"})
    opendata_actions.add_resource(SYSTEM, aed, name="AED一覧", upload=upload("aed.csv", VALID_AED))
    opendata_actions.create_dataset(SYSTEM, register["municipalities"]["132012"], {
        "name": "hachioji-shelters", "title": "八王子市 避難所一覧"})
    body = pdf_of(client, "132012")
    pages, text = text_of(body)
    flat = text.replace("\n", "")
    assert pages == 1
    path = ARTIFACTS / "screenshots" / "pdca-report-capabilities.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    document = pypdfium2.PdfDocument(body)
    try:
        document[0].render(scale=1.5).to_pil().save(path)
    finally:
        document.close()
    assert f"「高尾山の見守りIoT」（{YEAR - 1}〜{YEAR + 1}年度、3年度）" in flat
    assert "ほか2件" in flat and "来年度からの計画" not in flat
    assert f"「{('0' + long_title)[:39]}…」（{YEAR}〜{YEAR + 1}年度、2年度）" in flat  # long titles shortened
    assert "採択・確定 3,000,000円、受領 450,000円" in flat
    # An advisor under way is received all the same (the report said 「なし」 until the dispatch was completed).
    assert "今年度の派遣 2件（うち完了 1件）: 「見守りセンサーを導入できる人」、「観光案内を多言語化できる人」" in flat
    assert "公開データセット 2件（うち標準に準拠 1件）" in flat
    assert "この機能はまだありません" not in flat


def test_a_write_in_funding_makes_the_next_report_fresh(client, register):
    before = text_of(pdf_of(client, "132012"))[1]
    assert "高尾山の見守りIoT" not in before
    _long_plan(register, "132012", "高尾山の見守りIoT", [YEAR, YEAR + 1, YEAR + 2])
    assert "高尾山の見守りIoT" in text_of(pdf_of(client, "132012"))[1]
