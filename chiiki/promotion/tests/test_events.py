"""Events: validation, JST times, online-first for 離島・中山間, ICS, and capacity under concurrent registrations."""

import datetime as dt
import json
import threading
import urllib.error
import urllib.request
from collections import Counter

import pytest
from django.utils import timezone

from chiiki.promotion.models import Registration

from .conftest import bearer, send

THREADS = 12
CAPACITY = 4
TIMEOUT = 120


def jst(days, hour):
    day = timezone.localdate() + dt.timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00"


def event_body(**extra):
    return {"title": "スマート農業オンライン説明会", "organiser": "municipality:132012", "format": "online",
            "starts_at": jst(10, 14), "ends_at": jst(10, 15), "online_url": "https://example.jp/meet",
            "sectors": ["agriculture"], "capacity": 2, **extra}


@pytest.mark.django_db
def test_create_validate_and_register(client, users):
    officer = bearer(users["hachioji"])
    bad = send(client, "post", "/api/v1/events", event_body(online_url="", ends_at=jst(10, 13),
                                                            organiser="municipality:011002"), **officer)
    assert bad.status_code == 422
    assert set(bad.json()["detail"]) == {"online_url", "ends_at", "organiser"}
    created = send(client, "post", "/api/v1/events", event_body(), **officer)
    assert created.status_code == 201, created.content
    event = created.json()
    assert event["starts_at"].endswith("+09:00") or "T05:00:00" in event["starts_at"]  # entered as JST
    url = f"/api/v1/events/{event['id']}/registrations"
    assert client.post(url).status_code == 401
    assert client.post(url, **bearer(users["company"])).status_code == 201
    assert client.post(url, **bearer(users["company"])).status_code == 422  # already registered
    assert client.post(url, **bearer(users["advisor"])).status_code == 201
    full = client.post(url, **bearer(users["tokyo"]))
    assert full.status_code == 409 and "定員" in full.json()["detail"]
    assert client.delete(url, **bearer(users["advisor"])).status_code == 204
    assert client.post(url, **bearer(users["tokyo"])).status_code == 201
    # Its creator, the officers of its organiser (八王子市 and 東京都) and the admin edit it, e.g. to add the
    # recording after the event; another municipality's staff may not.
    update = event_body(recording_url="https://example.jp/rec", version=1)
    for other in ("aogashima", "sapporo", "company", "advisor"):
        assert send(client, "put", f"/api/v1/events/{event['id']}", update,
                    **bearer(users[other])).status_code == 403, other
    assert send(client, "put", f"/api/v1/events/{event['id']}", {**update, "capacity": 1}, **officer).status_code == 422
    assert send(client, "put", f"/api/v1/events/{event['id']}", update, **officer).json()["recording_url"] \
        == "https://example.jp/rec"


@pytest.mark.django_db
def test_online_first_for_islands_and_mountains(client, users, register):
    island = register["municipalities"]["134023"]
    island.remote_island = True
    island.save()
    officer = bearer(users["hachioji"])
    send(client, "post", "/api/v1/events", event_body(title="会場の催し", format="onsite", online_url="",
                                                     venue="八王子市役所", starts_at=jst(5, 10), ends_at=jst(5, 12)),
         **officer)
    send(client, "post", "/api/v1/events", event_body(title="オンラインの催し", starts_at=jst(20, 10),
                                                     ends_at=jst(20, 11)), **officer)
    order = lambda q: [e["title"] for e in client.get(f"/api/v1/events{q}").json()]  # noqa: E731
    assert order("") == ["会場の催し", "オンラインの催し"]  # by date
    assert order("?municipality=134023") == ["オンラインの催し", "会場の催し"]  # 離島: online first
    assert order("?municipality=132012") == ["会場の催し", "オンラインの催し"]
    page = client.get("/promotion/events/?municipality=134023").content.decode()
    assert 'data-testid="online-first"' in page and page.index("オンラインの催し") < page.index("会場の催し")
    ics = client.get("/promotion/events/calendar.ics").content.decode()
    assert ics.count("BEGIN:VEVENT") == 2 and "LOCATION:八王子市役所" in ics
    # 10:00 JST is 01:00 UTC
    assert f"DTSTART:{(timezone.localdate() + dt.timedelta(days=5)).strftime('%Y%m%d')}T010000Z" in ics


