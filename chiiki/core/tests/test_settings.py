"""Settings come from the environment, parsed strictly; production settings are secure.

Each case starts a fresh interpreter with a crafted environment, because settings are read once at start-up.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[3]
CONFIG_VARIABLES = (
    "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DATABASE_URL", "DB_CONN_MAX_AGE", "SITE_URL",
    "STATIC_ROOT", "CSP_ENABLED", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD",
    "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS",
    "AXES_FAILURE_LIMIT", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE",
    "IMPORT_MAX_BYTES", "IMPORT_MAX_ROWS", "IMPORT_MAX_COLUMNS",
    "CACHE_URL", "CACHE_MAX_BYTES", "CACHE_ENTRY_MAX_BYTES",
)
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3y-for-settings-tests-7f1c0d9e2b8a4c6f5e3d1b0a9c8e7f6d5c4b3a2e1f0d9c8b",
    "ALLOWED_HOSTS": "chiiki.example.go.jp",
}


def run(args: list[str], env: dict[str, str], cwd: Path = BASE_DIR) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env={**clean, **env}, capture_output=True, text=True, timeout=600
    )


def load_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Import the settings module the way start-up does (manage.py and wsgi both import chiiki.settings)."""
    return run(["-c", "import chiiki.settings"], env)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DEBUG": "2"}, "DEBUG"),
        ({"DATABASE_URL": "postgres://user@db:notaport/chiiki"}, "DATABASE_URL"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://user@db/chiiki"}, "DATABASE_URL"),
        ({"DATABASE_URL": "oracle://user@db/chiiki"}, "DATABASE_URL"),
        ({"EMAIL_PORT": "smtp"}, "EMAIL_PORT"),
        ({"EMAIL_PORT": "70000"}, "EMAIL_PORT"),
        ({"EMAIL_USE_TLS": "sometimes"}, "EMAIL_USE_TLS"),
        ({"SITE_URL": "chiiki.example.go.jp"}, "SITE_URL"),
        ({"AXES_FAILURE_LIMIT": "0"}, "AXES_FAILURE_LIMIT"),
        ({"IMPORT_MAX_BYTES": "20MB"}, "IMPORT_MAX_BYTES"),
        ({"IMPORT_MAX_BYTES": "0"}, "IMPORT_MAX_BYTES"),
        ({"IMPORT_MAX_ROWS": "1"}, "IMPORT_MAX_ROWS"),
        ({"IMPORT_MAX_ROWS": "many"}, "IMPORT_MAX_ROWS"),
        ({"IMPORT_MAX_COLUMNS": "16385"}, "IMPORT_MAX_COLUMNS"),
        ({"IMPORT_MAX_COLUMNS": "0"}, "IMPORT_MAX_COLUMNS"),
        ({"CACHE_URL": "memcached://127.0.0.1:11211"}, "CACHE_URL"),
        ({"CACHE_URL": "redis://"}, "CACHE_URL"),
        ({"CACHE_URL": "redis://cache:port/0"}, "CACHE_URL"),
        ({"CACHE_URL": "redis://cache:6379/zero"}, "CACHE_URL"),
        ({"CACHE_URL": "redis://cache:6379/0?timeout=1"}, "CACHE_URL"),
        ({"CACHE_URL": "127.0.0.1:6379"}, "CACHE_URL"),
        ({"CACHE_MAX_BYTES": "64MB"}, "CACHE_MAX_BYTES"),
        ({"CACHE_ENTRY_MAX_BYTES": "10"}, "CACHE_ENTRY_MAX_BYTES"),
        ({"DB_CONN_MAX_AGE": "-1"}, "DB_CONN_MAX_AGE"),
        ({"DEBUG": "false"}, "SECRET_KEY"),
        ({"DEBUG": "false", "SECRET_KEY": PRODUCTION["SECRET_KEY"]}, "ALLOWED_HOSTS"),
        ({"DEBUG": "false", "SECRET_KEY": PRODUCTION["SECRET_KEY"], "ALLOWED_HOSTS": " , "}, "ALLOWED_HOSTS"),
    ],
)
def test_bad_configuration_stops_start_up_naming_the_variable(env, variable):
    result = load_settings(env)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: ")
    assert f": {variable}:" in last_line


