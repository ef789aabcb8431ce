"""Someone else saved first: the profile, request, capability and account forms answer 409 with what this user typed
still in the fields, the other person's saved values beside them, and the stored version, so that saving again
overwrites on purpose. The refused post writes nothing."""

import re

import pytest

from chiiki import access
from chiiki.core.fiscal import current_fiscal_year
from chiiki.core.models import ChangeRecord
from chiiki.talent import actions
from chiiki.talent.models import Capability, TalentProfile, TalentRequest

from .conftest import accepted_on_the_pages, profile_data, request_data

pytestmark = pytest.mark.django_db


def _version(html: str) -> str:
    return re.search(r'name="version" value="(\d+)"', html).group(1)


def _changes(model: str, pk) -> int:
    return ChangeRecord.objects.filter(model=model, object_id=str(pk)).count()


def test_profile_conflict_keeps_the_typed_values(users, client_for, advisor_profile):
    profile = advisor_profile
    actions.update_profile(access.SYSTEM, profile, profile_data(public_profile="事務局が直した紹介文"), version=1)
    typed = {"display_name": "見守 一郎", "kind": "regional_it_advisor", "capabilities": ["CAP-HLT-07", "CAP-COM-03"],
             "level": 2, "sectors": ["health"], "home_prefecture": "13", "prefectures_served": [],
             "available_days": "10", "available_hours": "20", "public_profile": "本人が書いた紹介文\r\n二行目",
             "email": "ichiro@example.jp", "version": "1"}
    before = _changes("talent.talentprofile", profile.pk)
    client = client_for(users["advisor"])
    stale = client.post(f"/talent/profiles/{profile.pk}/edit", typed)
    html = stale.content.decode()
    assert stale.status_code == 409
    assert "ほかの人が先に保存しました" in html and "data-error-summary" in html
    assert "{#" not in html and "#}" not in html  # template comments stay out of the page
    assert ">\n本人が書いた紹介文\r\n二行目</textarea>" in html
    assert "ほかの人が保存した内容:</span> 事務局が直した紹介文" in html
    assert "ほかの人が保存した内容:</span> 東京都" in html  # 対応できる都道府県 by name, not code
    assert _version(html) == "2" and _changes("talent.talentprofile", profile.pk) == before
    profile.refresh_from_db()
    assert profile.public_profile == "事務局が直した紹介文"
    assert client.post(f"/talent/profiles/{profile.pk}/edit", {**typed, "version": "2"}).status_code == 302
    profile = TalentProfile.objects.get(pk=profile.pk)
    assert (profile.public_profile, profile.version) == ("本人が書いた紹介文\r\n二行目", 3)
    assert not profile.prefectures_served.exists()


def test_request_conflict_keeps_the_typed_values(users, client_for, hachioji_request):
    item = hachioji_request
    actions.update_request(users["hachioji"], item, request_data(vision="同僚が書いた目指す姿"), version=1)
    typed = {**request_data(vision="私が書いた目指す姿"), "version": "1"}
    typed.pop("desired")
    before = _changes("talent.talentrequest", item.pk)
    client = client_for(users["hachioji"])
    stale = client.post(f"/talent/requests/{item.pk}/edit", typed)
    html = stale.content.decode()
    assert stale.status_code == 409 and "ほかの人が先に保存しました" in html
    assert ">\n私が書いた目指す姿</textarea>" in html and "ほかの人が保存した内容:</span> 同僚が書いた目指す姿" in html
    assert "ほかの人が保存した内容:</span> " + Capability.objects.get(pk="CAP-COM-03").label in html  # desired
    assert _version(html) == "2" and _changes("talent.talentrequest", item.pk) == before
    assert client.post(f"/talent/requests/{item.pk}/edit", {**typed, "version": "2"}).status_code == 302
    item = TalentRequest.objects.get(pk=item.pk)
    assert (item.vision, item.version, list(item.desired.all())) == ("私が書いた目指す姿", 3, [])


