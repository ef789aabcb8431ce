"""マイページ's 人材 part: each dispatch request appears for whoever has the next step, with a link to the list of
exactly those requests (the list's own filters)."""

import re

from chiiki.talent.tests.conftest import move
from chiiki.testing import follow_section_list, mypage_section


def _list_ids(client, html_section: str) -> set[str]:
    """The request ids of the list the section links to."""
    return set(re.findall(r'href="/talent/requests/(\d+)/"', follow_section_list(client, html_section)))


def test_the_next_step_of_a_request_moves_from_mypage_to_mypage(users, client_for, hachioji_request, advisor_profile,
                                                               rounds):
    staff, secretariat, advisor = (client_for(users[k]) for k in ("hachioji", "admin", "advisor"))
    pk = str(hachioji_request.pk)

    mine = mypage_section(staff, "talent-municipality")
    assert "団体の対応を待つ派遣依頼（1件）" in mine and "下書き → 申請する" in mine
    assert f'href="/talent/requests/{pk}/"' in mine
    assert _list_ids(staff, mine) == {pk}
    assert mypage_section(secretariat, "talent-secretariat") is None

    move(hachioji_request, "submit", users["hachioji"])
    assert mypage_section(staff, "talent-municipality") is None
    desk = mypage_section(secretariat, "talent-secretariat")
    assert "申請 → 受け付ける" in desk and _list_ids(secretariat, desk) == {pk}

    move(hachioji_request, "receive")
    move(hachioji_request, "ask", talent=advisor_profile)
    answer = mypage_section(advisor, "talent-respond")
    assert "依頼中 → 承諾か辞退を回答する" in answer and _list_ids(advisor, answer) == {pk}
    assert mypage_section(secretariat, "talent-secretariat") is None

    move(hachioji_request, "decline", users["advisor"], reason="日程が合いません")
    assert mypage_section(advisor, "talent-respond") is None
    assert "辞退 → 候補を選び人材に依頼する" in mypage_section(secretariat, "talent-secretariat")


def test_prefecture_staff_see_their_municipalities_drafts_and_others_see_none(users, client_for, hachioji_request):
    pref = mypage_section(client_for(users["tokyo"]), "talent-prefecture")
    assert "管内の団体の対応を待つ派遣依頼（1件）" in pref
    assert _list_ids(client_for(users["tokyo"]), pref) == {str(hachioji_request.pk)}
    html = client_for(users["sapporo"]).get("/accounts/mypage/").content.decode()
    assert "派遣依頼" not in re.search(r'id="todo">(.*?)</section>\s*<div', html, re.S).group(1)


def test_capabilities_name_the_talent_pages(users, client_for, advisor_profile):
    staff = client_for(users["hachioji"]).get("/accounts/mypage/").content.decode()
    assert '<a href="/talent/requests/new">八王子市として人材（地域情報化アドバイザーなど）の派遣を依頼できます</a>' in staff
    advisor = client_for(users["advisor"]).get("/accounts/mypage/").content.decode()
    assert 'href="/talent/me">人材として、依頼への回答と派遣報告ができます' in advisor
