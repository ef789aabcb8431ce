"""Login, logout, throttling, password hashing and CSRF on the account forms."""

import re

import pytest
from django.test import Client

from chiiki.accounts.models import Role, User
from chiiki.conftest import PASSWORD

LOGIN = "/accounts/login/"


def _login(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_login_page_is_japanese(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>ログイン</h1>" in html
    assert "ユーザー名" in html and "パスワード" in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_login_success_goes_to_mypage(client, users):
    response = _login(client, "hachioji", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/mypage/"
    assert client.get("/accounts/mypage/").status_code == 200


def test_login_respects_safe_next_only(client, users):
    response = client.post(LOGIN, {"username": "hachioji", "password": PASSWORD, "next": "/history/"})
    assert response["Location"] == "/history/"
    other = Client()
    response = other.post(LOGIN, {"username": "hachioji", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/accounts/mypage/"


def test_wrong_password_shows_japanese_error(client, users):
    response = _login(client, "hachioji", "wrong-password")
    assert response.status_code == 200
    html = response.content.decode()
    assert "ユーザー名またはパスワードが正しくありません" in html
    assert 'role="alert"' in html
    assert 'value="hachioji"' in html  # what was typed is kept
    assert "_auth_user_id" not in client.session


def test_empty_form_names_missing_fields(client, db):
    html = _login(client, "", "").content.decode()
    assert "ユーザー名を入力してください。" in html and "パスワードを入力してください。" in html


def test_inactive_user_cannot_log_in(client, users):
    users["hachioji"].is_active = False
    users["hachioji"].save()
    response = _login(client, "hachioji", PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_five_failures_lock_out_even_the_right_password(client, users):
    for _ in range(4):
        assert _login(client, "hachioji", "wrong-password").status_code == 200
    fifth = _login(client, "hachioji", "wrong-password")
    assert fifth.status_code == 429
    response = _login(client, "hachioji", PASSWORD)
    assert response.status_code == 429
    html = response.content.decode()
    assert "ログインを一時停止しました" in html and "30分間" in html
    assert "_auth_user_id" not in client.session
    # The lock is per username + IP: another user from the same address can still sign in.
    assert _login(Client(), "sapporo", PASSWORD).status_code == 302
    # …and the same user from another address too.
    assert _login(Client(), "hachioji", PASSWORD, REMOTE_ADDR="192.0.2.10").status_code == 302


def test_success_resets_the_failure_count(client, users):
    for _ in range(4):
        _login(client, "hachioji", "wrong-password")
    assert _login(client, "hachioji", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(4):
        assert _login(client, "hachioji", "wrong-password").status_code == 200
    assert _login(client, "hachioji", PASSWORD).status_code == 302


def test_passwords_are_hashed_with_argon2(db, settings):
    settings.PASSWORD_HASHERS = [
        "chiiki.accounts.hashers.BoundedArgon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = User.objects.create_user("argon", password="long-enough-password-1", role=Role.COMPANY)
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("long-enough-password-1")
    assert _login(Client(), "argon", "long-enough-password-1").status_code == 302


def test_a_password_check_allocates_19_mib_not_100(db, settings):
    """Django's Argon2 defaults allocate 100 MB per check (a login doubled a worker's peak memory)."""
    settings.PASSWORD_HASHERS = ["chiiki.accounts.hashers.BoundedArgon2PasswordHasher"]
    user = User.objects.create_user("bounded", password="long-enough-password-1", role=Role.COMPANY)
    user.refresh_from_db()
    assert "$m=19456,t=2,p=1$" in user.password


def test_a_hash_made_with_djangos_defaults_still_signs_in_and_is_rehashed(db, settings):
    from django.contrib.auth.hashers import Argon2PasswordHasher

    settings.PASSWORD_HASHERS = ["chiiki.accounts.hashers.BoundedArgon2PasswordHasher"]
    user = User.objects.create_user("legacy", role=Role.COMPANY)
    User.objects.filter(pk=user.pk).update(password=Argon2PasswordHasher().encode("long-enough-password-1", "saltsaltsalt"))
    assert "$m=102400,t=2,p=8$" in User.objects.get(pk=user.pk).password
    assert _login(Client(), "legacy", "long-enough-password-1").status_code == 302
    assert "$m=19456,t=2,p=1$" in User.objects.get(pk=user.pk).password


def test_a_password_check_stays_within_its_memory_cost():
    """Peak memory of hashing and checking in a fresh process (VmHWM): about 19 MiB above the idle interpreter,
    not 100."""
    import subprocess
    import sys

    script = (
        "import re\n"
        "def peak(): return int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) // 1024\n"
        "import django; from django.conf import settings\n"
        "settings.configure(PASSWORD_HASHERS=['chiiki.accounts.hashers.BoundedArgon2PasswordHasher'])\n"
        "django.setup()\n"
        "from django.contrib.auth.hashers import make_password, check_password\n"
        "before = peak(); encoded = make_password('long-enough-password-1')\n"
        "assert check_password('long-enough-password-1', encoded)\n"
        "print(peak() - before)\n")
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert int(completed.stdout.strip()) < 40  # Django's defaults: ≈ 100


def test_production_settings_hash_with_argon2_first():
    from chiiki import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0] == "chiiki.accounts.hashers.BoundedArgon2PasswordHasher"


# ---- CSRF ---------------------------------------------------------------------------------------------------


def _csrf_from(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_login_requires_csrf_token(users):
    client = Client(enforce_csrf_checks=True)
    assert _login(client, "hachioji", PASSWORD).status_code == 403
    token = _csrf_from(client.get(LOGIN).content.decode())
    response = client.post(LOGIN, {"username": "hachioji", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_logout_requires_post_and_csrf(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["hachioji"])
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 403
    assert "_auth_user_id" in client.session
    html = client.get("/accounts/mypage/").content.decode()
    logout_form = re.search(r'<form method="post" action="/accounts/logout/".*?</form>', html, re.S).group(0)
    response = client.post("/accounts/logout/", {"csrfmiddlewaretoken": _csrf_from(logout_form)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(("path", "signed_in"), [
    ("/accounts/login/", False), ("/accounts/mypage/", True), ("/accounts/password/", True), ("/history/", True),
    ("/", True),
])
def test_every_post_form_carries_the_csrf_token(client, users, path, signed_in):
    if signed_in:
        client.force_login(users["hachioji"])
    users["hachioji"].api_tokens.create(prefix="chk_abcd", key_hash="x" * 64)  # adds a revoke form
    html = client.get(path).content.decode()
    forms = re.findall(r"<form[^>]*>.*?</form>", html, re.S)
    post_forms = [f for f in forms if re.search(r'method="post"', f, re.I)]
    assert post_forms
    for form in post_forms:
        assert 'name="csrfmiddlewaretoken"' in form, form[:200]


def test_signed_in_user_is_sent_on_from_the_login_page(client_for, users):
    response = client_for(users["hachioji"]).get(LOGIN)
    assert response.status_code == 302 and response["Location"] == "/accounts/mypage/"


def test_header_shows_login_or_mypage_and_logout(client, client_for, users):
    anonymous = client.get("/").content.decode()
    assert 'href="/accounts/login/?next=/"' in anonymous and "ログアウト" not in anonymous
    signed_in = client_for(users["hachioji"]).get("/").content.decode()
    assert 'href="/accounts/mypage/"' in signed_in and 'action="/accounts/logout/"' in signed_in


def test_password_change(client_for, users):
    client = client_for(users["hachioji"])
    page = client.get("/accounts/password/")
    assert page.status_code == 200 and "パスワードの変更" in page.content.decode()
    wrong = client.post("/accounts/password/", {"old_password": "nope", "new_password1": "a-new-pass-2026x",
                                                "new_password2": "a-new-pass-2026x"})
    html = wrong.content.decode()
    assert wrong.status_code == 200 and 'role="alert"' in html
    assert "元のパスワードが間違っています。もう一度入力してください。" in html
    short = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": "short1",
                                                "new_password2": "short1"})
    assert "短すぎ" in short.content.decode()
    done = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": "a-new-pass-2026x",
                                               "new_password2": "a-new-pass-2026x"}, follow=True)
    assert "パスワードを変更しました。" in done.content.decode()
    assert client.get("/accounts/mypage/").status_code == 200  # still signed in
    users["hachioji"].refresh_from_db()
    assert users["hachioji"].check_password("a-new-pass-2026x")


def test_password_change_needs_login(client, db):
    response = client.get("/accounts/password/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("length", [151, 300])
def test_a_user_name_longer_than_any_account_is_refused_in_japanese(client, db, length):
    """It went on to authenticate(); django-axes stored the failed attempt in a varchar(255): a 500 on PostgreSQL."""
    from axes.models import AccessAttempt

    page = client.post("/accounts/login/", {"username": "あ" * length, "password": "x"})
    assert page.status_code == 200 and "ユーザー名は150文字以内で入力してください。" in page.content.decode()
    assert not AccessAttempt.objects.exists()
