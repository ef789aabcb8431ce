import pytest
from django.core.exceptions import PermissionDenied

from chiiki.core.models import ChangeRecord
from chiiki.regions.actions import update_municipality_attributes
from chiiki.regions.models import Municipality

URL = "/regions/municipalities/132012/edit/"
DATA = {"fiscal_strength_index": "0.85", "depopulated": "false", "remote_island": "", "mountainous": "true"}


def post(client, version=1, **extra):
    return client.post(URL, {**DATA, "version": version, **extra})


@pytest.mark.parametrize("who", [None, "advisor", "company", "aogashima", "sapporo", "tokyo", "hachioji", "admin"])
def test_edit_form_visibility(users, client_for, who):
    user = users[who] if who else None
    page = client_for(user).get("/regions/municipalities/132012/").content.decode()
    may_edit = who in ("tokyo", "hachioji", "admin")
    assert (URL in page) == may_edit


def test_anonymous_is_sent_to_login(users, client):
    for response in (client.get(URL), post(client)):
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert Municipality.objects.get(code="132012").fiscal_strength_index is None


@pytest.mark.parametrize("who", ["advisor", "company", "aogashima", "sapporo"])
def test_others_are_forbidden(users, client_for, who):
    client = client_for(users[who])
    assert client.get(URL).status_code == 403
    assert post(client).status_code == 403
    assert Municipality.objects.get(code="132012").fiscal_strength_index is None
    assert not ChangeRecord.objects.exists()


@pytest.mark.parametrize("who", ["hachioji", "tokyo", "admin"])
def test_own_staff_prefecture_staff_and_admin_save(users, client_for, who):
    client = client_for(users[who])
    assert client.get(URL).status_code == 200
    response = post(client)
    assert response.status_code == 302 and response["Location"] == "/regions/municipalities/132012/"
    m = Municipality.objects.get(code="132012")
    assert (str(m.fiscal_strength_index), m.depopulated, m.remote_island, m.mountainous) == ("0.85", False, None, True)
    assert m.version == 2
    record = ChangeRecord.objects.get(object_id="132012")
    assert record.actor == users[who] and record.source == "web"
    # The officer's 財政力指数 is recorded as theirs (a published figure would carry its 決算年度 and source).
    assert record.before == {"fiscal_strength_index": None, "depopulated": None, "mountainous": None,
                             "fiscal_strength_source": ""}
    assert record.after == {"fiscal_strength_index": "0.85", "depopulated": False, "mountainous": True,
                            "fiscal_strength_source": "団体による登録"}
    html = client.get("/regions/municipalities/132012/").content.decode()
    assert "団体情報を保存しました" in html and "0.85 <span class=\"muted small\">（団体による登録）</span>" in html


def test_prefecture_staff_cannot_edit_another_prefecture(users, client_for):
    client = client_for(users["tokyo"])
    assert client.get("/regions/municipalities/011002/edit/").status_code == 403


def test_stale_version_is_refused(users, client_for):
    first, second = client_for(users["hachioji"]), client_for(users["tokyo"])
    assert post(first, version=1).status_code == 302
    response = post(second, version=1, fiscal_strength_index="0.10")
    html = response.content.decode()
    assert response.status_code == 409 and "ほかの人が先に保存しました。あなたの入力は消さずに残しています" in html
    assert str(Municipality.objects.get(code="132012").fiscal_strength_index) == "0.85"
    assert ChangeRecord.objects.count() == 1
    # What was typed stays, with the other person's value beside it; the version moves on, so saving again is a
    # deliberate overwrite.
    assert 'value="0.10"' in html and "ほかの人が保存した内容:</span> 0.85" in html
    assert 'name="version" value="2"' in html
    assert post(second, version=2, fiscal_strength_index="0.10").status_code == 302
    assert str(Municipality.objects.get(code="132012").fiscal_strength_index) == "0.10"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("fiscal_strength_index", "abc", "数値"),
    ("fiscal_strength_index", "12", "9.99"),
    ("depopulated", "maybe", "maybe"),
])
def test_invalid_input_is_explained(users, client_for, field, value, message):
    response = post(client_for(users["hachioji"]), **{field: value})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not ChangeRecord.objects.exists()


def test_unchanged_save_records_nothing(users, client_for):
    client = client_for(users["hachioji"])
    post(client)
    post(client, version=2)
    assert ChangeRecord.objects.count() == 1
    assert Municipality.objects.get(code="132012").version == 2


def test_action_used_directly_checks_permission(users):
    m = Municipality.objects.get(code="132012")
    with pytest.raises(PermissionDenied):
        update_municipality_attributes(users["aogashima"], m, {"depopulated": True})
    with pytest.raises(ValueError, match="変更できない項目"):
        update_municipality_attributes(users["admin"], m, {"name": "x"})


def test_cached_public_page_shows_an_edit_on_the_next_request(users, client_for, stored_pages):
    anonymous = client_for(None)
    before = anonymous.get("/regions/municipalities/132012/").content.decode()
    assert "0.85" not in before and stored_pages() == 1
    assert anonymous.get("/regions/municipalities/132012/").content.decode() == before  # from the cache
    assert post(client_for(users["hachioji"])).status_code == 302
    assert "0.85" in anonymous.get("/regions/municipalities/132012/").content.decode()
    assert "0.85" in anonymous.get("/api/v1/municipalities/132012").content.decode()
