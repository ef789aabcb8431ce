"""Saved searches with opt-in e-mail alerts: daily digest command, idempotency, one-click unsubscribe."""

import datetime as dt
import re
from io import StringIO

from django.core import mail
from django.core.management import call_command

from chiiki.programs.actions import save_program
from chiiki.programs.catalog import row_of
from chiiki.programs.models import SavedSearch

TODAY = dt.date(2026, 11, 20)  # 地域情報化アドバイザー: the November deadline (11/30) is within 14 days


def run(day=TODAY):
    out = StringIO()
    call_command("send_program_alerts", "--date", day.isoformat(), stdout=out)
    return out.getvalue()


def save(client, params, alerts):
    return client.post("/programs/saved/new", {"name": "専門家の派遣", "params": params,
                                               "alerts": "on" if alerts else ""})


def test_saving_requires_login(client, catalog):
    response = save(client, "q=専門家", True)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not SavedSearch.objects.exists()


def test_no_mail_without_opt_in(client_for, catalog, users):
    user = users["hachioji"]
    user.email = "hachioji@example.jp"
    user.save()
    save(client_for(user), "q=専門家", alerts=False)
    assert SavedSearch.objects.get().alerts is False
    run()
    assert mail.outbox == []


def test_opt_in_digest_new_and_closing_once_per_day(client_for, catalog, users):
    user = users["hachioji"]
    user.email = "hachioji@example.jp"
    user.save()
    client = client_for(user)
    save(client, "q=アドバイザー派遣", alerts=True)
    saved = SavedSearch.objects.get()
    assert saved.alerts and "MIC-ICT-ADVISOR" in saved.seen_program_ids  # existing matches are not "new"

    assert "送信1通" in run()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["hachioji@example.jp"]
    assert "14日以内に締切" in message.body and "2026年11月30日（月末として表示・締切日は募集案内で確認） 地域情報化アドバイザー派遣制度" in message.body
    assert "新しく該当" not in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    assert "本日送信済み1人" in run()  # cron runs again the same day: nothing more
    assert len(mail.outbox) == 1

    # A new program matching the search is announced the next day.
    row = row_of(catalog["MIC-ICT-ADVISOR"])
    row.update(id="TEST-ADVISOR-2", name="テスト用アドバイザー派遣", windows="")
    save_program(users["admin"], None, row)
    run(TODAY + dt.timedelta(days=1))
    assert len(mail.outbox) == 2
    assert "新しく該当した支援メニュー" in mail.outbox[1].body and "テスト用アドバイザー派遣" in mail.outbox[1].body


