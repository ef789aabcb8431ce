"""A NUL in one field is refused beside that field, and in the same answer every other field says what is wrong with
it (too long, required…): before, the NUL refusal came alone, and the other problems only after it was removed."""

import pytest

from chiiki.promotion.models import Council, Proposal

from .conftest import bearer, send
from .test_challenges import market  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

NUL = "制御文字（U+0000 NUL）が含まれています"


def _no_proposal_of(user):
    return not Proposal.objects.filter(organisation__members__user=user).exists()


def test_the_proposal_form_shows_the_nul_and_the_other_problems_at_once(client_for, users, market):  # noqa: F811
    cid = market["challenge"]["id"]
    Proposal.objects.filter(pk=market["proposals"][users["company"].username]["id"]).delete()
    page = client_for(users["company"]).post(f"/promotion/challenges/{cid}/", {
        "action": "propose", "summary": "見守り\x00センサー", "approach": "あ" * 4001, "cost": "", "team": "3名"})
    assert page.status_code == 422
    html = page.content.decode()
    assert f"概要に{NUL}" in html
    assert "進め方は4000文字以内で入力してください" in html and "見積額を入力してください" in html
    assert "あ" * 4001 in html and "3名" in html  # what was typed stays
    assert _no_proposal_of(users["company"])


def test_the_proposal_edit_shows_the_nul_and_the_other_problems_at_once(client_for, users, market):  # noqa: F811
    cid = market["challenge"]["id"]
    own = Proposal.objects.get(pk=market["proposals"][users["company"].username]["id"])
    page = client_for(users["company"]).post(f"/promotion/challenges/{cid}/", {
        "action": "edit_proposal", "summary": "改訂", "approach": "", "cost": "-5", "team": "体制\x00",
        "version": str(own.version)})
    assert page.status_code == 422
    html = page.content.decode()
    assert f"体制に{NUL}" in html
    assert "進め方を入力してください" in html and "見積額は0〜1,000億円の範囲で入力してください" in html
    own.refresh_from_db()
    assert (own.summary, own.version) == ("見守りセンサー", 1)


def test_the_council_form_shows_the_nul_and_the_other_problems_at_once(client_for, users):
    page = client_for(users["hachioji"]).post("/promotion/councils/new", {
        "name": "八王子\x00協議会", "municipality": "132012", "description": "あ" * 4001, "website": "ftp://example.jp"})
    assert page.status_code == 422
    html = page.content.decode()
    assert f"名称に{NUL}" in html
    assert "概要は4000文字以内で入力してください" in html and "ウェブサイトは http:// または https://" in html
    assert not Council.objects.exists()


def test_the_api_answers_the_nul_and_the_other_problems_at_once(client, users, market):  # noqa: F811
    cid = market["challenge"]["id"]
    Proposal.objects.filter(pk=market["proposals"][users["company"].username]["id"]).delete()
    response = send(client, "post", f"/api/v1/challenges/{cid}/proposals",
                    {"summary": "見守り\x00", "approach": "あ" * 4001, "cost": 3_000_000, "team": ""},
                    **bearer(users["company"]))
    assert response.status_code == 422
    assert response.json()["detail"] == {
        "summary": "制御文字（U+0000 NUL）が含まれています。取り除いてから保存してください",
        "approach": "進め方は4000文字以内で入力してください", "team": "体制を入力してください"}
    assert _no_proposal_of(users["company"])

    # Nothing else wrong: the NUL alone, and still nothing written (the action's save was rolled back).
    response = send(client, "post", f"/api/v1/challenges/{cid}/proposals",
                    {"summary": "見守り\x00", "approach": "実証から", "cost": 3_000_000, "team": "3名"},
                    **bearer(users["company"]))
    assert response.status_code == 422
    assert response.json()["detail"] == {"summary": "制御文字（U+0000 NUL）が含まれています。取り除いてから保存してください"}
    assert _no_proposal_of(users["company"])
