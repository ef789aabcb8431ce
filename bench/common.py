"""Shared by the HTTP benchmarks: the documented production server (gunicorn with the repository's gunicorn.conf.py,
DEBUG=false, whitenoise) on loopback, wrk (installed with apt when missing) and writing one section of
bench/README.md without touching the others."""

import json
import os
import re
import runpy
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
README = ROOT / "bench" / "README.md"

# What the benches run: the README's production server file, for the pages and the static files alike.
GUNICORN_CONFIG = ROOT / "gunicorn.conf.py"
GUNICORN_ARGS = ["-c", str(GUNICORN_CONFIG)]
_SERVER = runpy.run_path(str(GUNICORN_CONFIG))
GUNICORN_LABEL = (f"gunicorn（`gunicorn.conf.py` のまま: {_SERVER['workers']}ワーカー × {_SERVER['threads']}スレッド "
                  f"{_SERVER['worker_class']}・keep-alive {'なし' if _SERVER['keepalive'] == 0 else str(_SERVER['keepalive']) + '秒'}、"
                  "DEBUG=false、whitenoise）")

# Prints one JSON line with wrk's own counters and latency percentiles (ms); parsed by wrk_finish().
WRK_REPORT_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("JSON{\\"requests\\": %d, \\"duration_us\\": %d, \\"errors\\": %d, \\"p50_ms\\": %.3f, \\"p95_ms\\": %.3f, \\"p99_ms\\": %.3f}\\n",
    summary.requests, summary.duration, summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk が見つかりません（Debian: apt-get install wrk）")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200, (url, response.status)
        return response.read()


def production_env(static_root: Path, **extra: str) -> dict:
    """The README's production settings (DEBUG off) for a loopback server; extra variables on top.

    Settings the README documents a default for are not inherited from the caller (a DB_CONN_MAX_AGE or
    CACHE_URL in the shell would otherwise tune the bench beyond what people are told to run)."""
    inherited = {k: v for k, v in os.environ.items() if k not in ("DB_CONN_MAX_AGE", "CACHE_URL", "LOG_LEVEL")}
    return {**inherited, "DEBUG": "false", "SECRET_KEY": "bench-only-secret-key-0123456789abcdef",
            "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "false", "STATIC_ROOT": str(static_root),
            **extra}


def collectstatic(env: dict) -> None:
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)


@contextmanager
def gunicorn(env: dict, port: int, log: Path | None = None):
    """Serve chiiki on 127.0.0.1:port until the block ends; yields the base URL once /healthz answers."""
    base = f"http://127.0.0.1:{port}"
    stderr = open(log, "ab") if log else None  # noqa: SIM115 - closed in finally, after the server
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "chiiki.wsgi:application",
                               *GUNICORN_ARGS, "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
                              cwd=ROOT, env=env, stderr=stderr)
    try:
        for _ in range(150):
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn が終了しました（終了コード {server.returncode}）")
            try:
                fetch(base + "/healthz")
                break
            except Exception:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn が30秒以内に応答しませんでした")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        if stderr:
            stderr.close()


def wrk_start(url: str, lua: Path, *, threads: int, connections: int, duration: str,
              timeout: str = "10s") -> subprocess.Popen:
    return subprocess.Popen([ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{duration}", "--timeout", timeout,
                             "-s", str(lua), url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wrk_finish(process: subprocess.Popen, timeout: float | None = None) -> dict:
    """The JSON line the script's done() printed, with req/s added (wrk is killed after timeout seconds)."""
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise RuntimeError(f"wrk が {timeout} 秒で終わりませんでした") from None
    if process.returncode != 0:
        raise RuntimeError(f"wrk が失敗しました（{process.returncode}）: {stderr.strip()}")
    line = next(line for line in stdout.splitlines() if line.startswith("JSON"))
    data = json.loads(line[4:])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


def wrk(url: str, lua: Path, **options) -> dict:
    return wrk_finish(wrk_start(url, lua, **options))


def _section_bounds(text: str, title: str) -> tuple[int, int] | None:
    """Where the `## title` section (its heading line up to the next `## `) sits in text."""
    match = re.search(rf"^{re.escape(title)}$", text, re.M)
    if not match:
        return None
    following = text.find("\n## ", match.end())
    return match.start(), len(text) if following == -1 else following + 1


def write_section(section: str, title: str) -> None:
    """Replace (or append) the whole `title` section of bench/README.md; section starts with its title line."""
    text = README.read_text(encoding="utf-8") if README.exists() else "# ベンチマーク\n\n"
    bounds = _section_bounds(text, title)
    section = section.rstrip("\n") + "\n"
    if bounds is None:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        start, end = bounds
        text = text[:start] + section + ("\n" + text[end:] if end < len(text) else "")
    README.write_text(text, encoding="utf-8")


def write_subsection(section_title: str, intro: str, title: str, body: str) -> None:
    """Replace (or add) `### title` inside the `section_title` section, leaving its other subsections alone."""
    text = README.read_text(encoding="utf-8") if README.exists() else "# ベンチマーク\n"
    if _section_bounds(text, section_title) is None:
        text = text.rstrip("\n") + f"\n\n{section_title}\n\n{intro}\n"
    start, end = _section_bounds(text, section_title)
    next_section = end < len(text)
    section = text[start:end]
    block = f"### {title}\n\n{body.strip()}\n\n"
    pattern = re.compile(rf"### {re.escape(title)}\n.*?(?=\n### |\Z)", re.S)
    if pattern.search(section):
        section = pattern.sub(lambda _m: block.rstrip("\n") + "\n", section)
    else:
        section = section.rstrip("\n") + "\n\n" + block
    if not section.endswith("\n\n") and next_section:
        section = section.rstrip("\n") + "\n\n"
    README.write_text(text[:start] + section + text[end:], encoding="utf-8")
