"""Browser: a municipal officer turns the navigator's package into a plan, adds funding and sees the 財源の崖 flag
go when the year is funded (htmx row saves); the public fund-flow page shows the money once it is published."""

from pathlib import Path

import pytest
from django.conf import settings

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
