"""Browser: a municipal officer turns the navigator's package into a plan, adds funding and sees the 財源の崖 flag
go when the year is funded (htmx row saves); the public fund-flow page shows the money once it is published."""

from pathlib import Path

import pytest
from django.conf import settings

from chiiki.conftest import PASSWORD
from chiiki.funding.models import ImplementationPlan
from chiiki.programs.reference import load_catalog
from chiiki.roadmap.reference import load as load_sectors
from chiiki.testing import collect_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DATA_DIR = Path(settings.BASE_DIR) / "data"


def test_package_to_plan_to_funded_year_to_public_flow(register, users, page, login, screenshot, browser,
                                                       live_server, settings):
    settings.CSP_ENABLED = True
    load_sectors(data_dir=DATA_DIR, force=False, stdout=None, progress=False)
    load_catalog(data_dir=DATA_DIR)
    errors = collect_errors(page)
    login(users["hachioji"])
    page.goto("/programs/navigator/?municipality=132012&sector=education")
    page.click("text=この組み合わせで計画を作る")
    page.wait_for_selector("h1:has-text('実装計画（3か年）')")
    plan = ImplementationPlan.objects.get()
    year = plan.years.order_by("fiscal_year")[1]
    screenshot(page, "funding-plan-from-package")

    # Give the implementation year a cost: the cliff flag appears (htmx swaps the editor, no reload).
    row = page.locator(f"#year-{year.pk} form.row-form").first
    row.locator(f"#id_year{year.pk}-total_cost").fill("12000000")
    row.locator("button", has_text="この年度を保存").click()
    cliff = f"{year.fiscal_year}年度は事業費12,000,000円に対して、採択・確定または受領した財源がありません"
    page.wait_for_selector(f"#flags >> text={cliff}")
    assert page.locator("#plan-editor [role=status]").inner_text() == f"{year.fiscal_year}年度を保存しました"

    # Fund it with 一般財源 採択・確定: the flag goes.
    page.click(f"#year-{year.pk} summary")
    add = page.locator(f"#year-{year.pk} details.add-line form")
    add.locator(f"#id_newline{year.pk}-source_kind").select_option("general")
    add.locator(f"#id_newline{year.pk}-amount").fill("12000000")
    add.locator(f"#id_newline{year.pk}-state").select_option("confirmed")
    add.locator("button", has_text="追加する").click()
    page.wait_for_selector(f"#plan-editor [role=status]:has-text('{year.fiscal_year}年度に財源（一般財源）を追加しました')")
    assert cliff not in page.locator("#flags").inner_text()
    assert page.locator("#funding-plan-chart").is_visible()
    screenshot(page, "funding-plan-funded")

    page.select_option("#plan-status", "published")
    page.click("button:has-text('状態を変更')")
    page.wait_for_selector("text=状態を「公開」にしました")

    # The public sees the money on the national fund-flow page.
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    public = context.new_page()
    public_errors = collect_errors(public)
    public.goto("/funding/flows/")
    assert "12,000,000円" in public.locator("table.flow-table").inner_text()
    assert public.locator("#funding-flow-chart").is_visible()
    screenshot(public, "funding-flows-public")
    context.close()
    assert errors == [] and public_errors == []


