"""Demand and supply: every number of the analytics page links to a list holding exactly its rows (requests or
talents), the waiting time 申請 → 派遣 included, every table downloads, and the map's values match the table."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from chiiki import access
from chiiki.regions.models import Prefecture
from chiiki.talent import actions
from chiiki.talent.models import Status, TalentRequest, Visit

from .conftest import profile_data, request_data


def _links(page: str) -> dict[str, str]:
    """href → the number it shows, for the links whose text is a number."""
    return {href.replace("&amp;", "&"): text for href, text in re.findall(r'<a href="([^"]+)">(\d+)(?:件|日)?</a>', page)}


def _count(client, href: str) -> int:
    response = client.get(href)
    assert response.status_code == 200, href
    return response.context["page"].paginator.count


@pytest.fixture
def dispatched(users, vocabulary, register, advisor_profile):
    """Three requests of 八王子市: one waiting 10 days for its first visit, one 45, one still only submitted; and a
    withdrawn one that no demand figure counts."""
    made = []
    for waited in (10, 45, None):
        r = actions.create_request(users["hachioji"], register["municipalities"]["132012"], request_data())
        submitted = timezone.now() - dt.timedelta(days=60)
        status = Status.SUBMITTED if waited is None else Status.DISPATCHING
        TalentRequest.objects.filter(pk=r.pk).update(status=status, submitted_at=submitted,
                                                     talent=None if waited is None else advisor_profile)
        if waited is not None:
            Visit.objects.create(request=r, date=timezone.localtime(submitted).date() + dt.timedelta(days=waited),
                                 hours=3, mode="onsite")
        made.append(r)
    gone = actions.create_request(users["hachioji"], register["municipalities"]["132012"], request_data())
    TalentRequest.objects.filter(pk=gone.pk).update(status=Status.WITHDRAWN)
    return made


def test_every_number_links_to_exactly_its_rows(users, client_for, dispatched):
    client = client_for(users["admin"])
    page = client.get("/talent/analytics/").content.decode()
    links = _links(page)
    checked = 0
    for href, shown in links.items():
        if href.startswith("/talent/requests/?") or href.startswith("/talent/profiles/?"):
            assert _count(client, href) == int(shown), href
            checked += 1
    assert checked >= 10
    assert links["/talent/requests/?demand=1&capability=CAP-HLT-07"] == "3"  # the withdrawn one is not demand
    assert links["/talent/requests/?demand=1&prefecture=13"] == "3"
    assert links["/talent/requests/?demand=1&sector=health"] == "3"


def test_waiting_times_link_to_the_requests_behind_them(users, client_for, dispatched):
    client = client_for(users["admin"])
    response = client.get("/talent/analytics/")
    waiting = response.context["waiting"]
    assert (waiting["count"], waiting["max"], waiting["longest"]) == (2, 45, dispatched[1].pk)
    assert [b["count"] for b in waiting["bands"]] == [1, 1, 0, 0]
    page = response.content.decode()
    assert '<a href="/talent/requests/?wait_min=0">2件</a>' in page
    assert f'<a href="/talent/requests/{dispatched[1].pk}/">45日</a>' in page
    assert [r.pk for r in client.get("/talent/requests/?wait_min=31&wait_max=60").context["page"].object_list] == [
        dispatched[1].pk]
    listed = client.get("/talent/requests/?wait_min=0").content.decode()
    assert "10日" in listed and "45日" in listed
    rows = client.get("/talent/requests/?wait_min=0&format=csv").content.decode("utf-8-sig").splitlines()
    assert rows[0].endswith("申請から派遣までの日数") and {r.rsplit(",", 1)[1] for r in rows[1:]} == {"10", "45"}
    bands = client.get("/talent/analytics/?table=waiting&format=csv").content.decode("utf-8-sig").splitlines()
    assert bands[1:3] == ["30日以内,1", "31〜60日,1"]


def test_anonymous_sees_numbers_without_request_links_or_names(client_for, dispatched):
    client = client_for(None)
    page = client.get("/talent/analytics/").content.decode()
    assert "/talent/requests/?" not in page and "見守 一郎" not in page
    assert client.get("/talent/analytics/?table=per_talent&format=csv").status_code == 404
    assert client.get("/talent/analytics/?table=nothing&format=csv").status_code == 404
    for table in ("capability", "prefecture", "sector", "waiting", "gains"):
        assert client.get(f"/talent/analytics/?table={table}&format=xlsx").status_code == 200, table


def test_dispatches_per_talent_link_and_export(users, client_for, dispatched, advisor_profile):
    client = client_for(users["admin"])
    page = client.get("/talent/analytics/").content.decode()
    href = f"/talent/requests/?talent={advisor_profile.pk}&status=accepted,dispatching,reported,rated,completed"
    assert _links(page)[href] == "2" and _count(client, href) == 2
    body = client.get("/talent/analytics/?table=per_talent&format=csv").content.decode("utf-8-sig")
    assert f"{advisor_profile.pk},見守 一郎,2" in body


def test_map_values_are_the_table_figures(users, client_for, dispatched):
    actions.create_profile(access.SYSTEM, profile_data(display_name="松江 花子", home_prefecture="32",
                                                       prefectures_served=["13"], email=""))
    data = client_for(None).get("/talent/analytics/map.json").json()["prefectures"]
    assert data["13"] == {"name": "東京都", "demand": 3, "supply": 2}
    assert data["32"] == {"name": "島根県", "demand": 0, "supply": 1}
    assert len(data) == Prefecture.objects.count()
    page = client_for(None).get("/talent/analytics/").content.decode()
    assert 'id="talent-map"' in page and 'href="#prefecture-table"' in page and "国土数値情報" in page
    assert client_for(None).get("/talent/profiles/?prefecture=13").context["page"].paginator.count == 2
    assert client_for(None).get("/talent/profiles/?online=1").context["page"].paginator.count == 2


@pytest.mark.parametrize(("role", "linked"), [("admin", True), ("tokyo", True), ("hachioji", True),
                                              ("aogashima", False), ("company", False), ("advisor", True)])
def test_the_longest_wait_links_to_its_request_only_for_who_may_open_it(users, client_for, dispatched, role, linked):
    client = client_for(users[role])
    page = client.get("/talent/analytics/").content.decode()
    href = f"/talent/requests/{dispatched[1].pk}/"
    assert (f'<a href="{href}">45日</a>' in page) is linked
    assert "最長 45日" in page or f'最長 <a href="{href}">45日</a>' in page
    assert (client.get(href).status_code == 200) is linked
