"""Helpers for the tests of every app (browser pages, マイページ, concurrent API requests)."""


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

    return _released_together([prepare(item) for item in requests], send)


def _released_together(prepared: list, send) -> list:
    """send(item) for every prepared item, each in its own thread, all released by one barrier; the answers in
    order (every thread must answer)."""
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

    return _released_together([urllib.request.Request(
        url, data=urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode(), method="POST",
        headers=headers) for url, fields in posts], send)
