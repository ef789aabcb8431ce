"""The production server's settings (README 「本番での起動」): `gunicorn -c gunicorn.conf.py`.

`make bench` and `make contract` start gunicorn with this same file, so what is measured is what is documented.
Why each value: docs/decisions/0021-production-server.md.
"""

import os


def _count(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        raise SystemExit(f"{name} は 1〜64 の整数で指定してください（{raw!r}）")
    return int(raw)


wsgi_app = "chiiki.wsgi:application"
bind = os.environ.get("BIND", "127.0.0.1:8000")
worker_class = "gthread"
# One process per core this process may run on, at most 8 unless WEB_CONCURRENCY says otherwise: Python runs one
# thread at a time per process, so more processes than cores only add memory (each worker ≤ 200 MB, issue 10) and
# database connections; the threads overlap database and network waits.
_usable_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2)  # not on macOS
workers = _count("WEB_CONCURRENCY", min(_usable_cores, 8))
threads = _count("GUNICORN_THREADS", 4)
# No keep-alive: a gthread worker keeps serving the connections it accepted, so a few persistent clients could all
# sit on one worker while the other idles (measured: the same static file at ≈ 1,300 or ≈ 5,000 req/s from run to
# run). Closing after each response lets every request be accepted by whichever worker is free. A reverse proxy in
# front keeps its own keep-alive to browsers.
keepalive = 0
