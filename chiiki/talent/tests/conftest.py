"""Fixtures of the talent tests: the vocabulary (from data/capabilities.csv), open rounds, profiles, a request."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from chiiki import access
from chiiki.core.fiscal import current_fiscal_year
from chiiki.roadmap.models import Sector, SectorModel
from chiiki.talent import actions, rules
from chiiki.talent.models import ApplicationRound, Kind
from chiiki.talent.reference import load_capabilities

DATA = Path(settings.BASE_DIR) / "data"


@pytest.fixture
def vocabulary(register):
    """Sector models as in data/sectors.csv (the loader checks every model is covered) and the vocabulary."""
    import csv

    with (DATA / "sectors.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            sector = Sector.objects.get(code=row["code"])
            for order, name in enumerate(row["models"].split(";")):
                SectorModel.objects.create(sector=sector, name=name, order=order)
    load_capabilities(data_dir=DATA)


@pytest.fixture
def rounds(db):
    """Every month's round of this and next 年度 (deadline the 20th, so a submission is always in some round)."""
    today = timezone.localdate()
    for year in (today.year - 1, today.year, today.year + 1):
        for number, month in enumerate(range(4, 13), start=1):
            ApplicationRound.objects.get_or_create(fiscal_year=year, number=number,
                                                   defaults={"deadline": dt.date(year, month, 20)})


@pytest.fixture
def clock(monkeypatch):
    """Fixes the date add_visit takes as today (rules.today); by default the last day of this 年度, so a visit on any
    day of this 年度 has happened whatever the real date. Call it with a date to move the clock."""

    def set_today(day: dt.date) -> dt.date:
        monkeypatch.setattr(rules, "today", lambda: day)
        return day

    set_today(dt.date(current_fiscal_year() + 1, 3, 31))
    return set_today


def profile_data(**overrides):
    data = {"display_name": "見守 一郎", "kind": Kind.REGIONAL_IT_ADVISOR, "sectors": ["health"],
            "home_prefecture": "13", "prefectures_served": ["13"], "online_available": True,
            "available_days": "10", "available_hours": "20", "public_profile": "高齢者の見守りが専門です。",
            "email": "ichiro@example.jp", "phone": "03-1234-5678",
            "skills": [{"capability": "CAP-HLT-07", "level": 3, "evidence": "3市で導入"},
                       {"capability": "CAP-COM-03", "level": 2}]}
    data.update(overrides)
    return data


def request_data(**overrides):
    data = {"title": "見守りセンサーを導入できる人", "vision": "独居高齢者が安心して暮らせる町にする", "sector": "health",
            "required": ["CAP-HLT-07"], "desired": ["CAP-COM-03"], "format": "mixed"}
    data.update(overrides)
    return data


@pytest.fixture
def advisor_profile(users, vocabulary):
    return actions.create_profile(users["advisor"], profile_data())


@pytest.fixture
def hachioji_request(users, vocabulary, register):
    return actions.create_request(users["hachioji"], register["municipalities"]["132012"], request_data())


def move(request, name, actor=None, **kwargs):
    """One transition as `actor` (the system when None) with the request's current version."""
    request.refresh_from_db()
    return actions.transition(actor or access.SYSTEM, request, name, version=request.version, **kwargs)


def accepted_on_the_pages(users, client_for, talent):
    """A new request of 八王子市 moved through its pages to 承諾 (version 5) by the officer, the admin and the advisor
    `talent` belongs to; returns the request and their three clients."""
    officer, admin, advisor = (client_for(users[r]) for r in ("hachioji", "admin", "advisor"))
    r = actions.create_request(users["hachioji"], users["hachioji"].municipality, request_data())
    officer.post(f"/talent/requests/{r.pk}/move/submit", {"version": 1})
    admin.post(f"/talent/requests/{r.pk}/move/receive", {"version": 2})
    admin.post(f"/talent/requests/{r.pk}/move/ask", {"version": 3, "talent": talent.pk})
    advisor.post(f"/talent/requests/{r.pk}/move/accept", {"version": 4})
    return r, officer, admin, advisor
