"""A challenge past its proposal deadline, not yet decided, is 審査中 (ChallengeStatus.CLOSED) as its page, the list
and its filter, the export and the API say: before, nothing ever set CLOSED, so it still read 募集中 and the list's
審査中 filter was always empty. The state is derived from the date (the deadline passing is no write)."""

import datetime as dt

import pytest
from django.utils import timezone

from chiiki.core.tabular import read_table
from chiiki.promotion.models import Challenge, Proposal

from .conftest import bearer, send
from .test_challenges import in_days, market  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def past_deadline(cid):
    # The deadline passes (proposals are in; the municipality has not selected yet).
    Challenge.objects.filter(pk=cid).update(deadline=timezone.localdate() - dt.timedelta(days=1))


def test_a_challenge_past_its_deadline_reads_under_review_not_open(client_for, market):  # noqa: F811
    cid = market["challenge"]["id"]
    past_deadline(cid)
    public = client_for(None)
    page = public.get(f"/promotion/challenges/{cid}/").content.decode()
    assert 'data-testid="challenge-status">募集中<' not in page
    assert 'data-testid="challenge-status">審査中<' in page
    # The API says the same as the page, for the one challenge and in the list.
    assert public.get(f"/api/v1/challenges/{cid}").json()["status"] == "closed"
    every = public.get("/api/v1/challenges?status=all").json()
    assert [(c["id"], c["status"]) for c in every["items"]] == [(cid, "closed")]


def test_the_lists_under_review_filter_names_it_and_the_open_one_does_not(client_for, market):  # noqa: F811
    cid = market["challenge"]["id"]
    public = client_for(None)
    link = f'href="/promotion/challenges/{cid}/"'
    past_deadline(cid)  # before any page is cached: an update() bumps no data version
    closed = public.get("/promotion/challenges/?status=closed").content.decode()
    assert link in closed and 'data-testid="challenge-row-status">審査中<' in closed
    assert link not in public.get("/promotion/challenges/?status=open").content.decode()
    # Every challenge: the row says which state it is in.
    assert 'data-testid="challenge-row-status">審査中<' in public.get("/promotion/challenges/?status=all").content.decode()
    # The API's list and its count agree with the page's rows.
    assert public.get("/api/v1/challenges?status=closed").json() == {
        "count": 1, "items": [public.get(f"/api/v1/challenges/{cid}").json()]}
    assert public.get("/api/v1/challenges?status=open").json() == {"count": 0, "items": []}
    # The calendar of the filtered list has it too.
    calendar = public.get("/promotion/challenges/deadlines.ics?status=closed").content.decode()
    assert f"challenge-{cid}@chiiki" in calendar.replace("\r\n ", "")


def test_the_export_says_under_review(client_for, market):  # noqa: F811
    cid = market["challenge"]["id"]
    past_deadline(cid)
    public = client_for(None)
    for fmt in ("csv", "xlsx"):
        response = public.get(f"/promotion/challenges/?status=closed&format={fmt}")
        rows = read_table(response.content, f"challenges.{fmt}").rows
        assert [(r.get("ID"), r.get("状態")) for r in rows] == [(str(cid), "審査中")], fmt


def test_a_proposal_after_the_deadline_is_refused(client, client_for, market, django_user_model):  # noqa: F811
    cid = market["challenge"]["id"]
    past_deadline(cid)
    late = django_user_model.objects.create(username="late", role="company")
    assert send(client, "post", "/api/v1/organisations", {"name": "遅れてきた株式会社", "kind": "startup"},
                **bearer(late)).status_code == 201
    body = {"summary": "遅い提案", "approach": "実証から", "cost": 1_000_000, "team": "2名"}
    refused = send(client, "post", f"/api/v1/challenges/{cid}/proposals", body, **bearer(late))
    assert refused.status_code == 422 and "受付は終了" in str(refused.json()["detail"])
    page = client_for(late).post(f"/promotion/challenges/{cid}/", {"action": "propose", **body})
    assert page.status_code == 422 and "受付は終了" in page.content.decode()
    assert not Proposal.objects.filter(challenge_id=cid, summary="遅い提案").exists()


def test_the_day_after_the_deadline_the_cached_page_reads_under_review(client, client_for, users, monkeypatch):
    body = {"sector": "health", "title": "高齢者の見守り", "problem": "独居高齢者の安否確認", "requirements": "センサーで",
            "deadline": in_days(0)}
    cid = send(client, "post", "/api/v1/municipalities/132012/challenges", body,
               **bearer(users["hachioji"])).json()["id"]
    public = client_for(None)
    url = f"/promotion/challenges/{cid}/"
    assert 'data-testid="challenge-status">募集中<' in public.get(url).content.decode()  # the deadline is today
    assert f'href="{url}"' in public.get("/promotion/challenges/").content.decode()
    tomorrow = timezone.now() + dt.timedelta(days=1)
    assert f'href="{url}"' not in public.get("/promotion/challenges/?status=closed").content.decode()
    monkeypatch.setattr(timezone, "now", lambda: tomorrow)  # no write: only the date moves on
    assert 'data-testid="challenge-status">審査中<' in public.get(url).content.decode()
    assert f'href="{url}"' not in public.get("/promotion/challenges/").content.decode()
    assert f'href="{url}"' in public.get("/promotion/challenges/?status=closed").content.decode()
    assert public.get(f"/api/v1/challenges/{cid}").json()["status"] == "closed"
