import pytest
from chiiki.core.tests.test_accessibility import site  # noqa
pytestmark = pytest.mark.browser

def test_x(site, page):
    for url in ["/pdca/kpis/DIGIDEN-1500/", "/regions/map/"]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)
        prev = None
        for i in range(80):
            page.keyboard.press("Tab")
            r = page.evaluate("() => { const e = document.activeElement; return [e.tagName, e.id, e.tabIndex, e.getAttribute('tabindex'), e.className && e.className.baseVal !== undefined ? e.className.baseVal : e.className, (e.textContent||'').slice(0,15)]; }")
            if r[0] in ('path', 'DIV') or (prev and prev[0] in ('path','DIV')):
                print(url, i, r)
            prev = r