def test_one_click_unsubscribe(client, client_for, catalog, users):
    user = users["hachioji"]
    user.email = "hachioji@example.jp"
    user.save()
    save(client_for(user), "q=アドバイザー派遣", alerts=True)
    run()
    link = re.search(r"https?://\S+/programs/alerts/unsubscribe/\S+/", mail.outbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.post("/" + path)  # RFC 8058 one-click POST, no login, no CSRF token
    assert response.status_code == 200 and "停止しました" in response.content.decode()
    assert SavedSearch.objects.get().alerts is False
    run(TODAY + dt.timedelta(days=1))
    assert len(mail.outbox) == 1
    assert client.get("/programs/alerts/unsubscribe/forged-token/").status_code == 404


def test_the_unsubscribe_link_works_again_after_alerts_are_turned_back_on(client, client_for, catalog, users):
    # The link's POST writes; its GET page must not come from the anonymous page cache either.
    user = users["hachioji"]
    user.email = "hachioji@example.jp"
    user.save()
    save(client_for(user), "q=アドバイザー派遣", alerts=True)
    run()
    link = re.search(r"https?://\S+/programs/alerts/unsubscribe/\S+/", mail.outbox[0].body).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    assert client.post(path).status_code == 200 and SavedSearch.objects.get().alerts is False
    saved = SavedSearch.objects.get()
    assert client_for(user).post(f"/programs/saved/{saved.pk}/alerts", {"alerts": "on"}).status_code == 302
    assert SavedSearch.objects.get().alerts is True
    assert client.post(path).status_code == 200 and SavedSearch.objects.get().alerts is False


def test_opt_in_needs_an_email_address(client_for, catalog, users):
    user = users["hachioji"]
    response = save(client_for(user), "q=防災", alerts=True)
    assert response.status_code == 422 and not SavedSearch.objects.exists()
    assert "マイページでメールアドレスを登録してください" in response.content.decode()


def test_saved_searches_are_private(client_for, catalog, users):
    user = users["hachioji"]
    save(client_for(user), "q=防災", alerts=False)
    saved = SavedSearch.objects.get()
    other = client_for(users["sapporo"])
    assert other.post(f"/programs/saved/{saved.pk}/delete").status_code == 404
    assert "防災" not in other.get("/programs/saved/").content.decode().split("<h1>")[1]
    own = client_for(user)
    assert own.post(f"/programs/saved/{saved.pk}/delete").status_code == 302
    assert not SavedSearch.objects.exists()


def test_every_saved_search_change_is_in_history(client, client_for, catalog, users):
    from chiiki.core.models import ChangeRecord
    from chiiki.programs import alerts

    user = users["hachioji"]
    user.email = "hachioji@example.jp"
    user.save()
    owner = client_for(user)
    save(owner, "q=専門家", alerts=False)
    saved = SavedSearch.objects.get()
    owner.post(f"/programs/saved/{saved.pk}/alerts", {"alerts": "on"})
    client.post(f"/programs/alerts/unsubscribe/{alerts.unsubscribe_token(saved)}/")
    owner.post(f"/programs/saved/{saved.pk}/delete")
    entries = list(ChangeRecord.objects.filter(model="programs.savedsearch").order_by("at", "id"))
    assert [(e.action, e.actor, (e.before or {}).get("alerts"), (e.after or {}).get("alerts")) for e in entries] == [
        ("create", user, None, False), ("update", user, False, True), ("update", user, True, False),
        ("delete", user, False, None)]
    assert entries[-1].before["name"] == "専門家の派遣" and not SavedSearch.objects.exists()


def test_unsubscribe_get_only_asks_and_links_expire(client, client_for, catalog, users):
    """Hardening finding 12: mail scanners follow links with GET, so GET confirms and POST stops; links expire."""
    import time
    from unittest import mock

    from chiiki.programs import alerts

    user = users["hachioji"]
    user.email = "hachioji@example.jp"
    user.save()
    save(client_for(user), "q=アドバイザー派遣", alerts=True)
    saved = SavedSearch.objects.get()
    path = f"/programs/alerts/unsubscribe/{alerts.unsubscribe_token(saved)}/"
    page = client.get(path)
    assert page.status_code == 200 and "通知を停止する</button>" in page.content.decode()
    assert SavedSearch.objects.get().alerts is True  # GET wrote nothing
    with mock.patch("time.time", return_value=time.time() - (alerts.UNSUBSCRIBE_DAYS + 1) * 86400):
        stale = alerts.unsubscribe_token(saved)
    expired = client.post(f"/programs/alerts/unsubscribe/{stale}/")
    assert expired.status_code == 410 and "有効期限" in expired.content.decode()
    assert SavedSearch.objects.get().alerts is True
    assert client.post(path).status_code == 200 and SavedSearch.objects.get().alerts is False


def test_saved_searches_list_their_conditions_in_words(client_for, catalog, users):
    client = client_for(users["hachioji"])
    client.post("/programs/saved/new", {"name": "観光で使えるもの",
                                        "params": "q=Wi-Fi&sector=tourism&status=open&eligible_for=132012"})
    client.post("/programs/saved/new", {"name": "すべて", "params": ""})
    html = client.get("/programs/saved/").content.decode()
    assert "キーワード「Wi-Fi」・分野: 観光・募集状況: 受付中・東京都八王子市で利用可能" in html
    assert "条件なし（すべての支援メニュー）" in html
    assert '<td class="small">q=Wi-Fi' not in html and "<code>" not in html  # not the raw query string


def test_the_saved_searches_page_states_the_window_the_digest_uses(client_for, catalog, users, monkeypatch):
    """The page's figure is the digest's own constant, so the two cannot drift apart."""
    from chiiki.programs import alerts

    monkeypatch.setattr(alerts, "CLOSING_DAYS", 21)
    html = client_for(users["hachioji"]).get("/programs/saved/").content.decode()
    assert "21日以内の締切" in html and "14日以内の締切" not in html


def _hachioji_saving(users, client_for, *searches):
    """八王子市's officer (with an e-mail address, so alerts can be on) saves (name, params, alerts) searches."""
    user = users["hachioji"]
    user.email = "hachioji@example.jp"
    user.save()
    own = client_for(user)
    for name, params, alerts in searches:
        own.post("/programs/saved/new", {"name": name, "params": params, **({"alerts": "on"} if alerts else {})})
    return own


def test_saved_searches_export_only_the_users_own_rows_as_listed(client, client_for, catalog, users):
    from chiiki.core.tabular import read_table

    own = _hachioji_saving(users, client_for, ("観光で使えるもの", "q=Wi-Fi&sector=tourism", True), ("=すべて", "", False))
    client_for(users["sapporo"]).post("/programs/saved/new", {"name": "札幌の防災", "params": "q=防災"})
    page = own.get("/programs/saved/").content.decode()
    assert '<a href="?format=csv">CSV</a>' in page and '<a href="?format=xlsx">XLSX</a>' in page
    shown = re.findall(r'<th scope="row"><a href="[^"]*">([^<]+)</a></th>', page)
    table = read_table(own.get("/programs/saved/?format=csv").content, "s.csv")
    assert table.header == ["名前", "条件", "メール通知", "作成日", "URL"]
    assert [r.values["名前"] for r in table.rows] == shown == ["=すべて", "観光で使えるもの"]
    everything, tourism = (r.values for r in table.rows)
    assert tourism["条件"] == "キーワード「Wi-Fi」・分野: 観光" and tourism["メール通知"] == "有効"
    assert tourism["URL"] == "http://testserver/programs/?q=Wi-Fi&sector=tourism"
    assert everything["条件"] == "条件なし（すべての支援メニュー）" and everything["メール通知"] == "停止中"
    assert everything["URL"] == "http://testserver/programs/"
    xlsx = read_table(own.get("/programs/saved/?format=xlsx").content, "s.xlsx")
    assert [r.values for r in xlsx.rows] == [r.values for r in table.rows]
    theirs = read_table(client_for(users["sapporo"]).get("/programs/saved/?format=csv").content, "o.csv")
    assert [r.values["名前"] for r in theirs.rows] == ["札幌の防災"]
    anonymous = client.get("/programs/saved/?format=csv")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_each_saved_searchs_buttons_name_the_search_they_act_on(client_for, catalog, users):
    """On a phone the row's cells stack as cards: the buttons say which search they delete or switch."""
    own = _hachioji_saving(users, client_for, ("観光で使えるもの", "sector=tourism", True), ("防災", "q=防災", False))
    page = own.get("/programs/saved/").content.decode()
    for name in ("観光で使えるもの", "防災"):
        assert f'aria-label="「{name}」を削除">削除</button>' in page
    assert 'aria-label="「観光で使えるもの」のメール通知を停止する">停止する</button>' in page
    assert 'aria-label="「防災」のメール通知を有効にする">有効にする</button>' in page
    assert page.count('<td data-label="操作">') == 2
