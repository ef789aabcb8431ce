"""NUL in a posted value is refused with a Japanese message (422, the typed values kept on the page), never a 500:
PostgreSQL refuses NUL in any query, so a code or choice that an action only looked up failed in the database."""

import json

import pytest

from chiiki.promotion.models import Council, Organisation

pytestmark = pytest.mark.django_db


def test_api_body_with_nul_is_refused_naming_the_field(client_for, users):
    response = client_for(users["admin"]).post(
        "/api/v1/organisations", json.dumps({"name": "NULの組織", "kind": "company", "sectors": ["health\x00"]}),
        content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"] == {"sectors": "制御文字（U+0000 NUL）が含まれています。取り除いてから保存してください"}
    assert not Organisation.objects.exists()


def test_a_choice_with_nul_is_refused_on_the_page(client_for, users):
    page = client_for(users["hachioji"]).post("/promotion/councils/new", {
        "name": "八王子協議会", "prefecture": "13\x00", "municipality": "132012"})
    assert page.status_code == 422
    assert 'value="八王子協議会"' in page.content.decode()
    assert not Council.objects.exists()


def test_a_posted_code_with_nul_names_no_row(client_for, users):
    """funding's plan page looked the posted 分野 up as it came (PostgreSQL: a 500)."""
    page = client_for(users["hachioji"]).post("/funding/plans/new", {
        "owner": "m:132012", "title": "見守り計画", "sector": "education\x00", "start_year": "2026"})
    assert page.status_code == 422
    assert 'value="見守り計画"' in page.content.decode()


def test_a_form_field_with_nul_says_what_is_wrong(client):
    """Django's own ja message for this check reads 「何か文字を入力してください。」; ours names the character."""
    page = client.post("/accounts/login/", {"username": "demo\x00", "password": "x"})
    assert "制御文字（U+0000 NUL）が含まれています" in page.content.decode()
    assert "何か文字を入力してください" not in page.content.decode()


def test_the_committed_catalogue_matches_its_source():
    """django.mo is compiled from django.po by hand (msgfmt); a .po edit without recompiling would not show."""
    import gettext
    import re
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "locale" / "ja" / "LC_MESSAGES"
    source = (folder / "django.po").read_text(encoding="utf-8")
    pairs = dict(re.findall(r'^msgid "(.+)"\nmsgstr "(.*)"$', source, re.M))
    with open(folder / "django.mo", "rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    assert pairs and all(catalogue.gettext(key) == value for key, value in pairs.items())


def test_api_body_with_nul_and_a_wrong_type_names_both(client_for, users):
    """The NUL and the body's other problems come in one answer (before, only the NUL was named, and the wrong type
    was told only once the NUL was removed)."""
    response = client_for(users["admin"]).post(
        "/api/v1/organisations", json.dumps({"name": "NULの\x00組織", "kind": "company", "sectors": "health"}),
        content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"] == {"name": "制御文字（U+0000 NUL）が含まれています。取り除いてから保存してください",
                                         "sectors": "配列で指定してください"}
    assert not Organisation.objects.exists()


@pytest.mark.parametrize("body,field", [
    ({"name": "テスト\ud800", "kind": "company", "prefecture": "13"}, "name"),  # stored
    ({"name": "テスト", "kind": "company", "prefecture": "\udfff"}, "prefecture"),  # only looked up
    ({"name": "テスト", "kind": "company", "sectors": ["health", "edu\ud83d"]}, "sectors"),
])
def test_api_body_with_a_lone_surrogate_is_refused_naming_the_field(client_for, users, body, field):
    """JSON may escape half a surrogate pair ("\\ud800"); no database stores it (a 500 on both engines before)."""
    response = client_for(users["admin"]).post("/api/v1/organisations", json.dumps(body),
                                               content_type="application/json")
    assert response.status_code == 422
    assert "対になっていないサロゲート" in response.json()["detail"][field]
    assert not Organisation.objects.exists()


def test_a_lone_surrogate_in_a_plan_title_is_refused(client_for, users):
    from chiiki.funding.models import ImplementationPlan

    response = client_for(users["admin"]).post("/api/v1/plans", json.dumps(
        {"municipality": "131016", "title": "計画\udfff", "sector": "education", "start_year": 2026}),
        content_type="application/json")
    assert response.status_code == 422 and "サロゲート（U+DFFF）" in response.json()["detail"]["title"]
    assert not ImplementationPlan.objects.exists()