def test_bad_configuration_stops_manage_py(tmp_path):
    result = run([str(BASE_DIR / "manage.py"), "check"], {"DEBUG": "false"}, cwd=tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY: required when DEBUG is off" in result.stderr


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("ON", True), ("1", True), ("no", False), ("0", False)])
def test_debug_accepts_the_usual_spellings(raw, expected):
    env = {**PRODUCTION, "DEBUG": raw}
    result = run(["-c", "import chiiki.settings as s; print(s.DEBUG)"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(expected)


def test_defaults_are_a_local_development_setup():
    script = textwrap.dedent(
        """
        import json
        import chiiki.settings as s
        print(json.dumps({"debug": s.DEBUG, "engine": s.DATABASES["default"]["ENGINE"],
                          "name": str(s.DATABASES["default"]["NAME"]), "email": s.EMAIL_BACKEND,
                          "imports": [s.IMPORT_MAX_BYTES, s.IMPORT_MAX_ROWS, s.IMPORT_MAX_COLUMNS]}))
        """
    )
    result = run(["-c", script], {})
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["debug"] is True
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(BASE_DIR / "var" / "chiiki.sqlite3")
    assert values["email"] == "django.core.mail.backends.console.EmailBackend"
    assert values["imports"] == [20 * 1024 * 1024, 200_000, 200]  # 10 年度 × 1,741 × 8 = 139,280 rows fit


def test_defaults_keep_connections_and_a_byte_bounded_local_cache():
    script = textwrap.dedent(
        """
        import json
        import chiiki.settings as s
        d, c = s.DATABASES["default"], s.CACHES["default"]
        print(json.dumps([d["CONN_MAX_AGE"], d["CONN_HEALTH_CHECKS"], c["BACKEND"], c["OPTIONS"]]))
        """
    )
    for env in ({}, {"DATABASE_URL": "postgres://chiiki@db.internal:5433/chiiki_prod"}):
        result = run(["-c", script], env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == [600, True, "chiiki.core.cache.BoundedLocMemCache",
                                             {"MAX_BYTES": 64 * 1024 * 1024, "MAX_ENTRY_BYTES": 1024 * 1024}]
    result = run(["-c", "import chiiki.settings as s; print(s.DATABASES['default']['CONN_MAX_AGE'])"],
                 {"DB_CONN_MAX_AGE": "0"})
    assert result.stdout.strip() == "0", result.stderr


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6390/0", "rediss://user:secret@cache.internal:6380/2",
                                 "redis://cache.internal"])
def test_a_redis_cache_url_selects_djangos_redis_backend(url):
    script = "import chiiki.settings as s; c = s.CACHES['default']; print(c['BACKEND'], c['LOCATION'])"
    result = run(["-c", script], {"CACHE_URL": url})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["chiiki.core.cache.ResilientRedisCache", url]


def test_a_shared_cache_keys_every_value_under_the_release():
    """Redis outlives the workers: a deploy must not serve the previous release's pages or unpickle its values."""
    from chiiki.release import release_key

    script = "import chiiki.settings as s; print(s.CACHES['default']['KEY_PREFIX'])"
    result = run(["-c", script], {"CACHE_URL": "redis://127.0.0.1:6379/0"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "chiiki:" + release_key(BASE_DIR)


def test_the_release_fingerprint_follows_every_file_a_deploy_replaces(tmp_path, monkeypatch):
    from chiiki.release import release_key

    package, templates, static, data = (tmp_path / name for name in ("chiiki", "templates", "static", "data"))
    (package / "core" / "templates").mkdir(parents=True)
    (package / "core" / "templates" / "page.html").write_text("<p>{{ a }}</p>")
    (package / "views.py").write_text("x = 1\n")
    templates.mkdir()
    (templates / "base.html").write_text("<main></main>")
    static.mkdir()
    (static / "site.css").write_text("p { color: #000 }")
    data.mkdir()
    (data / "standard_datasets.csv").write_text("番号,名称\n1,AED設置箇所一覧\n")
    (tmp_path / "var").mkdir()
    seen = {release_key(tmp_path)}
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "views.cpython-311.pyc").write_bytes(b"\0")  # bytecode follows the sources
    (tmp_path / "var" / "chiiki.sqlite3").write_bytes(b"data")  # what the site writes is not the release
    assert release_key(tmp_path) in seen
    for change in (lambda: (package / "core" / "templates" / "page.html").write_text("<p>{{ b }}</p>"),
                   lambda: (templates / "base.html").write_text("<main class=x></main>"),
                   lambda: (static / "site.css").write_text("p { color: #111 }"),
                   lambda: (data / "standard_datasets.csv").write_text("番号,名称\n1,AED設置箇所一覧（更新）\n"),
                   lambda: (package / "views.py").rename(package / "other.py"),  # the same content elsewhere
                   lambda: (package / "new.py").write_text("")):
        change()
        now = release_key(tmp_path)
        assert now not in seen
        seen.add(now)
    # An upgraded dependency (its objects are pickled in the cache) is another release too.
    from chiiki import release

    real = release.distributions
    monkeypatch.setattr(release, "distributions", lambda: [type("D", (), {"metadata": {"Name": "Django"},
                                                                           "version": "9.9"})(), *real()])
    assert release_key(tmp_path) not in seen


def test_postgres_url_selects_postgresql():
    result = run(
        ["-c", "import chiiki.settings as s; d = s.DATABASES['default']; print(d['ENGINE'], d['NAME'], d['PORT'])"],
        {"DATABASE_URL": "postgres://chiiki@db.internal:5433/chiiki_prod"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "chiiki_prod", "5433"]


def test_production_settings_pass_the_deployment_checklist(tmp_path):
    env = {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "STATIC_ROOT": str(tmp_path / "static")}
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


PRODUCTION_RESPONSES = textwrap.dedent(
    """
    import json
    import django
    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    client = Client(HTTP_HOST="chiiki.example.go.jp")
    plain = client.get("/accounts/login/")
    secure = client.get("/accounts/login/", secure=True)
    cookies = {name: {"secure": bool(c["secure"]), "httponly": bool(c["httponly"]), "samesite": c["samesite"]}
               for name, c in secure.cookies.items()}
    print(json.dumps({
        "plain_status": plain.status_code,
        "plain_location": plain.get("Location"),
        "status": secure.status_code,
        "headers": dict(secure.headers),
        "cookies": cookies,
        "hasher": __import__("django.contrib.auth.hashers", fromlist=["x"]).make_password("pw").split("$")[0],
    }))
    """
)


@pytest.fixture(scope="module")
def production_response(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("production")
    env = {
        **PRODUCTION,
        "DJANGO_SETTINGS_MODULE": "chiiki.settings",
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "STATIC_ROOT": str(tmp / "static"),
    }
    result = run(["-c", PRODUCTION_RESPONSES], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_redirects_plain_http_to_https(production_response):
    assert production_response["plain_status"] == 301
    assert production_response["plain_location"] == "https://chiiki.example.go.jp/accounts/login/"


def test_production_sends_hsts_and_content_security_policy(production_response):
    assert production_response["status"] == 200
    headers = production_response["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_production_cookies_are_secure(production_response):
    csrf = production_response["cookies"]["csrftoken"]
    assert csrf["secure"] is True
    assert csrf["httponly"] is True
    assert csrf["samesite"] == "Lax"


def test_production_hashes_passwords_with_argon2(production_response):
    assert production_response["hasher"] == "argon2"


def test_session_cookie_is_secure_and_http_only_in_production():
    script = "import chiiki.settings as s; print(s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_SECURE)"
    result = run(["-c", script], PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True"]


def test_development_has_no_csp_or_hsts(client, db):
    response = client.get("/healthz")
    assert "Strict-Transport-Security" not in response
    assert "Content-Security-Policy" not in response


def test_argon2_is_the_password_hasher(django_user_model, db):
    from django.conf import settings

    assert settings.PASSWORD_HASHERS[0] == "chiiki.accounts.hashers.BoundedArgon2PasswordHasher"
    user = django_user_model(username="hasher-check")
    user.set_password("a-long-test-password")
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("a-long-test-password")