def test_company_pledges_to_a_project(register, users, page, login, screenshot, settings):
    import datetime as dt

    from chiiki import access
    from chiiki.funding import actions
    from chiiki.funding.models import CorporateDonationPledge, NonGrantStatus
    from chiiki.roadmap.models import Sector

    settings.CSP_ENABLED = True
    matsue = register["municipalities"]["322016"]
    plan = actions.create_revitalisation_plan(access.SYSTEM, matsue, name="松江市 地域再生計画", start_year=2025,
                                              end_year=2029, approved_on=dt.date(2025, 6, 1))
    project = actions.add_revitalisation_project(access.SYSTEM, plan, name="城下町の見守りセンサー",
                                                 sector=Sector.objects.get(pk="disaster"), target_amount=20_000_000)
    NonGrantStatus.objects.create(code="322016", fiscal_year=2026, non_grant=False, metropolitan=False)
    errors = collect_errors(page)
    login(users["company"])
    page.goto("/funding/projects/")
    page.click("text=城下町の見守りセンサー")
    page.click("text=企業（法人番号・本社所在地）を登録")
    page.fill("#c-name", "株式会社サンプル")
    page.fill("#c-number", "7123456789012")
    page.fill("#c-head", "132012")
    page.click("button:has-text('登録する')")
    page.wait_for_selector("h1:has-text('城下町の見守りセンサー')")
    page.fill("#relief-amount", "3000000")
    page.fill("#relief-year", "2026")
    page.click("button:has-text('計算する')")
    page.wait_for_selector("table.relief-table")
    assert "2,700,000円" in page.locator("table.relief-table").inner_text()  # 9割
    page.fill("#pledge-amount", "3000000")
    page.fill("#pledge-fiscal_year", "2026")
    page.check("input[name=no_return_declared]")
    screenshot(page, "funding-project-pledge-form")
    page.click("button:has-text('申し出る')")
    page.wait_for_selector("h1:has-text('企業版ふるさと納税の申出')")
    pledge = CorporateDonationPledge.objects.get()
    assert (pledge.project, pledge.amount, pledge.state) == (project, 3_000_000, "offered")
    assert "申出" in page.locator("dl.profile").inner_text()
    screenshot(page, "funding-pledge")
    assert errors == []


def test_wide_area_participants_and_revitalisation_plan_edit(register, users, page, login, screenshot, browser,
                                                             live_server, settings):
    """A prefecture officer adds a participant to a wide-area plan and sees the program flagged 対象外 for
    it; a municipal officer extends its 地域再生計画's period. Screenshots at 1280 and 375 px."""
    import datetime as dt

    from chiiki import access
    from chiiki.funding import actions
    from chiiki.funding.models import RevitalisationPlan
    from chiiki.funding.tests.conftest import make_program
    from chiiki.roadmap.models import Sector

    settings.CSP_ENABLED = True
    load_sectors(data_dir=DATA_DIR, force=False, stdout=None, progress=False)
    villages = make_program("VILLAGES", entity_kinds=["village", "town"], name="町村向け補助金")
    plan = actions.create_plan(access.SYSTEM, register["prefectures"]["13"], sector=Sector.objects.get(pk="disaster"),
                               title="東京都 島しょ防災計画", start_year=2026, operator_kind="direct",
                               participants=[register["municipalities"]["134023"]])
    actions.add_line(access.SYSTEM, plan.years.get(fiscal_year=2027), source_kind="national_program", amount=100,
                     state="confirmed", program=villages)
    errors = collect_errors(page)
    login(users["tokyo"])
    page.goto(f"/funding/plans/{plan.pk}/")
    assert "対象外の支援メニュー" not in page.locator("#flags").inner_text()
    page.fill("#plan-participants", "134023 132012")
    page.click("button:has-text('参加団体を保存')")
    page.wait_for_selector("text=参加団体を保存しました")
    assert "参加団体: 八王子市、青ヶ島村" in page.locator("dl.profile").inner_text()
    assert "「町村向け補助金」は参加団体のうち八王子市では対象外です" in page.locator("#flags").inner_text()
    screenshot(page, "funding-wide-area-participants")

    rr = actions.create_revitalisation_plan(access.SYSTEM, register["municipalities"]["132012"],
                                            name="八王子市 地域再生計画", start_year=2025, end_year=2027,
                                            approved_on=dt.date(2025, 6, 1))
    project = actions.add_revitalisation_project(access.SYSTEM, rr, name="防災センサー網",
                                                 sector=Sector.objects.get(pk="disaster"), target_amount=10_000_000)
    context = browser.new_context(locale="ja-JP", viewport={"width": 375, "height": 800}, base_url=live_server.url)
    mobile = context.new_page()
    mobile_errors = collect_errors(mobile)
    mobile.goto("/accounts/login/")
    mobile.fill("#id_username", users["hachioji"].username)
    mobile.fill("#id_password", PASSWORD)
    mobile.click("form button[type=submit]")
    mobile.wait_for_url("**/accounts/mypage/**")
    mobile.goto(project.get_absolute_url())
    mobile.click("text=地域再生計画を編集")
    mobile.fill("#r-end", "令和11年度")
    screenshot(mobile, "funding-revitalisation-edit-375")
    mobile.click("button:has-text('保存する')")
    mobile.wait_for_selector("text=地域再生計画を保存しました")
    assert "計画期間 2025〜2029年度" in mobile.locator("dl.profile").inner_text()
    assert RevitalisationPlan.objects.get(pk=rr.pk).version == 2
    context.close()
    assert errors == [] and mobile_errors == []


