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
