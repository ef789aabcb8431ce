"""Where to post a challenge: every municipality the user manages is reachable from the list (none cut off), an
officer of one municipality gets one button, and the choice opens the form."""

import re

import pytest

from chiiki import access
from chiiki.core.codes import check_digit
from chiiki.regions.models import Municipality

pytestmark = pytest.mark.django_db


def _chooser(html: str) -> list[str] | None:
    form = re.search(r'<form method="get" action="/promotion/challenges/new"[^>]*>(.*?)</form>', html, re.S)
    return re.findall(r'<option value="(\d{6})">', form.group(1)) if form else None


@pytest.mark.parametrize("role", ["admin", "tokyo"])
def test_every_managed_municipality_is_offered_once(client_for, users, register, role):
    # More municipalities than the 50 the list used to cut the links at.
    prefecture = register["prefectures"]["13"]
    for n in range(60):
        five = f"13{n + 500:03d}"
        Municipality.objects.create(code=five + check_digit(five), prefecture=prefecture, name=f"試験町{n}",
                                    kana="しけんちょう", kind="town")
    user = users[role]
    html = client_for(user).get("/promotion/challenges/").content.decode()
    offered = _chooser(html)
    managed = sorted(access.scope_managed_municipalities(user, Municipality.objects.all())
                     .values_list("code", flat=True))
    assert len(managed) > 60
    assert sorted(offered) == managed
    assert "の課題を掲載する</a>" not in html
    # Choosing one opens its form.
    code = offered[-1]
    page = client_for(user).get(f"/promotion/challenges/new?municipality={code}")
    assert page.status_code == 200
    assert Municipality.objects.get(code=code).name in page.content.decode()


def test_an_officer_of_one_municipality_gets_one_button(client_for, users):
    html = client_for(users["hachioji"]).get("/promotion/challenges/").content.decode()
    assert _chooser(html) is None
    assert '<a class="button" href="/promotion/challenges/new?municipality=132012">八王子市の課題を掲載する</a>' in html


@pytest.mark.parametrize("role", ["company", "advisor", None])
def test_no_way_to_post_for_who_manages_no_municipality(client_for, users, role):
    html = client_for(users[role] if role else None).get("/promotion/challenges/").content.decode()
    assert _chooser(html) is None
    assert "課題を掲載する" not in html
