"""マイページ's 人材 part: each dispatch request appears for whoever has the next step, with a link to the list of
exactly those requests (the list's own filters)."""

import re

import pytest

from chiiki.talent import actions
from chiiki.talent.tests.conftest import move, request_data
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


# The whole マイページ, measured with a request waiting in each of these users' talent section. Before session 8 the
# same page took 20 queries for the municipal staff and 15 for the secretariat (the talent profile read twice; the
# affiliation, the organisation and every shown section's count each a query of its own).
PAGE_QUERIES = {"hachioji": 13, "admin": 11}


@pytest.mark.parametrize("who", sorted(PAGE_QUERIES))
def test_mypage_reads_a_fixed_number_of_queries(users, client_for, hachioji_request, rounds, advisor_profile,
                                                django_assert_max_num_queries, who):
    submitted = actions.create_request(users["hachioji"], hachioji_request.municipality,
                                       request_data(title="申請済みの依頼"))
    move(submitted, "submit", users["hachioji"])
    client = client_for(users[who])
    client.get("/accounts/mypage/")  # the session and other one-off reads
    with django_assert_max_num_queries(PAGE_QUERIES[who]):
        html = client.get("/accounts/mypage/").content.decode()
    # The count holds with the sections shown, not by leaving them out.
    key, title = {"hachioji": ("talent-municipality", "下書き → 申請する"),
                  "admin": ("talent-secretariat", "申請 → 受け付ける")}[who]
    assert f'id="todo-{key}-section"' in html and title in html
    assert "できること" in html and users[who].username in html
