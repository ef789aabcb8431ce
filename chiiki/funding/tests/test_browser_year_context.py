"""Browser, keyboard only: on an implementation plan page the figures that lead into the plan's year sections — 事業費
in the 年度 × 財源 table (#year-N-cost) and the rows named under each リスク (#year-N, #line-N) — land with the
year's heading (「2027年度: 実装」) on screen above the field or 財源 reached, not scrolled off the top, for the
officer who edits the plan (forms) and for a visitor reading the published plan (tables), on a wide screen and on a
phone. Each year has enough 財源 that its last one is more than a screen below the heading."""

import pytest

from chiiki.core.tests.keyboard import tab_to
from chiiki.testing import collect_errors

from .conftest import GENERAL, PLANNED

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

YEARS = (2026, 2027)
LINES = 5  # 財源 per year, all 予定: each year is a 財源の崖 whose rows are the year and every one of its lines

# The landing: the target, the heading of its year section, and whether the heading is on screen above the target.
LANDING = """(id) => {
  const target = document.getElementById(id);
  const heading = target.closest('.plan-year').querySelector(':scope > h3');
  const t = target.getBoundingClientRect(), h = heading.getBoundingClientRect();
  return { heading: heading.textContent.trim(), headingTop: h.top, headingBottom: h.bottom, targetTop: t.top,
           height: innerHeight };
}"""


@pytest.fixture
def plan(plan_factory):
    return plan_factory(
        [(fy, "implementation", 10_000_000, [(GENERAL, 1_000_000 + i, PLANNED, None) for i in range(LINES)])
         for fy in YEARS], status="published", title="見守りセンサーの導入")


def links_into_years(page) -> list[str]:
    return page.eval_on_selector_all(
        '#risk-flags a[href^="#"], a[data-testid="cost"]', "els => [...new Set(els.map(e => e.getAttribute('href')))]")


def follow(page, url: str, href: str) -> dict:
    page.goto(url)
    tab_to(page, f'main a[href="{href}"]', limit=200)
    page.keyboard.press("Enter")
    page.wait_for_function("(h) => location.hash === h", arg=href)
    page.wait_for_timeout(50)  # the scroll to the fragment
    return page.evaluate(LANDING, href[1:])


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (375, 640)])
@pytest.mark.parametrize("who", ["hachioji", None])
def test_a_link_into_a_year_lands_with_the_year_heading_on_screen(users, plan, page, login, screenshot, who, width,
                                                                   height):
    errors = collect_errors(page)
    page.set_viewport_size({"width": width, "height": height})
    if who:
        login(users[who])
    url = f"/funding/plans/{plan.pk}/"
    page.goto(url)
    hrefs = links_into_years(page)
    years = {y.pk: y.fiscal_year for y in plan.years.all()}
    lines = {line.pk: line.plan_year.fiscal_year for y in plan.years.all() for line in y.lines.all()}
    # every year's cost, the years and every line are reached from the page's figures
    assert {f"#year-{pk}-cost" for pk in years} | {f"#year-{pk}" for pk in years} | {f"#line-{pk}" for pk in lines} \
        <= set(hrefs), hrefs
    deepest = max((h for h in hrefs if h.startswith("#line-")), key=lambda h: int(h.split("-")[1]))
    for href in hrefs:
        kind, pk = href[1:].split("-")[:2]
        year = (years if kind == "year" else lines)[int(pk)]
        landing = follow(page, url, href)
        assert landing["heading"].startswith(f"{year}年度"), (href, landing)
        # the heading is on screen, and the field or 財源 reached (unless it is the year itself) is on screen below
        # it, not under it
        assert 0 <= landing["headingTop"] and landing["headingBottom"] <= landing["height"], (href, landing)
        if href != f"#year-{pk}":
            assert landing["headingBottom"] <= landing["targetTop"] + 1, (href, landing)
            assert landing["targetTop"] < landing["height"], (href, landing)
        if href == deepest:  # what the screen shows on landing (the fixture's screenshots are of the whole page)
            shot = screenshot(page, f"funding-plan-line-landing-{who or 'visitor'}-{width}")
            page.screenshot(path=str(shot.with_name(f"{shot.stem}-screen.png")))
    assert errors == []
