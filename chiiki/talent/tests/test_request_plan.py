"""A request names the implementation plan it serves (issue 12 §3): the municipality's own plan or a wide-area plan
it takes part in, chosen on the page and in the API, shown on the request page with a link, kept in history."""

import pytest

from chiiki import access
from chiiki.core.models import ChangeRecord
from chiiki.funding import actions as funding_actions
from chiiki.funding.models import PlanStatus
from chiiki.roadmap.models import Sector
from chiiki.talent import actions
from chiiki.talent.models import TalentRequest

from .conftest import request_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(register):
    health = Sector.objects.get(pk="health")
    own = funding_actions.create_plan(access.SYSTEM, register["municipalities"]["132012"], sector=health,
                                      title="八王子市 見守り実装計画", start_year=2026)
    wide = funding_actions.create_plan(access.SYSTEM, register["prefectures"]["13"], sector=health,
                                       title="東京都 広域見守り計画", start_year=2026,
                                       participants=[register["municipalities"]["132012"]])
    # Published: a participant may name only the wide-area plans it can see (test_draft_plan_privacy).
    wide = funding_actions.set_status(access.SYSTEM, wide, PlanStatus.PUBLISHED, version=wide.version)
    other = funding_actions.create_plan(access.SYSTEM, register["municipalities"]["131016"], sector=health,
                                        title="千代田区 見守り計画", start_year=2026)
    return {"own": own, "wide": wide, "other": other}


def test_the_form_offers_the_municipalitys_plans_and_the_page_links_the_chosen_one(users, client_for, vocabulary,
                                                                                   plans):
    c = client_for(users["hachioji"])
    form = c.get("/talent/requests/new").content.decode()
    assert "八王子市 見守り実装計画" in form and "東京都 広域見守り計画" in form and "千代田区" not in form
    data = request_data(plan=str(plans["wide"].pk))
    response = c.post("/talent/requests/new", {**data, "required": data["required"], "desired": data["desired"]})
    assert response.status_code == 302, response.content.decode()[:2000]
    created = TalentRequest.objects.get()
    assert created.plan == plans["wide"]
    page = c.get(f"/talent/requests/{created.pk}/").content.decode()
    assert f'href="{plans["wide"].get_absolute_url()}"' in page and "東京都 広域見守り計画" in page


def test_a_plan_of_another_municipality_is_refused_in_japanese(users, client_for, vocabulary, plans):
    c = client_for(users["hachioji"])
    body = request_data(plan=plans["other"].pk) | {"municipality": "132012"}
    refused = c.post("/api/v1/talent/requests", body, content_type="application/json")
    assert refused.status_code == 422
    assert "この団体の計画（参加している広域の計画を含む）から選んでください" in str(refused.json())
    assert not TalentRequest.objects.exists()


def test_the_api_sets_and_changes_the_plan_with_history(users, client_for, vocabulary, plans, register):
    c = client_for(users["hachioji"])
    body = request_data(plan=plans["own"].pk) | {"municipality": "132012"}
    created = c.post("/api/v1/talent/requests", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["plan"] == plans["own"].pk
    request = TalentRequest.objects.get()
    actions.update_request(users["hachioji"], request, request_data(plan=plans["wide"].pk), version=1)
    request.refresh_from_db()
    assert request.plan == plans["wide"] and request.version == 2
    record = ChangeRecord.objects.filter(model="talent.talentrequest", action="update").get()
    assert record.before["plan_id"] == plans["own"].pk and record.after["plan_id"] == plans["wide"].pk
