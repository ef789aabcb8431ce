"""Dates the programs app writes in Python (the digest e-mail, the application windows) come from
chiiki.core.dates.japanese_date, the one format the templates and マイページ use, so they cannot drift apart."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command

from chiiki.programs.actions import save_program
from chiiki.programs.catalog import row_of
from chiiki.programs.models import SavedSearch

TODAY = dt.date(2026, 11, 20)  # 地域情報化アドバイザー: the November deadline (11/30) is within 14 days


@pytest.fixture
def other_format(monkeypatch):
    """A date format no inline f-string writes: what shows it went through japanese_date."""
    from chiiki.core import dates

    monkeypatch.setattr(dates, "DATE", "Y.n.j")


def _digest(client_for, users) -> str:
    user = users["hachioji"]
    user.email = "hachioji@example.jp"
    user.save()
    client_for(user).post("/programs/saved/new", {"name": "専門家の派遣", "params": "q=アドバイザー派遣", "alerts": "on"})
    assert SavedSearch.objects.get().alerts
    call_command("send_program_alerts", "--date", TODAY.isoformat(), stdout=None)
    (message,) = mail.outbox
    return message.body


def test_the_digest_writes_its_dates_in_japanese(client_for, catalog, users):
    body = _digest(client_for, users)
    assert "お知らせです（2026年11月20日）。" in body
    assert "・2026年11月30日（月末として表示・締切日は募集案内で確認） 地域情報化アドバイザー派遣制度" in body


def test_the_digest_dates_come_from_core_dates(client_for, catalog, users, other_format):
    body = _digest(client_for, users)
    assert "お知らせです（2026.11.20）。" in body and "・2026.11.30（月末として表示・締切日は募集案内で確認） 地域情報化アドバイザー派遣制度" in body
    assert "年11月" not in body


def _dated_program(catalog, users):
    row = row_of(catalog["MIC-ICT-ADVISOR"])
    row.update(id="TEST-DATED", name="期間のある支援メニュー", windows="2026-04-01..2026-05-31")
    return save_program(users["admin"], None, row)


def test_a_dated_window_reads_in_japanese_on_the_program_page(client_for, catalog, users):
    program = _dated_program(catalog, users)
    html = client_for(users["hachioji"]).get(program.get_absolute_url()).content.decode()
    assert "<li>2026年4月1日〜2026年5月31日</li>" in html


def test_a_dated_window_label_comes_from_core_dates(client_for, catalog, users, other_format):
    program = _dated_program(catalog, users)
    html = client_for(users["hachioji"]).get(program.get_absolute_url()).content.decode()
    assert "<li>2026.4.1〜2026.5.31</li>" in html


def test_the_saved_searches_list_dates_them_as_every_page_does(client_for, users):
    """保存した検索's 作成 read 2026/12/04 while the rest of the site (and the programs e-mails) write 2026年12月4日,
    in Japan time: a search saved at 23:30 UTC was made the next day in Japan."""
    import re

    from django.utils import timezone

    client = client_for(users["hachioji"])
    client.post("/programs/saved/new", {"name": "専門家の派遣", "params": "q=アドバイザー派遣"})
    SavedSearch.objects.update(created_at=dt.datetime(2026, 12, 3, 23, 30, tzinfo=dt.UTC))
    page = client.get("/programs/saved/").content.decode()
    assert re.search(r'<td data-label="作成">([^<]*)</td>', page).group(1) == "2026年12月4日"
    assert timezone.get_current_timezone_name() == "Asia/Tokyo"
