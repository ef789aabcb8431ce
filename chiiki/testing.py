"""Helpers for the tests of every app (browser pages, マイページ)."""


def collect_errors(page) -> list[str]:
    """Collect uncaught page errors and console errors (e.g. a failed static file) while a test runs."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


# ---- マイページ ----------------------------------------------------------------------------------------------------

def mypage_section(client, key: str) -> str | None:
    """The HTML of one to-do section of the client's マイページ (None when the section is not shown)."""
    import re

    html = client.get("/accounts/mypage/").content.decode()
    match = re.search(rf'id="todo-{key}-section">(.*?)</section>', html, re.S)
    return match.group(1) if match else None


def follow_section_list(client, section_html: str) -> str:
    """The page the section's count links to (its 一覧で見る / すべて見る link), as the client sees it."""
    import re

    url = re.search(r'<a href="([^"]+)">(?:一覧で見る|ほか)', section_html).group(1).replace("&amp;", "&")
    return client.get(url).content.decode()
