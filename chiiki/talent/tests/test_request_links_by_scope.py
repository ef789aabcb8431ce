"""A dispatch on a municipality's 人材 page links to its request only for users who may open it (no link to a 404),
and the request list says which requests it shows the user (the national figures count them all)."""

import re

import pytest

from chiiki.talent.models import Status, TalentRequest

from .test_privacy import ROLES, _user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ROLES)
def test_a_dispatch_links_to_its_request_only_for_who_may_open_it(users, client_for, advisor_profile,
                                                                    hachioji_request, role):
    TalentRequest.objects.filter(pk=hachioji_request.pk).update(status=Status.COMPLETED, talent=advisor_profile,
                                                                talent_label=advisor_profile.display_name)
    client = client_for(_user(users, role))
    page = client.get(f"/talent/municipalities/{hachioji_request.municipality_id}/").content.decode()
    assert hachioji_request.title in page
    href = f"/talent/requests/{hachioji_request.pk}/"
    linked = f'href="{href}"' in page
    opens = client.get(href).status_code == 200
    assert linked is opens
    assert linked is (role in {"admin", "tokyo", "hachioji", "advisor"})


@pytest.mark.parametrize(("role", "label"), [
    ("admin", "全国のすべての派遣依頼"),
    ("tokyo", "東京都内の団体の派遣依頼"),
    ("hachioji", "八王子市の派遣依頼"),
    ("advisor", "あなたに届いた派遣依頼（下書きを除く）"),
    ("company", "あなたに届いた派遣依頼（下書きを除く）"),
])
def test_the_request_list_says_whose_requests_it_shows(users, client_for, role, label):
    page = client_for(users[role]).get("/talent/requests/").content.decode()
    assert re.search(r'<p class="small" id="request-scope">([^<]*)</p>', page).group(1) == \
        f"この一覧に表示するのは、{label}です。"


NUMBER_LINK = re.compile(r'<a href="(/talent/requests/\?[^"]+)"[^>]*>(\d+)(?:件)?</a>')
FIGURE_PAGES = ["/talent/", "/talent/analytics/", "/talent/capabilities/?sector=health"]


@pytest.mark.parametrize("role", ROLES)
def test_every_request_figure_links_only_to_a_list_of_exactly_its_rows(users, client_for, register, advisor_profile,
                                                                      hachioji_request, role):
    """Requests in 八王子市 (completed by the advisor), 青ヶ島村 (東京都, and a draft) and 札幌市 (北海道): the national figures
    count all three, so only the admin's list (every request) holds their rows; 東京都's officer's list holds its own
    prefecture's row; the others' lists are narrower, and their figures are not linked."""
    from chiiki.talent import actions

    from .conftest import request_data

    for who, code in (("aogashima", "134023"), ("sapporo", "011002")):
        made = actions.create_request(users[who], register["municipalities"][code], request_data(title=f"{who}の依頼"))
        TalentRequest.objects.filter(pk=made.pk).update(status=Status.SUBMITTED)
    # A draft: never counted as demand, so no list behind a demand figure may hold it either.
    actions.create_request(users["aogashima"], register["municipalities"]["134023"], request_data(title="下書き"))
    TalentRequest.objects.filter(pk=hachioji_request.pk).update(status=Status.COMPLETED, talent=advisor_profile,
                                                                talent_label=advisor_profile.display_name)
    client = client_for(_user(users, role))
    links = []
    for url in FIGURE_PAGES:
        links += NUMBER_LINK.findall(client.get(url).content.decode())
    for href, figure in links:
        listed = client.get(href.replace("&amp;", "&") + "&format=csv")
        assert listed.status_code == 200, href
        assert len(listed.content.decode("utf-8-sig").splitlines()) - 1 == int(figure), (role, href, figure)
    if role == "admin":
        assert any("sector=health" in href and figure == "3" for href, figure in links)  # the national demand
    elif role == "tokyo":
        assert links and all("prefecture=13" in href for href, _ in links)  # its own prefecture's row alone
    else:
        assert links == []
