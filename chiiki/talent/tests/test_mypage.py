"""マイページ's 人材 part: each dispatch request appears for whoever has the next step, with a link to the list of
exactly those requests (the list's own filters)."""

import re

from chiiki.talent.tests.conftest import move


def _section(html: str, key: str) -> str | None:
    match = re.search(rf'id="todo-{key}-section">(.*?)</section>', html, re.S)
    return match.group(1) if match else None


def _list_ids(client, html_section: str) -> set[str]:
    """The request ids of the list the section links to (its 一覧で見る / すべて見る link)."""
    url = re.search(r'<a href="([^"]+)">(?:一覧で見る|ほか)', html_section).group(1).replace("&amp;", "&")
    page = client.get(url).content.decode()
    return set(re.findall(r'href="/talent/requests/(\d+)/"', page))


def test_the_next_step_of_a_request_moves_from_mypage_to_mypage(users, client_for, hachioji_request, advisor_profile,
                                                               rounds):
    staff, secretariat, advisor = (client_for(users[k]) for k in ("hachioji", "admin", "advisor"))
    pk = str(hachioji_request.pk)

    mine = _section(staff.get("/accounts/mypage/").content.decode(), "talent-municipality")
    assert "団体の対応を待つ派遣依頼（1件）" in mine and "下書き → 申請する" in mine
    assert f'href="/talent/requests/{pk}/"' in mine
    assert _list_ids(staff, mine) == {pk}
    assert _section(secretariat.get("/accounts/mypage/").content.decode(), "talent-secretariat") is None

    move(hachioji_request, "submit", users["hachioji"])
    assert _section(staff.get("/accounts/mypage/").content.decode(), "talent-municipality") is None
    desk = _section(secretariat.get("/accounts/mypage/").content.decode(), "talent-secretariat")
    assert "申請 → 受け付ける" in desk and _list_ids(secretariat, desk) == {pk}

    move(hachioji_request, "receive")
    move(hachioji_request, "ask", talent=advisor_profile)
    answer = _section(advisor.get("/accounts/mypage/").content.decode(), "talent-respond")
    assert "依頼中 → 承諾か辞退を回答する" in answer and _list_ids(advisor, answer) == {pk}
    assert _section(secretariat.get("/accounts/mypage/").content.decode(), "talent-secretariat") is None

    move(hachioji_request, "decline", users["advisor"], reason="日程が合いません")
    assert _section(advisor.get("/accounts/mypage/").content.decode(), "talent-respond") is None
    assert "辞退 → 候補を選び人材に依頼する" in _section(secretariat.get("/accounts/mypage/").content.decode(),
                                                  "talent-secretariat")


def test_prefecture_staff_see_their_municipalities_drafts_and_others_see_none(users, client_for, hachioji_request):
    pref = _section(client_for(users["tokyo"]).get("/accounts/mypage/").content.decode(), "talent-prefecture")
    assert "管内の団体の対応を待つ派遣依頼（1件）" in pref
    assert _list_ids(client_for(users["tokyo"]), pref) == {str(hachioji_request.pk)}
    html = client_for(users["sapporo"]).get("/accounts/mypage/").content.decode()
    assert "派遣依頼" not in re.search(r'id="todo">(.*?)</section>\s*<div', html, re.S).group(1)


def test_capabilities_name_the_talent_pages(users, client_for, advisor_profile):
    staff = client_for(users["hachioji"]).get("/accounts/mypage/").content.decode()
    assert '<a href="/talent/requests/new">八王子市として人材（地域情報化アドバイザーなど）の派遣を依頼できます</a>' in staff
    advisor = client_for(users["advisor"]).get("/accounts/mypage/").content.decode()
    assert 'href="/talent/me">人材として、依頼への回答と派遣報告ができます' in advisor
