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
    assert "この機能はまだありません" in text
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


def test_a_capability_row_shows_what_its_app_provides(client, register, monkeypatch):
    from .. import report

    monkeypatch.setattr(report, "PROVIDERS", {"chiiki.talent": lambda place, year: [f"{place.name}に2回派遣"]})
    text = text_of(pdf_of(client, "132012"))[1]
    assert "この機能はまだありません" in text and "八王子市に2回派遣" not in text  # chiiki.talent is not installed
    monkeypatch.setattr(report.apps, "is_installed", lambda app: True)
    text = text_of(pdf_of(client, "134023"))[1]
    assert "青ヶ島村に2回派遣" in text and text.count("この機能はまだありません") == 2