@pytest.mark.parametrize("width", [1280, 375])
def test_flow_diagram_labels_are_not_cut_at_the_edges(register, plan_factory, page, screenshot, width):
    """Long source names with nine-digit amounts stay inside the diagram (they were cut at the left edge)."""
    from chiiki.funding.models import FundingState, SourceKind

    confirmed = FundingState.CONFIRMED
    plan_factory([(2026, "implementation", 0, [(SourceKind.GENERAL, 410_000_000, confirmed, None),
                                               (SourceKind.CORPORATE_DONATION, 103_000_000, confirmed, None),
                                               (SourceKind.LOCAL_FINANCE, 3_000_000, confirmed, None)])],
                 status="published")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/funding/flows/")
    svg = page.locator("figure.flow-diagram svg")
    boxes = svg.evaluate("""svg => {
        const view = svg.viewBox.baseVal;
        return [...svg.querySelectorAll('text')].map(t => {
            const b = t.getBBox();
            return {text: t.textContent, left: b.x, right: b.x + b.width, width: view.width};
        });
    }""")
    assert {b["text"] for b in boxes} >= {"企業版ふるさと納税 103,000,000円", "一般財源 410,000,000円"}
    for box in boxes:
        assert box["left"] >= 0 and box["right"] <= box["width"], box
    screenshot(page, f"funding-flow-diagram-{width}")


def test_on_a_phone_each_amount_stays_on_one_line_with_its_unit(register, plan_factory, page, screenshot):
    """The plan's 年度 × 財源 table at 375 px: 「20,000,000円」 on one line (it broke before 「円」); each 年度 is a
    card (it was a table scrolled sideways, 不足 off the screen)."""
    from chiiki.funding.models import FundingState, SourceKind

    confirmed = FundingState.CONFIRMED
    plan = plan_factory([(2026, "people_knowhow", 2_000_000, [(SourceKind.GENERAL, 2_000_000, confirmed, None)]),
                         (2027, "implementation", 20_000_000, [(SourceKind.GENERAL, 10_000_000, confirmed, None)]),
                         (2028, "operation", 6_000_000, [(SourceKind.GENERAL, 1_000_000, confirmed, None)])],
                        status="published")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"/funding/plans/{plan.pk}/")
    cells = page.evaluate("""() => [...document.querySelectorAll('table.data td.num')].map(td => {
        const range = document.createRange(); range.selectNodeContents(td);
        return {text: td.innerText, lines: range.getClientRects().length ? new Set([...range.getClientRects()]
            .filter(r => r.width > 0).map(r => Math.round(r.top))).size : 0};
    })""")
    screenshot(page, "funding-plan-amounts-375")
    assert any("20,000,000円" in cell["text"] for cell in cells), cells
    assert all(cell["lines"] <= 1 for cell in cells if "円" in cell["text"]), cells
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    from chiiki.testing import assert_cards_on_screen

    assert_cards_on_screen(page.locator("table.funding-table"), 375, ["事業費", "一般財源", "財源計", "不足"])
