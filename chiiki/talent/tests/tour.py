"""Talent rows for the site-wide accessibility tour (chiiki/core/tests/test_accessibility.py): a vocabulary, the
advisor's profile, a received request (the admin sees candidates) and a dispatch in progress (the advisor's forms)."""

import csv
import datetime as dt
from pathlib import Path

from django.conf import settings

from chiiki import access
from chiiki.core.fiscal import current_fiscal_year
from chiiki.roadmap.models import Sector, SectorModel
from chiiki.talent import actions
from chiiki.talent.models import Status, TalentRequest, Visit
from chiiki.talent.reference import load_capabilities

from .conftest import profile_data, request_data

DATA = Path(settings.BASE_DIR) / "data"


def seed(users) -> dict:
    with (DATA / "sectors.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for order, name in enumerate(row["models"].split(";")):
                SectorModel.objects.get_or_create(sector=Sector.objects.get(pk=row["code"]), name=name,
                                                  defaults={"order": order})
    load_capabilities(data_dir=DATA)
    profile = actions.create_profile(users["advisor"], profile_data())
    actions.create_profile(access.SYSTEM, profile_data(display_name="別の 人材", email=""))
    hachioji = users["hachioji"].municipality
    received = actions.create_request(access.SYSTEM, hachioji, request_data())
    TalentRequest.objects.filter(pk=received.pk).update(status=Status.RECEIVED)
    running = actions.create_request(access.SYSTEM, hachioji, request_data(sector="disaster", required=["CAP-HLT-07"]))
    TalentRequest.objects.filter(pk=running.pk).update(status=Status.DISPATCHING, talent=profile,
                                                       talent_label=profile.display_name)
    Visit.objects.create(request=running, date=dt.date(current_fiscal_year(), 4, 1), hours=2, mode="onsite")
    return {"talent_profile": profile.pk, "talent_received": received.pk, "talent_running": running.pk}


PUBLIC = ["/talent/", "/talent/capabilities/", "/talent/profiles/", "/talent/profiles/{talent_profile}/",
          "/talent/analytics/", "/talent/municipalities/132012/", "/talent/dispatches/",
          "/talent/dispatches/?status=completed"]
ROLE_PAGES = {
    "hachioji": ["/talent/requests/", "/talent/requests/new?wish=見守りセンサーを入れられる人",
                 "/talent/requests/{talent_running}/", "/talent/profiles/{talent_profile}/"],
    "tokyo": ["/talent/analytics/", "/talent/requests/"],
    "admin": ["/talent/requests/{talent_received}/", "/talent/import/", "/talent/manage/rounds",
              "/talent/capabilities/CAP-HLT-07/edit", "/talent/analytics/", "/talent/requests/?overdue=1",
              "/talent/profiles/{talent_profile}/account", "/talent/requests/?wait_min=0&demand=1"],
    "advisor": ["/talent/profiles/{talent_profile}/edit", "/talent/requests/{talent_running}/"],
    "company": ["/talent/profiles/new"],
}
