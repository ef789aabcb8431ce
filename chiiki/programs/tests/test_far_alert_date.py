"""send_program_alerts --date takes any date a person may type: one near the end of the calendar (9999年) must not
crash the date arithmetic of the 募集期間 (a deadline 400 days ahead, next 年度's months)."""

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from chiiki.programs.models import AlertDelivery, SavedSearch


@pytest.mark.parametrize("day", [dt.date(9999, 6, 1), dt.date(9999, 12, 31)])
def test_the_alert_command_runs_on_a_date_at_the_end_of_the_calendar(client_for, catalog, users, day):
    user = users["hachioji"]
    user.email = "hachioji@example.jp"
    user.save()
    client_for(user).post("/programs/saved/new", {"name": "支援全般", "params": "", "alerts": "on"})
    SavedSearch.objects.update(seen_program_ids=[])  # every program is new that day: a digest is sent
    out = StringIO()
    call_command("send_program_alerts", "--date", day.isoformat(), stdout=out)
    assert "送信1通" in out.getvalue()
    assert AlertDelivery.objects.get().day == day
    assert len(mail.outbox) == 1 and day.strftime("%Y/%m/%d") in mail.outbox[0].subject
