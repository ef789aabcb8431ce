"""Fixtures shared by every app's tests.

- `register`: a small national register (3 prefectures, 8 municipalities of every kind, 8 sectors).
- `users`: one user per role, bound to the register (password "pass-for-tests-1").
- `page`: a Playwright page in Debian's Chromium against the live server (browser tests).
- `screenshot(page, name)`: saves test-artifacts/screenshots/<name>.png for people to look at.
"""

import os
import shutil
import threading
import warnings
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PASSWORD = "pass-for-tests-1"

PREFECTURES = [
    ("01", "010006", "北海道", "ホッカイドウ"),
    ("13", "130001", "東京都", "トウキョウト"),
    ("32", "320005", "島根県", "シマネケン"),
]
# code, prefecture, name, kana, kind, lat, lng
MUNICIPALITIES = [
    ("011002", "01", "札幌市", "サッポロシ", "designated_city", 43.062, 141.354),
    ("012025", "01", "函館市", "ハコダテシ", "core_city", 41.768, 140.729),
    ("013315", "01", "松前町", "マツマエチョウ", "town", 41.430, 140.110),
    ("131016", "13", "千代田区", "チヨダク", "special_ward", 35.694, 139.753),
    ("132012", "13", "八王子市", "ハチオウジシ", "core_city", 35.666, 139.316),
    ("134023", "13", "青ヶ島村", "アオガシマムラ", "village", 32.467, 139.762),
    ("322016", "32", "松江市", "マツエシ", "core_city", 35.468, 133.048),
    ("325252", "32", "海士町", "アマチョウ", "town", 36.096, 133.096),
]
SECTORS = [
    ("education", "教育", "Education"),
    ("health", "医療・介護・健康", "Medical, care and health"),
    ("work", "働き方", "Ways of working"),
    ("disaster", "防災", "Disaster prevention"),
    ("agriculture", "農林水産業", "Agriculture, forestry and fisheries"),
    ("business", "地域ビジネス", "Local business"),
    ("tourism", "観光", "Tourism"),
    ("public_private", "官民協働サービス", "Public-private collaborative services"),
]


@pytest.fixture
def register(db):
    from chiiki.regions.models import Municipality, Prefecture
    from chiiki.roadmap.models import Sector

    prefectures = {
        code: Prefecture.objects.create(code=code, lg_code=lg, name=name, kana=kana)
        for code, lg, name, kana in PREFECTURES
    }
    municipalities = {}
    for code, pref, name, kana, kind, lat, lng in MUNICIPALITIES:
        municipalities[code] = Municipality.objects.create(
            code=code, prefecture=prefectures[pref], name=name, kana=kana, kind=kind, lat=lat, lng=lng
        )
    for order, (code, name, name_en) in enumerate(SECTORS):
        Sector.objects.create(code=code, name=name, name_en=name_en, order=order)
    municipalities["011002"].neighbours.add(municipalities["013315"])
    return {"prefectures": prefectures, "municipalities": municipalities}


@pytest.fixture
def users(register):
    from chiiki.accounts.models import Role, User

    def make(username, role, **extra):
        user = User(username=username, role=role, first_name=username, **extra)
        user.set_password(PASSWORD)
        user.save()
        return user

    m = register["municipalities"]
    return {
        "admin": make("admin", Role.NATIONAL_ADMIN),
        "tokyo": make("tokyo-pref", Role.PREFECTURE_STAFF, prefecture=register["prefectures"]["13"]),
        "hachioji": make("hachioji", Role.MUNICIPAL_STAFF, municipality=m["132012"]),
        "aogashima": make("aogashima", Role.MUNICIPAL_STAFF, municipality=m["134023"]),
        "sapporo": make("sapporo", Role.MUNICIPAL_STAFF, municipality=m["011002"]),
        "advisor": make("advisor", Role.ADVISOR, organisation="地域情報化アドバイザー"),
        "company": make("company", Role.COMPANY, organisation="株式会社サンプル"),
    }


@pytest.fixture
def client_for(client):
    """client_for(user) → a test client logged in as user (None → anonymous)."""
    from django.test import Client

    def make(user):
        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return make


# ---- Browser tests -------------------------------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    # Never skip silently: make test installs Chromium; without it the browser tests fail loudly.
    raise RuntimeError("Chromium が見つかりません（/usr/bin/chromium）。`make test` が apt で導入します。")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


