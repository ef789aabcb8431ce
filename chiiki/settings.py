"""Chiiki settings. Every value comes from the environment and is parsed strictly:
a bad value stops start-up with ImproperlyConfigured naming the variable."""

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from chiiki.release import release_key

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}: expected true/false, got {raw!r}")


def env_int(name: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected an integer, got {raw!r}") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ImproperlyConfigured(f"{name}: expected an integer in {minimum}..{maximum}, got {raw!r}")
    return value


def env_url(name: str, default: str) -> str:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().rstrip("/")
    if not value.startswith(("http://", "https://")) or len(value.split("://", 1)[1]) == 0:
        raise ImproperlyConfigured(f"{name}: expected an http:// or https:// URL, got {raw!r}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items:
        raise ImproperlyConfigured(f"{name}: expected a comma-separated list, got {raw!r}")
    return items


DEBUG = env_bool("DEBUG", True)
# Production settings are "DEBUG off"; demo data and insecure defaults are refused there.
PRODUCTION = not DEBUG

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY: required when DEBUG is off")
    SECRET_KEY = "dev-insecure-chiiki-secret-key-not-for-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS: required when DEBUG is off")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "ninja",
    "chiiki.core",
    "chiiki.regions",
    "chiiki.roadmap",
    "chiiki.accounts",
    "chiiki.progress",
    "chiiki.programs",
    "chiiki.history",
    "chiiki.opendata",  # opendata (issue 15)
    "chiiki.pdca",  # pdca: KPIs, reviews, 制度の見直し (issue 14)
    "chiiki.cases",  # pdca (issue 14): 事例ライブラリ
    "chiiki.promotion",  # promotion: 推進体制（見本となる地域）
    "chiiki.talent",  # talent (人材): issue 12
    "chiiki.funding",  # funding: 実装計画・資金循環
]

MIDDLEWARE = [
    "chiiki.core.cache.RequestMemoMiddleware",  # small facts (data versions, sectors) read once per request
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "chiiki.opendata.pageviews.DatasetPageViewMiddleware",  # opendata: counts dataset page views, cached ones too
    "chiiki.core.cache.PublicPageCacheMiddleware",  # anonymous public pages, keyed on data versions (apps declare them)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "chiiki.accounts.middleware.ApiTokenMiddleware",  # Authorization: Bearer on /api/
    "chiiki.core.middleware.NulInRequestLineMiddleware",  # %00 in a path or query: 404/400/422, not a PostgreSQL 500
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "chiiki.core.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
    "chiiki.core.middleware.DatabaseBusyMiddleware",  # a write that lost a lock race: 409 and a message, not 500
    "chiiki.core.errors_views.ErrorPageMiddleware",  # 405 pages; an htmx request without a session gets a fragment
]
CSRF_FAILURE_VIEW = "chiiki.core.errors_views.csrf_failure"

ROOT_URLCONF = "chiiki.urls"
WSGI_APPLICATION = "chiiki.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "chiiki.core.context_processors.site",
            ],
            # Every template's {% url %} remembers its answers per process (chiiki/core/templatetags/memo_url.py).
            "builtins": ["chiiki.core.templatetags.memo_url"],
        },
    },
]

# Seconds a SQLite writer waits for the write lock before the request is answered 409 (never 500).
SQLITE_BUSY_TIMEOUT = 20
_default_sqlite = f"sqlite:///{BASE_DIR / 'var' / 'chiiki.sqlite3'}"
_database_url = os.environ.get("DATABASE_URL", "").strip() or _default_sqlite
try:
    # Persistent connections by default (docs/decisions/0014-fast-by-default.md): opening a PostgreSQL connection
    # costs more than a cached page; health checks replace a connection the server closed before it is used.
    _db = dj_database_url.parse(_database_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 600, minimum=0),
                                conn_health_checks=True)
except Exception as exc:  # dj_database_url raises several types for malformed URLs
    raise ImproperlyConfigured(f"DATABASE_URL: cannot parse {_database_url!r}: {exc}") from None
if _db.get("ENGINE") not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
    raise ImproperlyConfigured(f"DATABASE_URL: only sqlite:// and postgres:// are supported, got {_database_url!r}")
if _db["ENGINE"] == "django.db.backends.sqlite3":
    Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True) if _db["NAME"] not in ("", ":memory:") else None
    # An embedded database under concurrent requests (docs/decisions/0010-sqlite-under-concurrency.md):
    # BEGIN IMMEDIATE takes the write lock when a transaction starts, so a writer waits (busy timeout) instead
    # of failing with "database is locked" when it upgrades a read; WAL lets reads run beside the writer.
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"].update({
        "transaction_mode": "IMMEDIATE",
        "timeout": SQLITE_BUSY_TIMEOUT,  # the busy timeout (sqlite3_busy_timeout), in seconds
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })
    # Tests run on a file, like production: pytest-django's live server shares one connection for an in-memory
    # database, so concurrent requests (and their locking) could not be exercised on one.
    _db.setdefault("TEST", {})["NAME"] = (os.environ.get("SQLITE_TEST_NAME")
                                          or str(Path(tempfile.gettempdir()) / f"chiiki-test-{os.getpid()}.sqlite3"))
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "chiiki.accounts.hashers.BoundedArgon2PasswordHasher",  # Argon2id at 19 MiB per check, not Django's 100 MB
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:mypage"
LOGOUT_REDIRECT_URL = "home"

# Login throttling: 5 failures per username+IP lock for 30 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)

