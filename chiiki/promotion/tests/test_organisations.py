"""Organisations (法人番号 check digit, company users as members) and councils (roles, public page, history)."""

import pytest

from chiiki.core.models import ChangeRecord
from chiiki.promotion import corporate_number
from chiiki.promotion.models import OrganisationMember

from .conftest import bearer, send

pytestmark = pytest.mark.django_db

NTA = "7000012050002"  # 国税庁's own 法人番号


def test_corporate_number_check_digit():
    assert corporate_number.clean(NTA) == NTA
    assert corporate_number.clean("７０００－０１２０５０００２".replace("－", "-")) == NTA  # full width, hyphen
    assert corporate_number.clean("") == ""
    for wrong in ("1000012050002", "700001205000", "70000120500021", "700001205000x"):
        with pytest.raises(ValueError):
            corporate_number.clean(wrong)


def org_body(**extra):
    return {"name": "株式会社サンプル", "kind": "startup", "corporate_number": NTA, "prefecture": "13",
            "sectors": ["health"], "website": "https://example.jp", **extra}


def test_a_company_user_registers_their_organisation_and_becomes_its_member(client, users):
    response = send(client, "post", "/api/v1/organisations", org_body(), **bearer(users["company"]))
    assert response.status_code == 201, response.content
    org = response.json()
    assert org["kind_label"] == "スタートアップ" and org["sectors"] == ["health"]
    assert OrganisationMember.objects.get(user=users["company"]).organisation_id == org["id"]
    # A second organisation with the same 法人番号 is refused; a wrong check digit too.
    again = send(client, "post", "/api/v1/organisations", org_body(name="別名"), **bearer(users["admin"]))
    assert again.status_code == 422 and "既に登録" in again.json()["detail"]["corporate_number"]
    wrong = send(client, "post", "/api/v1/organisations", org_body(corporate_number="1000012050002"),
                 **bearer(users["admin"]))
    assert wrong.status_code == 422 and "検査用数字" in wrong.json()["detail"]["corporate_number"]
    assert send(client, "post", "/api/v1/organisations", org_body(), ).status_code == 401


def test_only_members_and_the_admin_edit_an_organisation(client, users, django_user_model):
    org = send(client, "post", "/api/v1/organisations", org_body(), **bearer(users["company"])).json()
    other = django_user_model.objects.create(username="other-co", role="company")
    url = f"/api/v1/organisations/{org['id']}"
    for user in (other, users["hachioji"], users["tokyo"]):
        assert send(client, "put", url, org_body(name="乗っ取り", version=1), **bearer(user)).status_code == 403
    assert send(client, "put", url, org_body(name="株式会社サンプル改", version=1),
                **bearer(users["company"])).status_code == 200
    assert send(client, "put", url, org_body(name="古い版", version=1), **bearer(users["admin"])).status_code == 409
    assert client.get(url).json()["name"] == "株式会社サンプル改"
    assert ChangeRecord.objects.filter(model="promotion.organisation").count() == 2


def test_organisation_list_filters_page_and_export(client, users):
    send(client, "post", "/api/v1/organisations", org_body(), **bearer(users["company"]))
    send(client, "post", "/api/v1/organisations", org_body(name="島根大学", kind="academia", corporate_number="",
                                                           prefecture="32", sectors=["education"]),
         **bearer(users["admin"]))
    assert [o["name"] for o in client.get("/api/v1/organisations?kind=academia").json()["items"]] == ["島根大学"]
    assert client.get("/api/v1/organisations?prefecture=13&sector=health").json()["count"] == 1
    page = client.get("/promotion/organisations/?sector=education").content.decode()
    assert "島根大学" in page and "株式会社サンプル" not in page
    csv = client.get("/promotion/organisations/?format=csv").content.decode("utf-8-sig")
    assert "島根大学" in csv and NTA in csv


