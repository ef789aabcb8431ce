"""Helpers for the tests of every app (browser pages, マイページ, concurrent API requests)."""


def collect_errors(page) -> list[str]:
    """Collect uncaught page errors and console errors (e.g. a failed static file) while a test runs."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def assert_cards_on_screen(table, width: int, labels: list[str]) -> None:
    """A .cards-on-phone table at `width` px: each row's heading (its th) comes first in its card and the cells named
    by `labels` (their data-label) are on screen, not in columns scrolled off to the right."""
    rows = table.locator("tbody tr")
    assert rows.count() >= 1
    for i in range(rows.count()):
        row = rows.nth(i)
        heading = row.locator("th[scope=row]").bounding_box()
        assert heading is not None and 0 <= heading["x"] and heading["x"] + heading["width"] <= width, heading
        for label in labels:
            box = row.locator(f'td[data-label="{label}"]').bounding_box()
            assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= width, (label, box)
            assert box["y"] > heading["y"], (label, box, heading)  # below the heading, in the same card
    assert table.evaluate("t => t.closest('.table-wrap').scrollWidth <= t.closest('.table-wrap').clientWidth")
    assert table.page.evaluate("document.documentElement.scrollWidth") <= width


# ---- List filter panels ------------------------------------------------------------------------------------------

def filter_panel(html: str) -> dict:
    """What a list page's filter panel (templates/components/facet_panel.html) sends and links to.

    ``form``: the search form's fields as the browser would submit them untouched — (name, value) of its text and
    hidden inputs and of its checked boxes, whether inside the form or tied to it by the ``form`` attribute;
    ``boxes``: facet name → [(value, label, checked)]; ``counts``: facet name → {value: (count, href)};
    ``summary``: the text of the panel's <summary>; ``open``: whether the <details> is open in the HTML.
    """
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        def __init__(self):
            super().__init__()
            self.form_id, self.in_form, self.facet, self.box = None, False, None, None
            self.labels, self.pending, self.text = {}, None, None
            self.out = {"form": [], "boxes": {}, "counts": {}, "summary": "", "open": None}
            self.items = []

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "span" and self.text and self.text[0] == "count":  # the number ends where the words begin
                (item, href), number = self.pending, "".join(self.text[1]).strip()
                self.out["counts"].setdefault(item[1], {})[item[2]] = (number, href)
                self.pending = self.text = None
            elif tag == "form" and a.get("role") == "search":
                self.form_id, self.in_form = a.get("id"), True
            elif tag == "details" and "data-filter-panel" in a:
                self.out["open"] = "open" in a
            elif tag == "summary" and self.out["open"] is not None and not self.out["summary"]:
                self.text = ("summary", [])
            elif tag == "fieldset" and "data-facet" in a:
                self.facet = a["data-facet"]
            elif tag == "input" and (self.in_form or (a.get("form") and a.get("form") == self.form_id)):
                kind = a.get("type", "text")
                if kind == "checkbox":
                    self.items.append((self.facet, a["name"], a["value"], "checked" in a, a.get("id")))
                    if "checked" in a:
                        self.out["form"].append((a["name"], a["value"]))
                elif kind in ("hidden", "search", "text"):
                    self.out["form"].append((a["name"], a.get("value", "")))
            elif tag == "label" and a.get("for"):
                self.text = ("label:" + a["for"], [])
            elif tag == "a" and "facet__count" in (a.get("class") or "") and self.items:
                self.pending = (self.items[-1], a["href"].replace("&amp;", "&"))
                self.text = ("count", [])

        def handle_data(self, data):
            if self.text:
                self.text[1].append(data)

        def handle_endtag(self, tag):
            if tag == "form":
                self.in_form = False
            elif tag == "fieldset":
                self.facet = None
            elif self.text and tag in ("summary", "label"):
                key, parts = self.text
                if tag == "summary" and key == "summary":
                    self.out["summary"] = "".join(parts).strip()
                elif tag == "label" and key.startswith("label:"):
                    self.labels[key[6:]] = "".join(parts).strip()
                else:
                    return
                self.text = None

    reader = Reader()
    reader.feed(html)
    for _facet, name, value, checked, box_id in reader.items:
        reader.out["boxes"].setdefault(name, []).append((value, reader.labels.get(box_id, ""), checked))
    return reader.out


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



def at_once(count: int, method: str, url: str, token: str, body: dict | None) -> list[tuple[int, object]]:
    """`count` copies of one API request released together, for races such as a double submit (see `together`)."""
    return together([(method, url, token, body)] * count)


def together(requests: list[tuple[str, str, str, dict | None]]) -> list[tuple[int, object]]:
    """API requests (method, url, bearer token, JSON body) released at the same moment: threads behind a barrier,
    real HTTP to a live server, one connection each. Returns (status, JSON body) of every answer, in order."""
    import json
    import urllib.error
    import urllib.request

    def prepare(item):
        method, url, token, body = item
        return urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                      method=method, headers={"Content-Type": "application/json",
                                                              "Authorization": f"Bearer {token}"})

    def send(request):
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    return released_together([prepare(item) for item in requests], send)


def released_together(prepared: list, send) -> list:
    """send(item) for every prepared item, each in its own thread, all released by one barrier; the answers in
    order (every thread must answer). A send that uses the database closes its thread's connection itself."""
    import threading

    barrier = threading.Barrier(len(prepared))
    answers = [None] * len(prepared)

    def run(i):
        barrier.wait()
        answers[i] = send(prepared[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(prepared))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(240)
    assert all(answer is not None for answer in answers), answers
    return answers


def posted_together(user, posts: list[tuple[str, dict]]) -> list[int]:
    """Page forms (url, fields) posted by one signed-in user at the same moment, like `together`: the status of
    every answer, in order (redirects are not followed, so a saved form answers 302)."""
    import urllib.error
    import urllib.parse
    import urllib.request

    from django.test import Client

    client = Client()
    client.force_login(user)
    token = "racecsrftokenracecsrftokenracecs"  # any 32 letters: the cookie and the field only have to agree
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "Cookie": f"sessionid={client.cookies['sessionid'].value}; csrftoken={token}"}

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(Stay)

    def send(request):
        try:
            with opener.open(request, timeout=120) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    return released_together([urllib.request.Request(
        url, data=urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode(), method="POST",
        headers=headers) for url, fields in posts], send)