@pytest.mark.django_db
def test_event_pages(client_for, users):
    officer = client_for(users["hachioji"])
    response = officer.post("/promotion/events/new", {**event_body(sectors="agriculture"), "capacity": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    company = client_for(users["company"])
    assert company.post(response["Location"]).status_code == 302
    page = client_for(users["advisor"]).post(response["Location"])
    assert page.status_code == 409 and "定員に達したため申し込めません" in page.content.decode()


def _register(url: str, key: str, results: list, barrier: threading.Barrier):
    request = urllib.request.Request(url, data=b"", method="POST", headers={"Authorization": f"Bearer {key}"})
    barrier.wait()
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            results.append(response.status)
    except urllib.error.HTTPError as exc:
        results.append((exc.code, json.loads(exc.read()).get("detail")))


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_never_exceed_capacity(live_server, users, django_user_model):
    from chiiki.accounts.models import ApiToken
    from chiiki.promotion import actions

    event = actions.save_event(users["hachioji"], None, event_body(capacity=CAPACITY))
    keys = []
    for n in range(THREADS):
        user = django_user_model.objects.create(username=f"attendee{n}", role="company")
        keys.append(ApiToken.issue(user, "concurrency")[1])
    url = f"{live_server.url}/api/v1/events/{event.pk}/registrations"
    results, barrier = [], threading.Barrier(THREADS)
    threads = [threading.Thread(target=_register, args=(url, key, results, barrier)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    statuses = Counter(r if isinstance(r, int) else r[0] for r in results)
    assert len(results) == THREADS
    assert statuses[201] == CAPACITY, results
    assert set(statuses) <= {201, 409}, results
    assert Registration.objects.filter(event=event).count() == CAPACITY


@pytest.mark.django_db
def test_a_full_event_shows_full_instead_of_the_button(client, client_for, users):
    from chiiki.promotion import actions

    event = actions.save_event(users["hachioji"], None, {**event_body(capacity=1), "sectors": []})
    url = f"/promotion/events/{event.pk}/"
    company, advisor = client_for(users["company"]), client_for(users["advisor"])
    assert "参加を申し込む</button>" in advisor.get(url).content.decode()
    assert company.post(url, {}).status_code == 302  # the one seat
    for viewer in (advisor, client):  # signed in or not: no button, no login link, 満員
        page = viewer.get(url).content.decode()
        assert 'data-testid="event-full"><strong>満員</strong>' in page
        assert "参加を申し込む</button>" not in page and "ログインして申し込む" not in page
    assert 'data-testid="event-count">1／1' in advisor.get(url).content.decode()
    # The page was open before the seat went: the server still refuses, and the page now says 満員.
    late = advisor.post(url, {})
    assert late.status_code == 409 and "定員に達したため申し込めません" in late.content.decode()
    assert 'data-testid="event-full"' in late.content.decode()
    assert not Registration.objects.filter(event=event, user=users["advisor"]).exists()
    # The one registered sees their cancel button, not 満員; cancelling frees the seat and the button returns.
    own = company.get(url).content.decode()
    assert "申込を取り消す" in own and 'data-testid="event-full"' not in own
    assert company.post(url, {"action": "cancel"}).status_code == 302
    page = advisor.get(url).content.decode()
    assert "参加を申し込む</button>" in page and 'data-testid="event-full"' not in page
    assert advisor.post(url, {}).status_code == 302


@pytest.mark.django_db
def test_a_colleague_edits_the_prefectures_event(client_for, users, register):
    """An event organised by a prefecture is the prefecture's: another officer of the same prefecture adds the
    recording (the one who registered it may have moved on); an officer of another prefecture may not."""
    from chiiki.accounts.models import Role, User
    from chiiki.promotion import actions
    from chiiki.promotion.models import Event

    event = actions.save_event(users["tokyo"], None, event_body(organiser="prefecture:13", capacity=""))
    colleague = User.objects.create_user("tokyo-colleague", role=Role.PREFECTURE_STAFF,
                                         prefecture=register["prefectures"]["13"])
    outsider = User.objects.create_user("hokkaido-pref", role=Role.PREFECTURE_STAFF,
                                        prefecture=register["prefectures"]["01"])
    url = f"/promotion/events/{event.pk}/"
    assert "編集する（録画・資料の追加）" in client_for(colleague).get(url).content.decode()
    form = {**event_body(organiser="prefecture:13", capacity=""), "recording_url": "https://example.jp/rec",
            "version": event.version}
    response = client_for(colleague).post(f"{url}edit", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Event.objects.get(pk=event.pk).recording_url == "https://example.jp/rec"
    assert "編集する（録画・資料の追加）" not in client_for(outsider).get(url).content.decode()
    assert client_for(outsider).get(f"{url}edit").status_code == 403
    refused = client_for(outsider).post(f"{url}edit", {**form, "recording_url": "https://example.jp/x",
                                                      "version": event.version + 1})
    assert refused.status_code == 403
    assert Event.objects.get(pk=event.pk).recording_url == "https://example.jp/rec"


@pytest.mark.django_db
def test_a_prefecture_lists_the_events_organised_in_it(client, users, register):
    """主催の都道府県: the prefecture itself, its municipalities, and organisations based there; the same rows on the
    page, in the export, the calendar and the API."""
    from chiiki.promotion import actions
    from chiiki.promotion.models import Organisation

    tokyo_org = Organisation.objects.create(name="東京の協会", kind="industry", prefecture_id="13")
    sapporo_org = Organisation.objects.create(name="札幌の協会", kind="industry", prefecture_id="01")
    titles = {"都の説明会": "prefecture:13", "八王子の説明会": "municipality:132012",
              "東京の協会の説明会": f"organisation:{tokyo_org.pk}", "札幌の協会の説明会": f"organisation:{sapporo_org.pk}",
              "札幌市の説明会": "municipality:011002"}
    for title, organiser in titles.items():
        actions.save_event(users["admin"], None, event_body(title=title, organiser=organiser))
    ours = {"都の説明会", "八王子の説明会", "東京の協会の説明会"}
    html = client.get("/promotion/events/?prefecture=13").content.decode()
    assert {t for t in titles if t in html} == ours
    assert '<option value="13" selected>東京都</option>' in html
    exported = client.get("/promotion/events/?prefecture=13&format=csv").content.decode("utf-8-sig")
    assert {t for t in titles if t in exported} == ours
    calendar = client.get("/promotion/events/calendar.ics?prefecture=13").content.decode()
    assert {t for t in titles if t in calendar} == ours
    assert {e["title"] for e in client.get("/api/v1/events", {"prefecture": "13"}).json()} == ours
    assert len(client.get("/api/v1/events").json()) == len(titles)


def test_the_calendar_file_holds_the_events_the_list_shows(client_for, users):
    """「カレンダーに追加（ICS）」 carries the list's query string, but ignored registered=1 and past=1: it held every
    upcoming event instead of the ones listed (「終了した催しも表示」 adds the ended ones)."""
    from chiiki.promotion import actions
    from chiiki.promotion.models import Event

    mine = actions.save_event(users["admin"], None, event_body(title="申し込んだ説明会"))
    actions.save_event(users["admin"], None, event_body(title="ほかの説明会"))
    past = actions.save_event(users["admin"], None, event_body(title="終わった説明会"))
    Event.objects.filter(pk=past.pk).update(starts_at=timezone.now() - dt.timedelta(days=3),
                                            ends_at=timezone.now() - dt.timedelta(days=3, hours=-1))
    actions.register_for_event(users["company"], mine)
    company = client_for(users["company"])
    titles = ("申し込んだ説明会", "ほかの説明会", "終わった説明会")
    for query, shown in [("registered=1", {"申し込んだ説明会"}), ("past=1", set(titles)),
                         ("", {"申し込んだ説明会", "ほかの説明会"})]:
        page = company.get(f"/promotion/events/?{query}").content.decode()
        calendar = company.get(f"/promotion/events/calendar.ics?{query}").content.decode()
        assert {t for t in titles if t in page} == shown == {t for t in titles if t in calendar}, query
