"""An organisation renamed by its member: the implementation plan page (funding) and its API, which show the
organisation's name in 推進体制の担い手, are served from the anonymous page cache — the next anonymous request must
show the new name, as it does for every other write."""

import pytest
from django.test import Client

from chiiki.access import SYSTEM
from chiiki.funding import actions as funding_actions
from chiiki.promotion import actions
from chiiki.roadmap.models import Sector

from .conftest import bearer, send

pytestmark = pytest.mark.django_db


def test_renaming_an_organisation_shows_on_the_cached_plan_page_and_api(users, register, stored_pages):
    place = register["municipalities"]["132012"]
    plan = funding_actions.create_plan(
        SYSTEM, place, sector=Sector.objects.get(pk="health"), title="八王子の見守り計画", start_year=2026,
        operator_kind="direct", years=[{"fiscal_year": 2026, "phase": "implementation", "total_cost": 100}])
    plan = funding_actions.set_status(SYSTEM, plan, "published", version=plan.version)
    org = actions.save_organisation(users["company"], None, {"name": "多摩IoT協会", "kind": "industry",
                                                             "prefecture": "13"})
    actions.add_plan_participation(users["hachioji"], plan, org, {"role": "operator", "note": "運用の窓口"})
    anonymous = Client()
    page, api = f"/funding/plans/{plan.pk}/", f"/api/v1/plans/{plan.pk}/organisations"
    assert "多摩IoT協会" in anonymous.get(page).content.decode()
    assert [o["organisation_name"] for o in anonymous.get(api).json()] == ["多摩IoT協会"]
    assert stored_pages() >= 1  # served from the page cache from now on

    # The member renames the organisation through the API (its version check passes).
    renamed = send(Client(), "put", f"/api/v1/organisations/{org.pk}",
                   {"name": "多摩スマートシティ協会", "kind": "industry", "prefecture": "13", "version": org.version},
                   **bearer(users["company"]))
    assert renamed.status_code == 200, renamed.content.decode()

    assert "多摩スマートシティ協会" in anonymous.get(page).content.decode()
    assert [o["organisation_name"] for o in anonymous.get(api).json()] == ["多摩スマートシティ協会"]