def test_capability_and_account_conflicts_keep_the_typed_values(users, client_for, advisor_profile):
    cap = Capability.objects.get(pk="CAP-HLT-07")
    actions.save_capability(access.SYSTEM, cap, label=cap.label, synonyms="先に足した同義語", version=cap.version)
    admin = client_for(users["admin"])
    url = f"/talent/capabilities/{cap.pk}/edit"
    stale = admin.post(url, {"label": cap.label, "synonyms": "私の同義語", "version": str(cap.version)})
    html = stale.content.decode()
    assert stale.status_code == 409 and ">\n私の同義語</textarea>" in html
    assert "ほかの人が保存した内容:</span> 先に足した同義語" in html and _version(html) == str(cap.version + 1)
    assert admin.post(url, {"label": cap.label, "synonyms": "私の同義語", "version": _version(html)}).status_code == 302
    assert Capability.objects.get(pk=cap.pk).synonyms == "私の同義語"

    profile = advisor_profile
    actions.link_account(access.SYSTEM, profile, "", version=profile.version)  # someone unlinks it first
    url = f"/talent/profiles/{profile.pk}/account"
    stale = admin.post(url, {"username": "company", "version": "1"})
    html = stale.content.decode()
    assert stale.status_code == 409 and 'value="company"' in html
    assert "ほかの人が保存した内容:</span> （空欄）" in html and _version(html) == "2"
    assert TalentProfile.objects.get(pk=profile.pk).user is None


def test_a_report_refused_or_in_conflict_keeps_what_was_typed(users, client_for, vocabulary, rounds, advisor_profile,
                                                               clock):
    """The report is long to write: a stale version (someone added a visit meanwhile) or a missing field shows the
    page again with the text in the form; nothing is written until it is sent with the current version."""
    r, officer, _admin, advisor = accepted_on_the_pages(users, client_for, advisor_profile)
    visit = {"date": f"{current_fiscal_year()}-06-02", "hours": "4", "mode": "onsite", "participants": 6}
    assert advisor.post(f"/talent/requests/{r.pk}/visits", {**visit, "version": 5}).status_code == 302
    assert advisor.post(f"/talent/requests/{r.pk}/visits", {**visit, "version": 6}).status_code == 302  # version 7
    report = {"done": "試験導入を3地区で実施\r\n報告会も開いた", "handed_over_to": "福祉課へ", "version": 6}
    before = ChangeRecord.objects.count()
    stale = advisor.post(f"/talent/requests/{r.pk}/report", report)
    html = stale.content.decode()
    assert stale.status_code == 409 and "ほかの人が先に保存しました" in html
    assert ">\n試験導入を3地区で実施\r\n報告会も開いた</textarea>" in html and _version(html) == "7"
    assert ChangeRecord.objects.count() == before and TalentRequest.objects.get(pk=r.pk).status == "dispatching"
    missing = advisor.post(f"/talent/requests/{r.pk}/report", {**report, "handed_over_to": "", "version": 7})
    assert missing.status_code == 422 and ">\n試験導入を3地区で実施\r\n報告会も開いた</textarea>" in missing.content.decode()
    assert advisor.post(f"/talent/requests/{r.pk}/report", {**report, "version": 7}).status_code == 302
    assert TalentRequest.objects.get(pk=r.pk).status == "reported"
    bad_rating = officer.post(f"/talent/requests/{r.pk}/rate", {"version": 8, "comment": "助かりました"})
    assert bad_rating.status_code == 422 and "評価は1〜5で選んでください" in bad_rating.content.decode()
    assert ">\n助かりました</textarea>" in bad_rating.content.decode()


