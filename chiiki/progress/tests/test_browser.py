"""Browser tests: a municipal officer's save shows on the public map and ranking; the import preview names errors."""

import pytest

from chiiki.access import SYSTEM

from .conftest import csv_file

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_data(transactional_db, users):
    from chiiki.progress.imports import PROGRESS

    report = PROGRESS.run(SYSTEM, csv_file([
        "132012,disaster,2025,planned,,", "131016,disaster,2026,implemented,,", "322016,disaster,2026,piloting,,",
        "012025,disaster,2026,planned,,",
    ]), "seed.csv")
    assert report.committed
    return users


def test_municipal_staff_change_shows_on_map_and_ranking(page, login, screenshot, browser_data):
    from chiiki.core.fiscal import current_fiscal_year

    year = current_fiscal_year()
    users = browser_data
    # Before: 八王子市 is 4th of the 4 core cities? (函館 planned, 八王子 planned carried, 松江 piloting)
    page.goto(f"/progress/rankings/?fiscal_year={year}&group=core_city:unknown")
    before = page.locator('tr[data-code="132012"] td.num').first.inner_text()

    login(users["hachioji"])
    page.goto(f"/progress/entry/132012/?fiscal_year={year}")
    row = page.locator("#entry-disaster")
    assert "繰越" in row.inner_text()
    row.locator("select[name=stage]").select_option("self_sustaining")
    row.locator("textarea[name=note]").fill("防災無線のデジタル化を自主財源で運用")
    row.get_by_role("button", name="保存").click()
    page.locator("#entry-disaster .progress-entry__ok").wait_for()
    screenshot(page, "progress-entry-saved")

    page.goto(f"/progress/map/?fiscal_year={year}&sector=disaster")
    page.wait_for_selector('#progress-map-wrap[data-ready="true"]')
    stage = page.evaluate("document.querySelector('[data-chiiki-map]')._chiikiMap.values['132012'].stage")
    assert stage == "self_sustaining"
    legend = page.locator(".progress-legend").inner_text()
    assert "自走（1）" in legend
    screenshot(page, "progress-map-after-save")

    page.goto(f"/progress/rankings/?fiscal_year={year}&group=core_city:unknown")
    after = page.locator('tr[data-code="132012"] td.num').first.inner_text()
    assert after.startswith("1 ") or after.startswith("1\n") or after.split()[0] == "1", after
    assert before.split()[0] != "1"
    screenshot(page, "progress-ranking-after-save")

    page.goto(f"/progress/?fiscal_year={year}")
    page.wait_for_selector("#progress-trend")
    screenshot(page, "progress-overview")


def test_import_preview_shows_errors_for_a_bad_file(page, login, screenshot, browser_data, tmp_path):
    bad = tmp_path / "調査結果.csv"
    bad.write_bytes(csv_file([
        "132012,防災,令和8年度,実装済,,",
        "131017,防災,R8,実装済,,",          # check digit
        "011002,防災,2026,planned,,",       # another prefecture
        "132012,宇宙,2026,planned,,",       # sector
        "132012,防災,2026,検討中,,",        # duplicate with another stage
    ], encoding="cp932"))
    login(browser_data["tokyo"])
    page.goto("/progress/import/")
    page.set_input_files("#id_file", str(bad))
    page.get_by_role("button", name="内容を確認する").click()
    page.wait_for_selector("table.import-errors")
    text = page.locator("table.import-errors").inner_text()
    for needle in ("チェックディジット", "権限", "分野を判別できません", "2行目にもあり"):
        assert needle in text, needle
    assert page.locator("table.import-errors tbody tr").count() == 4
    assert page.get_by_role("link", name="CSV").count() >= 1
    screenshot(page, "progress-import-preview-errors")


def test_a_refused_save_fits_its_cell_on_a_desktop_screen(page, login, screenshot, browser_data):
    """At 1280 px the 「保存できませんでした」 box of a refused row broke mid-word with its border cut at the table's edge:
    the save column now keeps room for it, and the box stays inside its cell."""
    from chiiki.core.fiscal import current_fiscal_year

    page.set_viewport_size({"width": 1280, "height": 900})
    login(browser_data["hachioji"])
    page.goto(f"/progress/entry/132012/?fiscal_year={current_fiscal_year()}")
    row = page.locator("#entry-disaster")
    # The server's check, not the browser's: the field is type=url, so let the form send what was typed.
    page.evaluate("document.querySelectorAll('input[type=url]').forEach(i => i.type = 'text')")
    row.locator("input[name=evidence_url]").fill("ftp://example.jp")
    row.get_by_role("button", name="保存").click()
    refused = page.locator("#entry-disaster .progress-entry__status .errorlist")
    refused.wait_for()
    box, cell = refused.bounding_box(), page.locator("#entry-disaster td").last.bounding_box()
    line_height = float(refused.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    assert box["height"] < 2 * line_height, "the message wraps"
    assert cell["x"] <= box["x"] and box["x"] + box["width"] <= cell["x"] + cell["width"] + 0.5
    wrap = page.locator(".table-wrap").filter(has=page.locator("#entry-disaster")).bounding_box()
    assert box["x"] + box["width"] <= wrap["x"] + wrap["width"] + 0.5
    screenshot(page, "progress-entry-refused-1280")
