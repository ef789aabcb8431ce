"""Web and API refuse the same plan and campaign input the same way."""

import json
import re

import pytest

from chiiki import access
from chiiki.funding import actions
from chiiki.funding.models import Campaign
from chiiki.pdca.tests.conftest import bearer
from chiiki.roadmap.models import SectorModel

REFUSED_URL = "寄附ページのURL（https://…）を入力してください"


def _put(client, url, body, user):
    return client.put(url, json.dumps(body), content_type="application/json", **bearer(user))


def _campaign_page_body(url, **extra):
    return {"municipality": "132012", "title": "CF", "use_of_funds": "端末", "target_amount": "1000000",
            "start_date": "2026-06-01", "end_date": "2026-07-01", "model": "all_in", "minimum_donation": "2000",
            "donation_url": url, **extra}


def _campaign_api_body(url, **extra):
    return {"municipality": "132012", "title": "CF", "use_of_funds": "端末", "target_amount": 1000000,
            "start_date": "2026-06-01", "end_date": "2026-07-01", "donation_url": url, **extra}


# ---- A plan's 分野 ----------------------------------------------------------------------------------------------


def test_changing_a_plans_sector_through_the_api_checks_its_models_as_the_page_does(client_for, users, plan_factory):
    SectorModel.objects.create(sector_id="education", name="遠隔教育")
    SectorModel.objects.create(sector_id="health", name="遠隔医療")
    plan = plan_factory([(2026, "people_knowhow", 0, [])], sector_models=["遠隔教育"], further_sectors=["health"])
    plan.refresh_from_db()
    page = client_for(users["hachioji"]).post(f"/funding/plans/{plan.pk}/edit", {
        "title": plan.title, "sector": "health", "start_year": "2026", "operator_kind": "direct",
        "sector_models": ["遠隔教育"], "further_sectors": ["health"], "version": plan.version})
    assert page.status_code == 422 and "医療・介護・健康の分野別モデルではありません: 遠隔教育" in page.content.decode()
    response = _put(client_for(None), f"/api/v1/plans/{plan.pk}", {"version": plan.version, "sector": "health"},
                    users["hachioji"])
    plan.refresh_from_db()
    assert response.status_code == 422, (response.status_code, plan.sector_id, plan.sector_models)
    assert response.json()["detail"]["sector_models"] == "医療・介護・健康の分野別モデルではありません: 遠隔教育"
    assert plan.sector_id == "education" and plan.sector_models == ["遠隔教育"]


def test_a_new_main_sector_leaves_the_further_sectors_through_the_api_as_on_the_page(client_for, users,
                                                                                    plan_factory):
    """The page drops the main 分野 from その他の分野 without a word; the API, sent only the new 分野, did not."""
    on_page = plan_factory([(2026, "people_knowhow", 0, [])], further_sectors=["health", "work"])
    on_page.refresh_from_db()
    page = client_for(users["hachioji"]).post(f"/funding/plans/{on_page.pk}/edit", {
        "title": on_page.title, "sector": "health", "start_year": "2026", "operator_kind": "direct",
        "further_sectors": ["health", "work"], "version": on_page.version})
    assert page.status_code == 302
    on_page.refresh_from_db()
    assert on_page.sector_id == "health" and on_page.further_sectors == ["work"]

    by_api = plan_factory([(2026, "people_knowhow", 0, [])], further_sectors=["health", "work"])
    by_api.refresh_from_db()
    response = _put(client_for(None), f"/api/v1/plans/{by_api.pk}", {"version": by_api.version, "sector": "health"},
                    users["hachioji"])
    assert response.status_code == 200, response.content
    by_api.refresh_from_db()
    assert by_api.sector_id == "health" and by_api.further_sectors == ["work"]
    assert response.json()["further_sectors"] == ["work"]


def test_a_plans_sector_changes_through_the_api_when_nothing_stored_conflicts(client_for, users, plan_factory):
    SectorModel.objects.create(sector_id="education", name="遠隔教育")
    SectorModel.objects.create(sector_id="health", name="遠隔医療")
    plain = plan_factory([(2026, "people_knowhow", 0, [])], further_sectors=["work"])
    plain.refresh_from_db()
    response = _put(client_for(None), f"/api/v1/plans/{plain.pk}", {"version": plain.version, "sector": "health"},
                    users["hachioji"])
    assert response.status_code == 200, response.content
    plain.refresh_from_db()
    assert (plain.sector_id, plain.sector_models, plain.further_sectors) == ("health", [], ["work"])

    # The new 分野's models sent with it replace the stored ones: those are not checked against it.
    modelled = plan_factory([(2026, "people_knowhow", 0, [])], sector_models=["遠隔教育"])
    modelled.refresh_from_db()
    response = _put(client_for(None), f"/api/v1/plans/{modelled.pk}",
                    {"version": modelled.version, "sector": "health", "sector_models": ["遠隔医療"]}, users["hachioji"])
    assert response.status_code == 200, response.content
    modelled.refresh_from_db()
    assert (modelled.sector_id, modelled.sector_models) == ("health", ["遠隔医療"])

    # Other fields alone still leave the 分野 and its models as they are.
    response = _put(client_for(None), f"/api/v1/plans/{modelled.pk}",
                    {"version": modelled.version, "title": "改名した計画"}, users["hachioji"])
    assert response.status_code == 200, response.content
    modelled.refresh_from_db()
    assert (modelled.title, modelled.sector_id, modelled.sector_models) == ("改名した計画", "health", ["遠隔医療"])