def meet_before_writing(monkeypatch, module, parties: int = 2, *, timeout: float = 60) -> None:
    """`module`'s transaction.atomic waits, the first time each thread opens one, until `parties` threads have come
    that far: every writer has read what it plans from before any writes (a retried transaction does not wait
    again, the others have gone on). transaction.on_commit keeps working."""
    import threading
    import types

    from django.db import transaction

    barrier = threading.Barrier(parties, timeout=timeout)
    waited = threading.local()
    real = transaction.atomic

    def atomic(*args, **kwargs):
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "transaction", types.SimpleNamespace(atomic=atomic, on_commit=transaction.on_commit))


def each_in_its_thread(items: list, send) -> list:
    """released_together, each send closing its thread's connection (or the test database cannot be flushed)."""
    from django.db import connection

    def run(item):
        try:
            return send(item)
        finally:
            connection.close()

    return released_together(items, run)



def xlsx_with_row_number(data: bytes, number: bytes) -> bytes:
    """The XLSX `data` with its second <row> numbered `number` (b"inf", b"1e999"), as a broken writer or a hand edit
    leaves a file."""
    import io
    import zipfile

    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert b'<row r="2"' in content
                content = content.replace(b'<row r="2"', b'<row r="' + number + b'"')
            target.writestr(info.filename, content)
    return out.getvalue()


def meanwhile(monkeypatch, module, other) -> None:
    """The next transaction `module` opens (its transaction.atomic) first lets `other` (another request, in its own
    thread and database connection) run to its end: what this request read before is then out of date.
    transaction.on_commit keeps working."""
    import threading
    import types

    from django.db import connection, transaction

    real = transaction.atomic
    state = {"ran": False}

    def atomic(*args, **kwargs):
        if not state["ran"]:
            state["ran"] = True

            def run():
                try:
                    other()
                finally:
                    connection.close()

            thread = threading.Thread(target=run)
            thread.start()
            thread.join(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "transaction", types.SimpleNamespace(atomic=atomic, on_commit=transaction.on_commit))


def import_commit_form(html: str) -> dict:
    """The hidden inputs of an import preview's 取り込む form (the file's sha256, the state the page shows)."""
    import re

    return dict(re.findall(r'<input type="hidden" name="(sha256|state)" value="([^"]*)"', html))