def test_a_stale_step_keeps_the_typed_reason(users, client_for, vocabulary, rounds, advisor_profile):
    """The advisor declines with a reason while the admin has already moved the request on: 409, the reason is still
    in its line; nothing is recorded until it is sent with the current version."""
    admin, advisor, officer = (client_for(users[r]) for r in ("admin", "advisor", "hachioji"))
    r = actions.create_request(users["hachioji"], users["hachioji"].municipality, request_data())
    officer.post(f"/talent/requests/{r.pk}/move/submit", {"version": 1})
    admin.post(f"/talent/requests/{r.pk}/move/receive", {"version": 2})
    admin.post(f"/talent/requests/{r.pk}/move/ask", {"version": 3, "talent": advisor_profile.pk})
    before = ChangeRecord.objects.count()
    stale = advisor.post(f"/talent/requests/{r.pk}/move/decline", {"version": 3, "reason": "日程が合わないため"})
    html = stale.content.decode()
    assert stale.status_code == 409 and "ほかの利用者が先に更新しました" in html and "data-error-summary" in html
    assert re.search(r'<input type="text" name="reason" value="日程が合わないため"[^>]*id="id_decline_reason"', html)
    assert ChangeRecord.objects.count() == before and TalentRequest.objects.get(pk=r.pk).status == "asked"
    assert advisor.post(f"/talent/requests/{r.pk}/move/decline", {"version": 4, "reason": "日程が合わないため"}
                        ).status_code == 302
    assert TalentRequest.objects.get(pk=r.pk).reason == "日程が合わないため"


def test_asking_a_talent_that_is_not_a_number_is_not_found(users, client_for, vocabulary, rounds):
    officer, admin = (client_for(users[r]) for r in ("hachioji", "admin"))
    r = actions.create_request(users["hachioji"], users["hachioji"].municipality, request_data())
    officer.post(f"/talent/requests/{r.pk}/move/submit", {"version": 1})
    admin.post(f"/talent/requests/{r.pk}/move/receive", {"version": 2})
    for talent in ("abc", "9" * 30, ""):
        assert admin.post(f"/talent/requests/{r.pk}/move/ask", {"version": 3, "talent": talent}).status_code == 404
    r.refresh_from_db()
    assert r.version == 3


@pytest.mark.parametrize("reason", ["", "   "])
def test_declining_without_a_reason_is_refused_beside_the_field(users, client_for, hachioji_request, advisor_profile,
                                                                reason):
    """The 理由 line is checked by the server (the form is novalidate, no browser bubble): 422 with the site's message
    beside it, nothing recorded; the 辞退 form is still there to fill in."""
    TalentRequest.objects.filter(pk=hachioji_request.pk).update(status="asked", talent=advisor_profile, version=4)
    advisor = client_for(users["advisor"])
    page = advisor.get(f"/talent/requests/{hachioji_request.pk}/").content.decode()
    form = re.search(r'<form [^>]*id="move-decline-form"[^>]*>', page)
    assert form and "novalidate" in form.group(0)
    assert '<label for="id_decline_reason">辞退の理由 <span class="required">必須</span></label>' in page
    before = ChangeRecord.objects.count()
    refused = advisor.post(f"/talent/requests/{hachioji_request.pk}/move/decline", {"version": 4, "reason": reason})
    html = refused.content.decode()
    assert refused.status_code == 422
    assert '<ul class="errorlist" id="id_decline_reason_error"><li>理由を入力してください</li></ul>' in html
    assert re.search(r'<input [^>]*aria-invalid="true"[^>]*id="id_decline_reason"', html)
    assert '<a href="#id_decline_reason">辞退の理由</a>: 理由を入力してください' in html  # the summary links to it
    assert ChangeRecord.objects.count() == before and TalentRequest.objects.get(pk=hachioji_request.pk).status == "asked"
    assert advisor.post(f"/talent/requests/{hachioji_request.pk}/move/decline",
                        {"version": 4, "reason": "日程が合わないため"}).status_code == 302
    assert TalentRequest.objects.get(pk=hachioji_request.pk).status == "declined"
