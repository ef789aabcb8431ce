"""The WSGI entry point gunicorn loads (chiiki/wsgi.py): the whole application is imported before the first request
and kept out of the garbage collector's full scans (chiiki.core.memory.freeze_startup)."""

import json
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[3]

PROBE = """
import gc, json, sys
import chiiki.wsgi
print(json.dumps({"frozen": gc.get_freeze_count(), "api_loaded": "chiiki.api" in sys.modules,
                  "views_loaded": "chiiki.funding.views" in sys.modules}))
"""


def test_the_worker_loads_every_module_and_freezes_them_at_start(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "chiiki.settings", "DATABASE_URL": f"sqlite:///{tmp_path / 'db'}",
           "STATIC_ROOT": str(tmp_path / "static")}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=BASE_DIR, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["api_loaded"] and probe["views_loaded"]
    assert probe["frozen"] > 100_000  # modules, models and schemas: what a full collection no longer scans
