"""Keyboard-only helpers for the browser tests: move focus with Tab / Shift+Tab only, and check on every stop that
the focused element is on screen and wears a focus ring (outline or box-shadow), as a keyboard user would see it."""

# What the focused element shows: a ring (outline ≥ 2px or a box-shadow) and a box on screen.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return null; }
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    ring: (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2) || style.boxShadow !== "none",
    shown: box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < innerHeight && box.right > 0
           && box.left < innerWidth,
    label: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " + (el.textContent || el.value || "").trim().slice(0, 30),
  };
}"""


def focused(page) -> dict | None:
    return page.evaluate(FOCUSED)


def assert_focus_visible(page):
    now = focused(page)
    assert now is not None, "focus is on the page body"
    assert now["ring"] and now["shown"], now


def tab_to(page, selector: str, *, back: bool = False, limit: int = 120) -> int:
    """Press Tab (Shift+Tab with back=True) until the focused element matches selector; every element passed on the
    way must show a focus ring. Focus may leave the page once (to the browser's bar) and come back round, as in a
    browser. Returns how many presses it took."""
    outside = 0
    for presses in range(1, limit + 1):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if focused(page) is None:  # past the first/last stop focus leaves the page (the browser's own bar)
            outside += 1
            assert outside < 2, "Tab does not come back into the page"
            continue
        outside = 0
        assert_focus_visible(page)
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return presses
    raise AssertionError(f"{selector} not reached with {limit} presses of {'Shift+Tab' if back else 'Tab'}")


def activate(page, selector: str, url: str, *, back: bool = False):
    """Tab (Shift+Tab with back=True) to a link or button, press Enter, wait until the browser is at url (a glob)."""
    tab_to(page, selector, back=back)
    page.keyboard.press("Enter")
    page.wait_for_url(url)


def menu(page, href: str):
    """From anywhere below the main menu (or from nowhere): Shift+Tab back to its link to href, Enter."""
    activate(page, f'nav.site-nav a[href="{href}"]', f"**{href}", back=True)


def retype(page, text: str):
    """Replace what the focused field holds (Ctrl+A, then type)."""
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def active_is(page, selector: str) -> bool:
    return page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)", selector)


def sign_in(page, username: str, password: str):
    """The login form with the keyboard: the user name field has focus on arrival."""
    page.goto("/accounts/login/")
    assert active_is(page, "#id_username")
    page.keyboard.type(username)
    tab_to(page, "#id_password")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/accounts/mypage/**")


def arrow_to(page, value: str, *, limit: int = 60):
    """On a focused <select> (closed) or radio group: ArrowDown until its value is value."""
    for _ in range(limit):
        if page.evaluate("(v) => document.activeElement.value === v && (document.activeElement.type !== 'radio'"
                         " || document.activeElement.checked)", value):
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"value {value} not reached with the arrow keys")


def walk(page, *, limit: int = 300) -> list[str]:
    """Tab from the top of the page through every tab stop until focus leaves the page or comes round again; each
    stop must show a focus ring on screen. Returns the stops' labels in order."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("window.scrollTo(0, 0)")
    stops: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if now is None or (stops and now["label"] == stops[0]):
            return stops
        assert now["ring"] and now["shown"], (len(stops), now)
        stops.append(now["label"])
    raise AssertionError(f"more than {limit} tab stops")
