"""The deadline calendar, parsed by a real iCalendar library."""

import datetime as dt

from django.utils import timezone
from icalendar import Calendar


def test_feed_of_all_deadlines_parses(client, catalog, users):
    from chiiki.programs.actions import save_program
    from chiiki.programs.catalog import row_of

    program = catalog["MIC-IOT-IMPL"]
    row = row_of(program)
    today = timezone.localdate()
    row["windows"] = f"{today.isoformat()}..{(today + dt.timedelta(days=20)).isoformat()}"
    save_program(users["admin"], program, row, version=program.version)

    response = client.get("/programs/deadlines.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    summaries = {str(e["SUMMARY"]) for e in events}
    assert "【締切】地域IoT実装推進事業" in summaries
    assert "【締切】地域情報化アドバイザー派遣制度" in summaries
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids))
    impl = next(e for e in events if str(e["SUMMARY"]) == "【締切】地域IoT実装推進事業")
    assert impl.decoded("DTSTART") == today + dt.timedelta(days=20)
    advisor_days = sorted(e.decoded("DTSTART") for e in events if "アドバイザー" in str(e["SUMMARY"]))
    assert all(d.month in (4, 5, 6, 7, 8, 9, 10, 11, 12) for d in advisor_days)
    assert all(d == (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1) for d in advisor_days)
    # stable UIDs: the same feed twice gives the same ids
    again = Calendar.from_ical(client.get("/programs/deadlines.ics").content)
    assert sorted(str(e["UID"]) for e in again.walk("VEVENT")) == sorted(uids)


def test_feed_filtered_like_a_search(client, catalog):
    calendar = Calendar.from_ical(client.get("/programs/deadlines.ics", {"support_type": "funding"}).content)
    assert not [e for e in calendar.walk("VEVENT") if "アドバイザー" in str(e["SUMMARY"])]
    calendar = Calendar.from_ical(client.get("/programs/deadlines.ics", {"q": "アドバイザー派遣"}).content)
    assert {str(e["SUMMARY"]) for e in calendar.walk("VEVENT")} == {"【締切】地域情報化アドバイザー派遣制度"}
    single = Calendar.from_ical(client.get("/programs/deadlines.ics", {"program": "MIC-ICT-ADVISOR"}).content)
    assert single.walk("VEVENT")
    assert client.get("/programs/deadlines.ics", {"program": "NOPE"}).status_code == 404
