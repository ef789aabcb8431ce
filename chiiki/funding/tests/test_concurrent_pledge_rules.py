"""A pledge racing a change of what its rules read (ADR 0010): the 認定 of its 地域再生計画 withdrawn, the plan's
period shortened past the pledge's 年度, or the recipient imported as a 不交付団体 of the 三大都市圏. Either the pledge
comes first (the plan edit is then refused because of it; the import still runs, later), or the change comes first
and the pledge is refused with its reason — never a pledge the rules refuse at the moment it is committed, never 500.

Each request runs in its own thread with its own database connection. A barrier in front of the write
transactions releases them together, so both requests have read the rows they check before either writes.
"""

import datetime as dt
import io
import re

import pytest

from chiiki import access
from chiiki.core.models import ChangeRecord
from chiiki.funding import actions, importing
from chiiki.funding.models import CorporateDonationPledge, NonGrantStatus
from chiiki.roadmap.models import Sector
from chiiki.testing import each_in_its_thread, meet_before_writing

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 5  # on the old code each round let the pledge in about every other time (whichever got the lock first)
TIMEOUT = 60


@pytest.fixture
def company(users, register):
    return actions.register_company(users["company"], name="株式会社サンプル", corporate_number="7000012050002",
                                    head_office=register["municipalities"]["131016"])


def _project(register, year: int):
    """An approved plan of 八王子市 in force for `year`, with one project, and the 区分 of 八王子市 for `year`."""
    NonGrantStatus.objects.create(code="132012", fiscal_year=year, non_grant=False, metropolitan=True)
    plan = actions.create_revitalisation_plan(access.SYSTEM, register["municipalities"]["132012"],
                                              name=f"八王子の地域再生計画{year}", approved_on=dt.date(2025, 6, 1),
                                              start_year=2025, end_year=2035)
    return plan, actions.add_revitalisation_project(access.SYSTEM, plan, name=f"防災センサー{year}",
                                                    sector=Sector.objects.get(pk="disaster"), target_amount=10**7)


def _client(client_for, user):
    client = client_for(user)
    client.raise_request_exception = False  # a 500 is an answer to count, not an error of the test
    return client


def _send(request):
    client, method, url, data = request
    if method == "form":  # a page's form, not the API
        return client.post(url, data)
    return getattr(client, method)(url, data=data, content_type="application/json")


@pytest.mark.parametrize("change", ["withdraw", "shorten"])
def test_a_pledge_racing_a_plan_edit_that_takes_its_year_away(client_for, users, register, company, monkeypatch,
                                                              change):
    pledger, officer = _client(client_for, users["company"]), _client(client_for, users["hachioji"])
    for round_ in range(ROUNDS):
        year = 2026 + round_
        plan, project = _project(register, year)
        edit = {"version": plan.version, "name": plan.name, "approved_on": "2025-06-01", "start_year": 2025,
                "end_year": 2035}
        edit.update({"approved_on": None} if change == "withdraw" else {"end_year": year - 1})
        with monkeypatch.context() as patch:  # the next round's set-up writes without waiting
            meet_before_writing(patch, actions, timeout=TIMEOUT)
            pledged, edited = each_in_its_thread([
                (pledger, "post", "/api/v1/pledges", {"project": project.pk, "amount": 1_000_000,
                                                      "fiscal_year": year, "no_return_declared": True}),
                (officer, "put", f"/api/v1/revitalisation-plans/{plan.pk}", edit)], _send)

        plan.refresh_from_db()
        rows = CorporateDonationPledge.objects.filter(project=project).count()
        answers = (pledged.status_code, edited.status_code)
        if answers == (201, 422):  # the pledge first: the edit would strand it
            assert rows == 1 and plan.approved_on is not None and plan.end_year == 2035, (round_, answers)
            assert "寄附の申出・受領があるため" in str(edited.json()["detail"]), round_
        else:
            assert answers == (422, 200), (round_, answers, pledged.content, edited.content)
            assert rows == 0, round_
            reason = pledged.json()["detail"]
            if change == "withdraw":
                assert plan.approved_on is None and reason == {
                    "plan": f"地域再生計画「{plan.name}」は認定されていません"}, (round_, reason)
            else:
                assert plan.end_year == year - 1 and "効力のある地域再生計画" in reason["fiscal_year"], (round_, reason)


def test_a_pledge_racing_the_import_that_excludes_its_recipient(client_for, users, register, company, monkeypatch):
    pledger, admin = _client(client_for, users["company"]), _client(client_for, users["admin"])
    for round_ in range(ROUNDS):
        year = 2026 + round_
        _plan, project = _project(register, year)
        upload = io.BytesIO(f"団体コード,年度,不交付団体,三大都市圏\r\n132012,{year},はい,はい\r\n".encode("cp932"))
        upload.name = "non_grant.csv"
        location = admin.post("/funding/non-grant/import/", {"file": upload})["Location"]
        sha256 = re.search(r'name="sha256" value="([0-9a-f]{64})"', admin.get(location).content.decode()).group(1)
        # One barrier for both modules: the pledge (actions) and the import's write (importing).
        with monkeypatch.context() as patch:
            meet_before_writing(patch, actions, timeout=TIMEOUT)
            patch.setattr(importing, "transaction", actions.transaction)
            pledged, imported = each_in_its_thread([
                (pledger, "post", "/api/v1/pledges", {"project": project.pk, "amount": 1_000_000,
                                                      "fiscal_year": year, "no_return_declared": True}),
                (admin, "form", location + "commit", {"sha256": sha256})], _send)

        assert imported.status_code == 302, (round_, imported.content)
        assert NonGrantStatus.objects.get(code="132012", fiscal_year=year).excluded, round_
        made = CorporateDonationPledge.objects.filter(project=project).first()
        if pledged.status_code == 201:
            # Written before the import changed the 区分: its history comes first.
            status = NonGrantStatus.objects.get(code="132012", fiscal_year=year)
            change = ChangeRecord.objects.get(model="funding.nongrantstatus", object_id=str(status.pk), action="update")
            written = ChangeRecord.objects.get(model="funding.corporatedonationpledge", object_id=str(made.pk))
            assert written.pk < change.pk, round_
        else:
            assert pledged.status_code == 422 and made is None, (round_, pledged.content)
            assert pledged.json()["detail"] == {"recipient": f"東京都八王子市は{year}年度、三大都市圏の不交付団体のため対象外です"}, \
                round_