# 年度 a progress record may have: from the roadmap's first survey year to next 年度 (reports run a year ahead
# at most). Plans look further ahead with their own window.
PROGRESS_FIRST_FISCAL_YEAR = env_int("PROGRESS_FIRST_FISCAL_YEAR", 2016, minimum=1990, maximum=2100)
PROGRESS_YEARS_AHEAD = env_int("PROGRESS_YEARS_AHEAD", 1, minimum=0, maximum=10)
AXES_COOLOFF_TIME = 0.5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "ja"
# Our corrections to Django's Japanese messages (chiiki/locale/ja/LC_MESSAGES/django.po).
LOCALE_PATHS = [BASE_DIR / "chiiki" / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# collectstatic's target (production). Under DEBUG whitenoise serves from the finders; the directory
# only has to exist so whitenoise does not warn about it.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "var" / "staticfiles")
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "chiiki@localhost")
CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL", DEFAULT_FROM_EMAIL)  # shown on error pages as 事務局の連絡先
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000")

# Where load_boundaries looks when no path is given (development and CI use ../shared).
BOUNDARIES_DIR = os.environ.get("BOUNDARIES_DIR", str(BASE_DIR.parent / "shared" / "data" / "boundaries"))

# Bounded imports, the same on every path (command, web upload, API): a larger file is refused before it is
# parsed, and a sheet with a value beyond these rows or columns is refused as soon as the reader meets it.
# The row default fits 10 年度 × 1,741 団体 × 8 分野 (139,280 rows) with room to spare.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 20 * 1024 * 1024, minimum=1)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 200_000, minimum=2)
IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 200, minimum=1, maximum=16_384)
# Seconds one import may spend reading and checking its file before it stops (nothing written).
IMPORT_TIME_BUDGET = env_int("IMPORT_TIME_BUDGET", 120, minimum=1, maximum=3600)

# opendata (issue 15): resource files under var/ by default, an S3-compatible bucket when OPENDATA_S3_BUCKET
# is set (django-storages; credentials from AWS_* variables as django-storages reads them); upload size limit.
OPENDATA_FILES_DIR = Path(os.environ.get("OPENDATA_FILES_DIR") or BASE_DIR / "var" / "opendata")
OPENDATA_MAX_UPLOAD_BYTES = env_int("OPENDATA_MAX_UPLOAD_BYTES", 50 * 1024 * 1024, minimum=1)
OPENDATA_STORAGE = ({"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
    "bucket_name": os.environ["OPENDATA_S3_BUCKET"],
    "endpoint_url": os.environ.get("OPENDATA_S3_ENDPOINT_URL") or None}}
    if os.environ.get("OPENDATA_S3_BUCKET") else None)

SESSION_ENGINE = "chiiki.accounts.sessions"  # Django's database sessions, read without building a queryset
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # scripts never read the cookie: htmx sends the token from hx-headers on <body>
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy: everything is served from our own origin (no CDN).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)
CSP_ENABLED = env_bool("CSP_ENABLED", PRODUCTION)



def env_cache(name: str) -> dict:
    """CACHE_URL: unset, empty or `locmem://` → this process's memory, bounded in bytes; `redis://host:port/db`
    (or `rediss://`, with an optional `user:password@`) → Django's RedisCache, shared by every worker."""
    raw = os.environ.get(name, "").strip()
    if raw in ("", "locmem://"):
        return {"BACKEND": "chiiki.core.cache.BoundedLocMemCache", "LOCATION": "chiiki",
                "OPTIONS": {"MAX_BYTES": CACHE_MAX_BYTES, "MAX_ENTRY_BYTES": CACHE_ENTRY_MAX_BYTES}}
    problem = f"{name}: expected locmem:// or redis://host:port/db, got {raw!r}"
    parsed = urlsplit(raw)
    try:
        port = parsed.port
    except ValueError:
        raise ImproperlyConfigured(problem) from None
    database = parsed.path.lstrip("/")
    if (parsed.scheme not in ("redis", "rediss") or not parsed.hostname or parsed.query or parsed.fragment
            or (database and not database.isdigit()) or (port is not None and not 0 < port < 65536)):
        raise ImproperlyConfigured(problem)
    # Keyed per release (chiiki/release.py): a deploy never reads what the previous code rendered or pickled.
    prefix = "chiiki:" + release_key(BASE_DIR)
    return {"BACKEND": "chiiki.core.cache.ResilientRedisCache", "LOCATION": raw, "KEY_PREFIX": prefix,
            # A down Redis must not hang or fail requests: fail fast, then serve without the cache for a while.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}


# The embedded cache's bound per worker, and the largest value any cache stores (a bigger page is served but not
# kept). Redis is bounded by its own maxmemory (README); the entry cap applies there too.
CACHE_MAX_BYTES = env_int("CACHE_MAX_BYTES", 64 * 1024 * 1024, minimum=1024 * 1024)
CACHE_ENTRY_MAX_BYTES = env_int("CACHE_ENTRY_MAX_BYTES", 1024 * 1024, minimum=1024)
CACHES = {"default": env_cache("CACHE_URL")}
# How long a worker trusts the data versions it read to confirm a cached page (0: ask the database every time),
# and how many bytes of recently served pages it keeps in its own memory in front of a shared cache (Redis).
# A public page is at most PAGE_CACHE_VERSIONS_TTL_MS behind a write made in another worker (ADR 0014).
PAGE_CACHE_VERSIONS_TTL = env_int("PAGE_CACHE_VERSIONS_TTL_MS", 1000, minimum=0, maximum=60_000) / 1000
PAGE_CACHE_LOCAL_MAX_BYTES = env_int("PAGE_CACHE_LOCAL_MAX_BYTES", 16 * 1024 * 1024, minimum=0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_client_error_traceback": {"()": "chiiki.core.errors_views.ClientErrorTracebackFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["no_client_error_traceback"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
