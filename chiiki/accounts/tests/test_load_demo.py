"""python manage.py load_demo: refuses in production, needs the register, idempotent, prints the logins."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from chiiki.accounts.management.commands import load_demo
from chiiki.accounts.models import Role, User

ROOT = Path(__file__).resolve().parents[3]
CALLS = []


def fake_loader(*, stdout, actor):
    CALLS.append(stdout)
    return "テスト用ローダー: 3件"


@pytest.fixture
def nagano(db):
    """長野県 and the three demo municipalities, as load_reference would create them."""
    from chiiki.regions.models import Municipality, Prefecture

    prefecture = Prefecture.objects.create(code="20", lg_code="200000", name="長野県", kana="ナガノケン")
    for code, name, kana, kind in [("202011", "長野市", "ナガノシ", "core_city"), ("202151", "塩尻市", "シオジリシ", "city"),
                                   ("204072", "阿智村", "アチムラ", "village")]:
        Municipality.objects.create(code=code, prefecture=prefecture, name=name, kana=kana, kind=kind)
    return prefecture


@pytest.fixture
def only_fake_loader(monkeypatch, settings):
    settings.DEBUG = True  # pytest-django runs tests with DEBUG off; load_demo is for development
    CALLS.clear()
    monkeypatch.setattr(load_demo, "DEMO_LOADERS", ["chiiki.accounts.tests.test_load_demo.fake_loader"])


def _run():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@override_settings(DEBUG=False)
def test_refuses_under_production_settings(nagano):
    with pytest.raises(CommandError, match="本番設定（DEBUG=False）ではデモデータを読み込めません"):
        _run()
    assert not User.objects.exists()


def test_refusal_exits_non_zero_from_the_shell():
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "test-only-secret-key-for-refusal", "ALLOWED_HOSTS": "example.jp"}
    result = subprocess.run([sys.executable, "manage.py", "load_demo"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0
    assert "本番設定（DEBUG=False）ではデモデータを読み込めません" in result.stderr


def test_requires_the_reference_data(db, only_fake_loader):
    with pytest.raises(CommandError, match="load_reference"):
        _run()
    assert not User.objects.exists() and not CALLS


def test_names_missing_municipalities(nagano, only_fake_loader):
    from chiiki.regions.models import Municipality

    Municipality.objects.filter(code="204072").delete()
    with pytest.raises(CommandError, match="204072"):
        _run()
    assert not User.objects.exists()


def test_creates_one_user_per_role_and_prints_the_logins(nagano, only_fake_loader):
    output = _run()
    users = {u.username: u for u in User.objects.select_related("prefecture", "municipality")}
    assert set(users) == {"demo-admin", "demo-pref", "demo-nagano", "demo-shiojiri", "demo-achi", "demo-advisor",
                          "demo-company"}
    assert users["demo-admin"].role == Role.NATIONAL_ADMIN and users["demo-admin"].is_staff
    assert users["demo-pref"].role == Role.PREFECTURE_STAFF and users["demo-pref"].prefecture_id == "20"
    assert {(users[n].municipality_id, users[n].prefecture_id) for n in ("demo-nagano", "demo-shiojiri", "demo-achi")} \
        == {("202011", "20"), ("202151", "20"), ("204072", "20")}
    assert users["demo-advisor"].role == Role.ADVISOR and users["demo-company"].role == Role.COMPANY
    assert all(u.check_password("chiiki-demo-2026") for u in users.values())
    # The table: a header, one line per user, aligned.
    assert "テスト用ローダー: 3件" in output and len(CALLS) == 1
    table = [line for line in output.splitlines() if line.startswith("|")]
    assert [cell.strip() for cell in table[0].split("|")[1:5]] == ["役割", "ユーザー名", "パスワード", "所属"]
    assert len(table) == 8
    assert any("demo-nagano" in line and "市区町村職員" in line and "長野県長野市（202011）" in line for line in table)
    assert any("demo-pref" in line and "長野県（20）" in line for line in table)
    assert len({load_demo._width(line) for line in table}) == 1  # every row as wide as the header


def test_demo_user_can_log_in(nagano, only_fake_loader):
    _run()
    client = Client()
    response = client.post("/accounts/login/", {"username": "demo-achi", "password": "chiiki-demo-2026"})
    assert response.status_code == 302
    assert "阿智村の進捗を更新できます" in client.get("/accounts/mypage/").content.decode()


def test_idempotent_and_resets_passwords(nagano, only_fake_loader):
    _run()
    achi = User.objects.get(username="demo-achi")
    achi.set_password("changed-by-someone-1")
    achi.role = Role.COMPANY
    achi.is_active = False
    achi.save()
    _run()
    assert User.objects.count() == 7
    achi.refresh_from_db()
    assert achi.check_password("chiiki-demo-2026") and achi.role == Role.MUNICIPAL_STAFF and achi.is_active
    assert len(CALLS) == 2


def test_rerun_clears_lockouts(nagano, only_fake_loader):
    _run()
    client = Client()
    for _ in range(5):
        client.post("/accounts/login/", {"username": "demo-nagano", "password": "wrong-password"})
    assert client.post("/accounts/login/", {"username": "demo-nagano", "password": "chiiki-demo-2026"}).status_code == 429
    _run()
    assert client.post("/accounts/login/", {"username": "demo-nagano", "password": "chiiki-demo-2026"}).status_code == 302


def test_codes_match_the_reference_data():
    """The demo municipalities are who the contract says they are, in data/municipalities.csv."""
    import csv

    path = ROOT / "data" / "municipalities.csv"
    with path.open(encoding="utf-8-sig") as f:
        rows = {row["code"]: row for row in csv.DictReader(f)}
    expected = {"202011": "長野市", "202151": "塩尻市", "204072": "阿智村"}
    for spec in load_demo.DEMO_USERS:
        if spec.municipality:
            assert rows[spec.municipality]["name"] == expected[spec.municipality]
            assert rows[spec.municipality]["prefecture_code"] == "20"
    assert {rows[c]["kind"] for c in expected} == {"core_city", "city", "village"}  # three sizes


def test_default_loaders_include_progress():
    assert "chiiki.progress.demo.load" in load_demo.DEMO_LOADERS


def test_logins_are_printed_with_the_given_site_url(nagano, only_fake_loader):
    out = io.StringIO()
    call_command("load_demo", "--site-url", "http://127.0.0.1:8765", stdout=out)
    assert "デモ用ログイン（http://127.0.0.1:8765/accounts/login/）:" in out.getvalue()
    assert "8000" not in out.getvalue()


def test_make_run_prints_the_logins_once_with_its_host_and_port():
    """The run recipe passes its HOST/PORT to load_demo and does not print the file a second time."""
    result = subprocess.run(["make", "-n", "run", "HOST=0.0.0.0", "PORT=8123"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    recipe = result.stdout
    assert 'load_demo --site-url "http://0.0.0.0:8123"' in recipe
    assert "cat var/demo-logins.txt" not in recipe


def test_login_page_lists_the_demo_logins_only_in_development(nagano, only_fake_loader, settings):
    client = Client()
    assert "demo-logins" not in client.get("/accounts/login/").content.decode()  # no demo data yet
    _run()
    html = client.get("/accounts/login/").content.decode()
    assert 'id="demo-logins"' in html and "chiiki-demo-2026" in html
    assert "<code>demo-achi</code></td><td>阿智村</td>" in html and "<code>demo-pref</code>" in html
    settings.DEBUG = False  # production settings: never, even with the demo users present
    html = client.get("/accounts/login/").content.decode()
    assert "demo-logins" not in html and "chiiki-demo-2026" not in html