# ---- A campaign's donation URL ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["https://exa mple.jp/cf", "https://", "https://example.jp/寄附 ページ"])
def test_a_donation_url_with_spaces_or_no_host_is_refused_on_the_page_and_the_api(client_for, users, url):
    page = client_for(users["hachioji"]).post("/funding/campaigns/new", {
        "municipality": "132012", "title": "CF", "use_of_funds": "端末", "target_amount": "1000000",
        "start_date": "2026-06-01", "end_date": "2026-07-01", "model": "all_in", "minimum_donation": "2000",
        "donation_url": url})
    assert page.status_code == 422, page.status_code
    response = client_for(None).post("/api/v1/campaigns", json.dumps({
        "municipality": "132012", "title": "CF", "use_of_funds": "端末", "target_amount": 1000000,
        "start_date": "2026-06-01", "end_date": "2026-07-01", "donation_url": url}),
        content_type="application/json", **bearer(users["hachioji"]))
    assert response.status_code == 422
    assert response.json()["detail"]["donation_url"] == "寄附ページのURL（https://…）を入力してください"
    assert not Campaign.objects.exists()


def test_a_refused_donation_url_is_said_beside_the_field_and_what_was_typed_stays(client_for, users, register):
    campaign = actions.create_campaign(access.SYSTEM, register["municipalities"]["132012"], title="見守りCF",
                                       use_of_funds="端末", target_amount=1_000_000, start_date="2026-06-01",
                                       end_date="2026-07-01", donation_url="https://example.jp/cf")
    c = client_for(users["hachioji"])
    page = c.post(f"/funding/campaigns/{campaign.pk}/edit",
                  _campaign_page_body("https://exa mple.jp/cf", title="見守りCF改", version=campaign.version))
    assert page.status_code == 422
    text = page.content.decode()
    assert re.search(r'<ul class="errorlist" id="id_donation_url_error"><li>' + re.escape(REFUSED_URL), text), text
    assert 'value="https://exa mple.jp/cf"' in text and 'value="見守りCF改"' in text
    response = _put(client_for(None), f"/api/v1/campaigns/{campaign.pk}",
                    _campaign_api_body("https://", version=campaign.version), users["hachioji"])
    assert response.status_code == 422 and response.json()["detail"]["donation_url"] == REFUSED_URL
    campaign.refresh_from_db()
    assert (campaign.title, campaign.donation_url) == ("見守りCF", "https://example.jp/cf")


@pytest.mark.parametrize("url", ["https://example.jp/寄附", "https://例え.jp/cf", "http://example.jp/cf?id=12#gift",
                                 "https://example.jp/achi/furusato-cf"])
def test_a_donation_url_with_a_japanese_path_or_host_is_saved_on_the_page_and_the_api(client_for, users, url):
    page = client_for(users["hachioji"]).post("/funding/campaigns/new", _campaign_page_body(url))
    assert page.status_code == 302, page.content.decode()
    response = client_for(None).post("/api/v1/campaigns", json.dumps(_campaign_api_body(url, title="CF2")),
                                     content_type="application/json", **bearer(users["hachioji"]))
    assert response.status_code == 201, response.content
    assert sorted(Campaign.objects.values_list("title", "donation_url")) == [("CF", url), ("CF2", url)]


def test_a_donation_url_over_500_characters_is_still_refused(client_for, users):
    url = "https://example.jp/" + "a" * 482
    assert len(url) == 501
    response = client_for(None).post("/api/v1/campaigns", json.dumps(_campaign_api_body(url)),
                                     content_type="application/json", **bearer(users["hachioji"]))
    assert response.status_code == 422 and response.json()["detail"]["donation_url"] == REFUSED_URL
    response = client_for(None).post("/api/v1/campaigns", json.dumps(_campaign_api_body(url[:-1])),
                                     content_type="application/json", **bearer(users["hachioji"]))
    assert response.status_code == 201, response.content