class _AnsweringApp:
    """The live server's WSGI application, counting the requests it is still answering."""

    def __init__(self, app):
        self.app = app
        self.answering = 0
        self.changed = threading.Condition()

    def __call__(self, environ, start_response):
        with self.changed:
            self.answering += 1
        try:
            return self.app(environ, start_response)
        finally:
            with self.changed:
                self.answering -= 1
                self.changed.notify_all()

    def wait_answered(self, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.answering == 0, timeout)


@pytest.fixture(autouse=True)
def _live_server_answers_within_the_test(request):
    """A browser test's last requests (a map's boundary file, which is a 404 in tests) can still be in the live
    server when the test closes its browser context; the server logs their answers (django.request: "Not Found")
    from its own threads. Django's log handler writes to the stream it was given at setup — pytest's capture file —
    which pytest closes when the session ends, so an answer logged after the last test printed "--- Logging error
    --- … ValueError: I/O operation on closed file" instead of the line. Waiting here for every request to be
    answered logs each one while its own test's output is captured (shown with that test if it fails)."""
    if "live_server" not in request.fixturenames:
        yield
        return
    httpd = request.getfixturevalue("live_server").thread.httpd
    app = httpd.get_app()
    if not isinstance(app, _AnsweringApp):  # once per live server: the server asks for its app per request
        app = _AnsweringApp(app)
        httpd.set_app(app)
    yield
    if not app.wait_answered(timeout=30):
        warnings.warn("the live server was still answering a request 30 s after the test", stacklevel=1)


@pytest.fixture
def screenshot():
    def take(page, name: str):
        path = ARTIFACTS / "screenshots" / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def login(page):
    """login(user) signs the browser page in through the real login form."""

    def do(user, password: str = PASSWORD):
        page.goto("/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("form button[type=submit]")
        page.wait_for_url("**/accounts/mypage/**")

    return do


@pytest.fixture(autouse=True)
def fast_password_hashing(request):
    """Argon2 costs ~0.5 s per hash and `users` makes seven: tests that use `users` hash with MD5 first
    (existing Argon2 hashes still verify). Tests without `users` keep the real settings (see test_settings.py)."""
    if "users" not in request.fixturenames:
        return
    settings = request.getfixturevalue("settings")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


@pytest.fixture(autouse=True, scope="session")
def _versions_read_every_time():
    """A worker trusts the data versions it read for PAGE_CACHE_VERSIONS_TTL seconds; in tests that would make
    query counts and freshness depend on how long a test takes. Tests of that memory set the TTL themselves."""
    from django.conf import settings

    settings.PAGE_CACHE_VERSIONS_TTL = 0


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache: data versions restart with every test database state, so keys
    built from them (the progress pages' caches) would otherwise collide between tests."""
    from django.core.cache import cache

    from chiiki.core.cache import forget_recent

    cache.clear()
    forget_recent()
    yield
    cache.clear()
    forget_recent()


@pytest.fixture
def stored_pages():
    """stored_pages() → how many responses the anonymous page cache (chiiki.core.cache) holds, in the local
    memory cache or in Redis (CACHE_URL)."""
    import pickle

    from django.core.cache import cache

    from chiiki.core.cache import KEY_PREFIX

    prefix = cache.make_key(KEY_PREFIX)

    def count():
        if hasattr(cache._cache, "get_client"):  # RedisCache: its client stores under the full key
            entries = [cache._cache.get(key.decode(), None) for key in
                       cache._cache.get_client(write=False).scan_iter(match=prefix + "*")]
        else:
            entries = [pickle.loads(value) for key, value in list(cache._cache.items()) if key.startswith(prefix)]
        return sum(1 for entry in entries if entry is not None and entry.body is not None)

    return count


def pytest_sessionfinish(session, exitstatus):
    """The SQLite test database is a file in WAL mode (settings.py). Django deletes the file at the end, but a
    connection kept alive by an exception's reference cycle (a request that failed on a lock) closes only when
    the garbage collector runs, leaving -wal/-shm beside the deleted file: remove them."""
    import gc

    from django.conf import settings

    database = settings.DATABASES.get("default", {})
    name = (database.get("TEST") or {}).get("NAME")
    if database.get("ENGINE") != "django.db.backends.sqlite3" or not name or Path(name).exists():
        return
    gc.collect()
    for suffix in ("-wal", "-shm", "-journal"):
        Path(name + suffix).unlink(missing_ok=True)
