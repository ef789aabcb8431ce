"""A case edit saved over by someone else: what was typed stays beside what they saved, and saving again is a
deliberate overwrite (core.editing.keep_typed)."""

import re

import pytest

from chiiki.access import SYSTEM
from chiiki.cases import actions
from chiiki.cases.models import Case

pytestmark = pytest.mark.django_db


def _form(**extra):
    return {"municipality": "132012", "title": "見守りセンサー", "summary": "高齢者の見守り", "sectors": ["health"],
            "funding_kinds": ["crowdfunding"], "outcomes": "", "cost": "3000000", "status": "published",
            "version": "1", **extra}


def _case():
    case, _ = actions.save_case(SYSTEM, None, {"municipality": "132012", "title": "見守りセンサー",
                                               "summary": "高齢者の見守り", "sectors": ["health"],
                                               "status": "published"}, version=0)
    return case


def test_a_stale_case_edit_answers_409_shows_the_stored_values_and_can_be_saved_over(client_for, users, register):
    edit = f"/cases/{_case().pk}/edit"
    assert client_for(users["tokyo"]).post(edit, _form(title="県が直した題名")).status_code == 302
    c = client_for(users["hachioji"])
    stale = c.post(edit, _form(title="わたしの題名", summary="わたしが書いた概要"))
    assert stale.status_code == 409  # someone saved first: a conflict, not a validation refusal
    page = stale.content.decode()
    assert 'value="わたしの題名"' in page and "わたしが書いた概要" in page
    assert "ほかの人が先に保存しました" in page
    assert "ほかの人が保存した内容:</span> 県が直した題名" in page
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    assert version == "2"
    assert c.post(edit, _form(title="わたしの題名", summary="わたしが書いた概要", version=version)).status_code == 302
    case = Case.objects.get()
    assert (case.title, case.summary, case.status, case.version) == ("わたしの題名", "わたしが書いた概要", "published", 3)


def test_a_refused_case_edit_still_answers_422(client_for, users, register):
    response = client_for(users["hachioji"]).post(f"/cases/{_case().pk}/edit", _form(title=""))
    assert response.status_code == 422
    assert "事例名を入力してください" in response.content.decode()
    assert "ほかの人が保存した内容" not in response.content.decode()
