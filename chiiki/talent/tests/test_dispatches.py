"""派遣の実績 (/talent/dispatches/, GET /api/v1/talent/dispatches): the public record of dispatches from 承諾 on,
the rows behind the 完了 figures (the talent top page, the PDCA KPI), the same on the page, its exports and the API."""

import re

import pytest

from chiiki.talent import actions
from chiiki.talent.models import Status, TalentRequest

from .conftest import request_data
from .test_privacy import ROLES, _user
from .test_workflow import _whole_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(users, register, advisor_profile, hachioji_request, rounds):
    """八王子市: one completed (through the whole workflow, with a report); 札幌市: one accepted (2025年度), one
    submitted; 青ヶ島村: a draft and a withdrawn one. Only the first two are dispatches."""
    _whole_path(users, hachioji_request, advisor_profile)
    made = {"completed": hachioji_request}
    for name, code, status, year in (("accepted", "011002", Status.ACCEPTED, 2025),
                                     ("submitted", "011002", Status.SUBMITTED, None),
                                     ("draft", "134023", Status.DRAFT, None),
                                     ("withdrawn", "134023", Status.WITHDRAWN, None)):
        item = actions.create_request(access_user(users, code), register["municipalities"][code],
                                      request_data(title=f"{name}の依頼", sector="disaster"))
        TalentRequest.objects.filter(pk=item.pk).update(
            status=status, **({"talent": advisor_profile, "talent_label": advisor_profile.display_name,
                               "fiscal_year": year} if status == Status.ACCEPTED else {}))
        made[name] = item
    return made


def access_user(users, code):
    return {"011002": users["sapporo"], "134023": users["aogashima"]}[code]


def csv_rows(client, path) -> list[list[str]]:
    import csv
    import io

    response = client.get(path + ("&" if "?" in path else "?") + "format=csv")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]


def shown_count(page: str) -> int:
    return int(re.search(r'data-testid="dispatches-count">(\d+)<', page).group(1))


def test_anyone_reads_the_dispatches_from_acceptance_on(client, record):
    page = client.get("/talent/dispatches/")
    assert page.status_code == 200
    html = page.content.decode()
    assert shown_count(html) == 2
    assert "見守りセンサーを導入できる人" in html and "acceptedの依頼" in html
    for hidden in ("submittedの依頼", "draftの依頼", "withdrawnの依頼"):
        assert hidden not in html
    assert "CAP-HLT-07" not in html and "IoTセンサーによる高齢者の見守りを導入できる" in html  # what the staff gained
    rows = csv_rows(client, "/talent/dispatches/")
    assert {(r[1], r[2], r[6], r[7]) for r in rows} == {
        (str(record["completed"].fiscal_year), "132012", "見守りセンサーを導入できる人", "完了"),
        ("2025", "011002", "acceptedの依頼", "承諾")}
    completed = next(r for r in rows if r[7] == "完了")
    assert completed[9]  # the day it was completed
    api = client.get("/api/v1/talent/dispatches").json()
    assert api["count"] == 2
    assert {i["id"] for i in api["items"]} == {record["completed"].pk, record["accepted"].pk}
    assert next(i for i in api["items"] if i["status"] == "completed")["gained"] == ["CAP-HLT-07"]


@pytest.mark.parametrize(("query", "expected"), [
    ("status=completed", {"completed"}),
    ("status=accepted,completed", {"completed", "accepted"}),
    ("prefecture=01", {"accepted"}),
    ("prefecture=13", {"completed"}),
    ("sector=health", {"completed"}),
    ("sector=disaster", {"accepted"}),
    ("fiscal_year=2025", {"accepted"}),
    ("municipality=13201", {"completed"}),  # a 5-digit code too
    ("municipality=011002&status=completed", set()),
])
def test_the_filters_give_the_same_rows_on_the_page_its_export_and_the_api(client, record, query, expected):
    ids = {record[name].pk for name in expected}
    page = client.get(f"/talent/dispatches/?{query}").content.decode()
    assert shown_count(page) == len(ids)
    assert {int(r[0]) for r in csv_rows(client, f"/talent/dispatches/?{query}")} == ids
    api = client.get(f"/api/v1/talent/dispatches?{query}").json()
    assert api["count"] == len(ids) and {i["id"] for i in api["items"]} == ids
    if not ids:
        assert "条件に合う派遣はありません" in page