def test_councils_with_member_roles(client, users, register):
    company_org = send(client, "post", "/api/v1/organisations", org_body(), **bearer(users["company"])).json()
    university = send(client, "post", "/api/v1/organisations",
                      org_body(name="東京の大学", kind="academia", corporate_number=""), **bearer(users["admin"])).json()
    body = {"name": "八王子市地域IoT推進協議会", "municipality": "132012", "description": "市と大学と企業"}
    assert send(client, "post", "/api/v1/councils", body, **bearer(users["aogashima"])).status_code == 403
    council = send(client, "post", "/api/v1/councils", body, **bearer(users["hachioji"]))
    assert council.status_code == 201, council.content
    council = council.json()
    assert council["prefecture"] == "13" and council["municipality"] == "132012"
    url = f"/api/v1/councils/{council['id']}/members"
    assert send(client, "post", url, {"organisation": university["id"], "role": "chair"},
                **bearer(users["tokyo"])).status_code == 201  # the prefecture manages its municipalities' councils
    assert send(client, "post", url, {"organisation": company_org["id"], "role": "member"},
                **bearer(users["hachioji"])).status_code == 201
    assert send(client, "post", url, {"organisation": company_org["id"], "role": "secretariat"},
                **bearer(users["hachioji"])).status_code == 422  # already a member
    assert send(client, "post", url, {"organisation": company_org["id"]}, **bearer(users["company"])).status_code == 403
    members = client.get(f"/api/v1/councils/{council['id']}").json()["members"]
    assert [(m["name"], m["role_label"]) for m in members] == [("東京の大学", "会長"), ("株式会社サンプル", "会員")]
    page = client.get(f"/promotion/councils/{council['id']}/").content.decode()
    assert "会長" in page and "東京の大学" in page
    assert client.delete(f"{url}/{company_org['id']}", **bearer(users["hachioji"])).status_code == 204
    actions = list(ChangeRecord.objects.filter(model="promotion.councilmembership").values_list("action", flat=True)
                   .order_by("id"))
    assert actions == ["create", "create", "delete"]
    # A prefecture-wide council is the prefecture's: municipal staff cannot create one.
    pref_body = {"name": "東京都推進協議会", "prefecture": "13"}
    assert send(client, "post", "/api/v1/councils", pref_body, **bearer(users["hachioji"])).status_code == 403
    assert send(client, "post", "/api/v1/councils", pref_body, **bearer(users["tokyo"])).status_code == 201


def test_council_page_form(client_for, users, register):
    officer = client_for(users["hachioji"])
    response = officer.post("/promotion/councils/new", {"name": "八王子協議会", "municipality": "132012"})
    assert response.status_code == 302
    page = officer.get(response["Location"])
    assert "構成員を加える" in page.content.decode()
    bad = officer.post("/promotion/councils/new", {"name": "", "municipality": "999999"})
    assert bad.status_code == 422 and "名称を入力してください" in bad.content.decode()


def test_the_council_form_offers_only_the_prefectures_the_user_may_register_for(client_for, users):
    """A prefecture officer picking another prefecture was refused (403) after typing the whole form: the form now
    offers their own prefecture only (the admin: all), and registers a prefecture council with it."""
    import re

    def offered(user):
        html = client_for(user).get("/promotion/councils/new").content.decode()
        select = re.search(r'<select name="prefecture"[^>]*>(.*?)</select>', html, re.S).group(1)
        return [code for code in re.findall(r'<option value="([^"]*)"', select) if code]

    assert offered(users["tokyo"]) == ["13"]
    assert offered(users["hachioji"]) == ["13"]
    assert len(offered(users["admin"])) == 3
    response = client_for(users["tokyo"]).post("/promotion/councils/new", {"name": "東京都IoT推進協議会",
                                                                          "prefecture": "13"})
    assert response.status_code == 302


def test_the_council_form_names_the_municipalities_the_user_manages(client_for, users):
    """市区町村 was a free-text 団体コード a prefecture officer does not know: it is now a choice by name of the
    municipalities the user manages, grouped by prefecture, and one outside them is refused beside the field (422,
    what was typed kept) instead of a bare 403."""
    import re

    from chiiki.promotion.models import Council

    def offered(user):
        html = client_for(user).get("/promotion/councils/new").content.decode()
        select = re.search(r'<select name="municipality"[^>]*>(.*?)</select>', html, re.S).group(1)
        return [(group, re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', body))
                for group, body in re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select, re.S)]

    assert offered(users["tokyo"]) == [("東京都", [("131016", "千代田区（131016）"), ("132012", "八王子市（132012）"),
                                                  ("134023", "青ヶ島村（134023）")])]
    assert offered(users["hachioji"]) == [("東京都", [("132012", "八王子市（132012）")])]
    assert [group for group, _options in offered(users["admin"])] == ["北海道", "東京都", "島根県"]

    officer = client_for(users["tokyo"])
    refused = officer.post("/promotion/councils/new", {"name": "札幌の協議会", "prefecture": "", "municipality": "011002",
                                                       "description": "説明"})
    assert refused.status_code == 422
    html = refused.content.decode()
    error = re.search(r'<ul class="errorlist" id="id_municipality_error"><li>([^<]*)</li>', html).group(1)
    assert error == "北海道札幌市の協議会は登録できません。担当する市区町村から選んでください"
    assert 'value="札幌の協議会"' in html and "説明</textarea>" in html
    # Municipal staff cannot register the prefecture's council: told to pick their municipality.
    refused = client_for(users["hachioji"]).post("/promotion/councils/new", {"name": "都の協議会", "prefecture": "13",
                                                                             "municipality": ""})
    assert refused.status_code == 422
    assert '<ul class="errorlist" id="id_municipality_error"><li>東京都の協議会は都道府県の担当者が登録します。' \
           in refused.content.decode()
    assert not Council.objects.exists()

    response = officer.post("/promotion/councils/new", {"name": "八王子市地域IoT推進協議会", "prefecture": "13",
                                                        "municipality": "132012"})
    assert response.status_code == 302
    assert Council.objects.get().municipality_id == "132012"
