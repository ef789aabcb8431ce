"""The production server file (gunicorn.conf.py, README 「本番での起動」, ADR 0021): what it starts, and that the
benchmarks and the API contract run the same file."""

import http.client
import os
import runpy
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[3]
CONFIG = BASE_DIR / "gunicorn.conf.py"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "chiiki.settings", "DEBUG": "false",
           "SECRET_KEY": "test-only-secret-key-0123456789abcdef-production-server", "ALLOWED_HOSTS": "127.0.0.1",
           "SECURE_SSL_REDIRECT": "false", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "STATIC_ROOT": str(tmp_path / "static"), "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"}
    env.pop("CACHE_URL", None)
    process = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", str(CONFIG)],
                               cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(300):
            if process.poll() is not None:
                pytest.fail(process.stderr.read().decode())
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_file_starts_the_application_and_closes_each_connection(server):
    """keepalive = 0: a client's connection never stays on one worker (ADR 0021)."""
    connection = http.client.HTTPConnection("127.0.0.1", server, timeout=30)
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    body = response.read()
    assert response.status == 200, body
    assert response.getheader("Connection") == "close"
    assert response.will_close
    connection.close()


def test_the_worker_count_follows_the_environment_and_refuses_nonsense(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "6")
    settings = runpy.run_path(str(CONFIG))
    assert (settings["workers"], settings["threads"], settings["worker_class"], settings["keepalive"]) == (
        3, 6, "gthread", 0)
    monkeypatch.delenv("WEB_CONCURRENCY")
    assert settings["wsgi_app"] == "chiiki.wsgi:application"
    assert 1 <= runpy.run_path(str(CONFIG))["workers"] <= 8
    monkeypatch.setenv("WEB_CONCURRENCY", "zero")
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY は 1〜64 の整数"):
        runpy.run_path(str(CONFIG))


def test_benchmarks_and_the_contract_start_gunicorn_with_the_file():
    """Issue 10: the benchmark runs the documented production settings, nothing tuned beyond them."""
    sys.path.insert(0, str(BASE_DIR / "bench"))
    try:
        import common
    finally:
        sys.path.remove(str(BASE_DIR / "bench"))
    assert common.GUNICORN_ARGS == ["-c", str(CONFIG)]
    contract = (BASE_DIR / "scripts" / "api_contract.sh").read_text()
    assert "gunicorn -c gunicorn.conf.py" in contract
    assert "--workers" not in contract and "--threads" not in contract
    assert "gunicorn -c gunicorn.conf.py" in (BASE_DIR / "README.md").read_text()