def test_a_state_before_acceptance_or_an_unknown_place_is_refused(client, record):
    assert client.get("/talent/dispatches/?status=submitted").status_code == 404
    answer = client.get("/api/v1/talent/dispatches?status=draft")
    assert answer.status_code == 422 and "承諾" in answer.json()["detail"]
    assert client.get("/api/v1/talent/dispatches?fiscal_year=昔").status_code == 422
    assert client.get("/talent/dispatches/?municipality=99999").status_code == 404
    assert client.get("/api/v1/talent/dispatches?municipality=99999").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_the_completed_figure_on_the_talent_top_links_everyone_to_its_rows(users, client_for, record, role):
    client = client_for(_user(users, role))
    page = client.get("/talent/").content.decode()
    href, figure = re.search(r'<a href="(/talent/dispatches/\?[^"]+)">(\d+)</a>件', page).groups()
    assert int(figure) == 1
    assert [int(r[0]) for r in csv_rows(client, href.replace("&amp;", "&"))] == [record["completed"].pk]


@pytest.mark.parametrize("role", ROLES)
def test_a_title_links_to_its_request_only_for_who_may_open_it(users, client_for, record, role):
    client = client_for(_user(users, role))
    page = client.get("/talent/dispatches/").content.decode()
    for item in (record["completed"], record["accepted"]):
        href = f"/talent/requests/{item.pk}/"
        assert (f'href="{href}"' in page) is (client.get(href).status_code == 200), (role, item.title)


def test_the_list_pages_thirty_rows_at_a_time(client, users, register, advisor_profile, vocabulary):
    hachioji = register["municipalities"]["132012"]
    for n in range(35):
        item = actions.create_request(users["hachioji"], hachioji, request_data(title=f"依頼{n:02d}"))
        TalentRequest.objects.filter(pk=item.pk).update(status=Status.DISPATCHING, talent=advisor_profile)
    first = client.get("/talent/dispatches/").content.decode()
    second = client.get("/talent/dispatches/?page=2").content.decode()
    assert shown_count(first) == 35
    first_titles = set(re.findall(r"依頼\d\d", first))
    second_titles = set(re.findall(r"依頼\d\d", second))
    assert len(first_titles) == 30 and len(second_titles) == 5 and not first_titles & second_titles
    assert len(csv_rows(client, "/talent/dispatches/")) == 35
    # The municipality's own page listed every dispatch it ever received on one page.
    first = client.get("/talent/municipalities/132012/").content.decode()
    second = client.get("/talent/municipalities/132012/?page=2").content.decode()
    assert len(set(re.findall(r"依頼\d\d", first))) == 30 and len(set(re.findall(r"依頼\d\d", second))) == 5
    assert "全35件" in first and 'rel="next"' in first


def test_a_municipality_page_opens_its_own_rows_in_the_list(client, record):
    page = client.get("/talent/municipalities/132012/").content.decode()
    href = re.search(r'href="(/talent/dispatches/\?municipality=132012)"', page).group(1)
    assert [int(r[0]) for r in csv_rows(client, href)] == [record["completed"].pk]
    gained = re.search(r'href="(/talent/dispatches/\?municipality=132012&amp;gained=CAP-HLT-07[^"]*)"', page).group(1)
    assert [int(r[0]) for r in csv_rows(client, gained.replace("&amp;", "&"))] == [record["completed"].pk]


def test_the_api_narrows_to_a_gained_capability(client, record):
    assert [i["id"] for i in client.get("/api/v1/talent/dispatches?gained=CAP-HLT-07").json()["items"]] == [
        record["completed"].pk]
    assert client.get("/api/v1/talent/dispatches?gained=CAP-EDU-01").json()["count"] == 0
