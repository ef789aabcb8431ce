"""The small forms inside other pages — a council's 構成員を加える, a proposal's 選定（契約金額） and 候補にする, a plan's 組織の役割を加える —
through the real views: refused, the page comes back with what was typed and the action's Japanese reason beside
its field (with the summary that links to it); accepted, it is saved and the page redirects; someone who does not
manage the council, the challenge or the plan is refused with 403 and nothing is written."""

import re

import pytest

from chiiki.access import SYSTEM
from chiiki.core.editing import SAVED_FIRST, VERSION_REQUIRED
from chiiki.core.tests.test_form_errors_markup import refused
from chiiki.promotion import actions, forms
from chiiki.promotion.models import (
    Challenge,
    ChallengeStatus,
    CouncilMembership,
    PlanParticipation,
    Proposal,
    ProposalStatus,
)

from .test_challenges import market  # noqa: F401  (the fixture: a challenge with two proposals)
from .test_plan_roles import _plan

pytestmark = pytest.mark.django_db


def _tag(html: str, ident: str) -> str:
    """The opening tag of the element with that id."""
    return re.search(rf'<[^>]*\bid="{ident}"[^>]*>', html).group(0)


def _error(html: str, ident: str) -> str:
    """The message beside the field: the list Django's aria-describedby on the field points at."""
    field = _tag(html, ident)
    assert 'aria-invalid="true"' in field and f'aria-describedby="{ident}_error"' in field, field
    return re.search(rf'<ul class="errorlist" id="{ident}_error"><li>([^<]+)</li>', html).group(1)


def _summary(html: str) -> str:
    return re.search(r'<div class="message message--error" role="alert" data-error-summary>(.*?)</div>', html,
                     re.S).group(1)


def _selected(html: str, ident: str) -> list[str]:
    """The values selected in the <select> with that id."""
    select = re.search(rf'<select[^>]*\bid="{ident}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="([^"]*)" selected>', select)


@pytest.fixture
def org():
    return actions.save_organisation(SYSTEM, None, {"name": "多摩IoT協会", "kind": "industry", "prefecture": "13"})


# ---- 協議会: 構成員を加える ----------------------------------------------------------------------------------------------

@pytest.fixture
def council(users):
    return actions.save_council(users["hachioji"], None, {"name": "八王子IoT推進協議会", "municipality": "132012"})


def test_a_refused_council_member_keeps_the_role_and_says_why_beside_the_field(client_for, users, council, org):
    officer = client_for(users["hachioji"])
    url = council.get_absolute_url()
    page = officer.get(url).content.decode()
    assert '<label for="id_organisation">' in page and '<label for="id_role">' in page
    assert " required" in _tag(page, "id_organisation") and _selected(page, "id_role") == ["member"]

    response = officer.post(url, {"organisation": "", "role": "chair"})
    html = response.content.decode()
    refused(response, invalid={"id_organisation"})  # nothing else marked, every description there
    assert not CouncilMembership.objects.exists()
    assert _error(html, "id_organisation") == "組織を選んでください"
    assert _selected(html, "id_role") == ["chair"] and "aria-invalid" not in _tag(html, "id_role")
    assert '<a href="#id_organisation">組織</a>: 組織を選んでください' in _summary(html)

    # Not a number (a tampered form) is the same refusal, not a server error.
    assert _error(officer.post(url, {"organisation": "abc", "role": "chair"}).content.decode(),
                  "id_organisation") == "組織を選んでください"

    added = officer.post(url, {"organisation": str(org.pk), "role": "chair"})
    assert added.status_code == 302 and added["Location"] == url
    assert CouncilMembership.objects.get(council=council).role == "chair"

    # Already a member: the action's reason, on the organisation, with both choices as they were sent.
    again = officer.post(url, {"organisation": str(org.pk), "role": "secretariat"})
    html = again.content.decode()
    assert again.status_code == 422 and CouncilMembership.objects.count() == 1
    assert _error(html, "id_organisation") == "多摩IoT協会は既にこの協議会の構成員です"
    assert _selected(html, "id_organisation") == [str(org.pk)] and _selected(html, "id_role") == ["secretariat"]


def test_another_municipality_cannot_add_a_council_member(client_for, users, council, org):
    response = client_for(users["aogashima"]).post(council.get_absolute_url(),
                                                   {"organisation": str(org.pk), "role": "member"})
    assert response.status_code == 403 and not CouncilMembership.objects.exists()


def test_removing_a_member_that_is_not_a_number_is_not_found(client_for, users, council):
    assert client_for(users["hachioji"]).post(council.get_absolute_url(), {"remove": "abc"}).status_code == 404


# ---- 課題: 提案を選定（契約金額） ------------------------------------------------------------------------------------------

def test_a_refused_amount_stays_on_its_proposal_with_the_reason_beside_it(client_for, users, market):  # noqa: F811
    cid, pid = market["challenge"]["id"], market["proposals"]["company"]["id"]
    other = market["proposals"]["rival"]["id"]
    officer = client_for(users["hachioji"])
    url = f"/promotion/challenges/{cid}/"
    page = officer.get(url).content.decode()
    assert f'<label for="amount-{pid}">契約金額（円）' in page and " required" in _tag(page, f"amount-{pid}")
    version = Challenge.objects.get(pk=cid).version

    response = officer.post(url, {"action": "select", "proposal": pid, "amount": "-5", "version": version})
    html = response.content.decode()
    refused(response, invalid={f"amount-{pid}"})
    assert Challenge.objects.get(pk=cid).status == ChallengeStatus.OPEN
    assert _error(html, f"amount-{pid}") == "契約金額は0〜1,000億円の範囲で入力してください"
    assert 'value="-5"' in _tag(html, f"amount-{pid}")
    assert f'<a href="#amount-{pid}">契約金額（円）</a>: 契約金額は0〜1,000億円の範囲で入力してください' in _summary(html)
    # The other proposal's form is untouched: its own amount, not marked.
    assert 'value="3000000"' in _tag(html, f"amount-{other}") and "aria-invalid" not in _tag(html, f"amount-{other}")

    # Someone saved the challenge first: 409, the amount kept, the shared message, the version moved on so that
    # sending again is deliberate.
    stale = officer.post(url, {"action": "select", "proposal": pid, "amount": "3120000", "version": version - 1})
    html = stale.content.decode()
    assert stale.status_code == 409 and SAVED_FIRST in html
    assert 'value="3120000"' in _tag(html, f"amount-{pid}")
    assert f'value="{version}"' in _tag(html, f"version-{pid}")

    selected = officer.post(url, {"action": "select", "proposal": pid, "amount": "3,120,000", "version": version})
    assert selected.status_code == 302 and selected["Location"] == url
    challenge = Challenge.objects.get(pk=cid)
    assert (challenge.status, challenge.selected_id, challenge.outcome_amount) == ("decided", pid, 3_120_000)


def test_another_municipality_cannot_select_a_proposal(client_for, users, market):  # noqa: F811
    cid, pid = market["challenge"]["id"], market["proposals"]["company"]["id"]
    version = Challenge.objects.get(pk=cid).version
    response = client_for(users["aogashima"]).post(f"/promotion/challenges/{cid}/", {
        "action": "select", "proposal": pid, "amount": "3000000", "version": version})
    assert response.status_code == 403 and Challenge.objects.get(pk=cid).status == ChallengeStatus.OPEN


# ---- 実装計画: 組織の役割を加える --------------------------------------------------------------------------------------

def test_a_refused_plan_role_comes_back_on_the_plan_page_as_typed(client_for, users, register, org):
    plan = _plan(register["municipalities"]["132012"])
    editor = client_for(users["hachioji"])
    page = editor.get(plan.get_absolute_url()).content.decode()
    for name in ("organisation", "role", "note"):
        assert f'<label for="plan-org-{name}">' in page
    assert 'maxlength="200"' in _tag(page, "plan-org-note")

    url = f"/promotion/plans/{plan.pk}/organisations"
    note = "運用" * 101
    response = editor.post(url, {"organisation": str(org.pk), "role": "funder", "note": note})
    html = response.content.decode()
    refused(response, invalid={"plan-org-note"})  # the whole plan page: only this field marked
    assert not PlanParticipation.objects.exists()
    assert plan.title in html and 'id="plan-organisations"' in html  # the plan page itself, not a bare form
    assert _error(html, "plan-org-note") == "担う内容は200文字以内で入力してください"
    assert f'value="{note}"' in _tag(html, "plan-org-note")
    assert _selected(html, "plan-org-organisation") == [str(org.pk)] and _selected(html, "plan-org-role") == ["funder"]
    assert '<a href="#plan-org-note">担う内容（任意）</a>: 担う内容は200文字以内で入力してください' in _summary(html)

    missing = editor.post(url, {"organisation": "", "role": "partner", "note": "連携の窓口"}).content.decode()
    assert _error(missing, "plan-org-organisation") == "組織を選んでください"
    assert 'value="連携の窓口"' in _tag(missing, "plan-org-note") and _selected(missing, "plan-org-role") == ["partner"]

    added = editor.post(url, {"organisation": str(org.pk), "role": "funder", "note": "地域の融資"})
    assert added.status_code == 302 and added["Location"] == plan.get_absolute_url() + "#plan-organisations"
    assert PlanParticipation.objects.filter(plan=plan, organisation=org, role="funder", note="地域の融資").exists()


def test_another_municipality_cannot_name_a_role_in_the_plan(client_for, users, register, org):
    plan = _plan(register["municipalities"]["132012"])
    response = client_for(users["aogashima"]).post(f"/promotion/plans/{plan.pk}/organisations",
                                                   {"organisation": str(org.pk), "role": "partner"})
    assert response.status_code == 403 and not PlanParticipation.objects.exists()


# ---- 課題: 候補にする・候補から外す -------------------------------------------------------------------------------------

def _hidden(html: str, ident: str) -> str:
    return re.search(r'value="([^"]*)"', _tag(html, ident)).group(1)


def test_shortlisting_a_proposal_through_its_buttons(client_for, users, market):  # noqa: F811
    cid, pid = market["challenge"]["id"], market["proposals"]["company"]["id"]
    officer = client_for(users["hachioji"])
    url = f"/promotion/challenges/{cid}/"
    page = officer.get(url).content.decode()
    version = _hidden(page, f"shortlist-version-{pid}")
    assert version == str(Proposal.objects.get(pk=pid).version) and _hidden(page, f"shortlist-proposal-{pid}") == str(pid)

    added = officer.post(url, {"action": "shortlist", "proposal": pid, "version": version})
    assert added.status_code == 302 and added["Location"] == url
    assert Proposal.objects.get(pk=pid).status == ProposalStatus.SHORTLISTED
    page = officer.get(url).content.decode()
    removed = officer.post(url, {"action": "unshortlist", "proposal": pid,
                                 "version": _hidden(page, f"shortlist-version-{pid}")})
    assert removed.status_code == 302 and Proposal.objects.get(pk=pid).status == ProposalStatus.SUBMITTED


def test_a_refused_shortlisting_says_why_on_its_proposal(client_for, users, market):  # noqa: F811
    cid, pid = market["challenge"]["id"], market["proposals"]["company"]["id"]
    other = market["proposals"]["rival"]["id"]
    officer = client_for(users["hachioji"])
    url = f"/promotion/challenges/{cid}/"
    # No version (a tampered or outdated form): the action's Japanese reason, in the summary of this proposal's form
    # (before, the page answered 422 without saying anything).
    response = officer.post(url, {"action": "shortlist", "proposal": pid})
    html = response.content.decode()
    assert response.status_code == 422 and Proposal.objects.get(pk=pid).status == ProposalStatus.SUBMITTED
    form = html[html.index(f'id="shortlist-proposal-{pid}"') - 600:html.index(f'id="shortlist-proposal-{pid}"')]
    assert "data-error-summary" in form and VERSION_REQUIRED in form
    assert html.count(VERSION_REQUIRED) == 1  # on that proposal only

    # Someone else shortlisted it first: 409, said on the proposal, which now shows what it is and offers the button
    # that still makes sense with the version it has now.
    stale = Proposal.objects.get(pk=pid).version
    actions.shortlist_proposal(users["admin"], Proposal.objects.get(pk=pid), shortlisted=True, version=stale)
    conflict = officer.post(url, {"action": "shortlist", "proposal": pid, "version": stale})
    html = conflict.content.decode()
    current = Proposal.objects.get(pk=pid)
    assert conflict.status_code == 409 and forms.ShortlistForm.CHANGED_FIRST in html
    assert _hidden(html, f"shortlist-version-{pid}") == str(current.version) != str(stale)
    card = html[html.index(f'id="shortlist-proposal-{pid}"'):]
    assert 'value="unshortlist">候補から外す' in card[:card.index("</form>")]
    assert _hidden(html, f"shortlist-version-{other}") == str(Proposal.objects.get(pk=other).version)

    # The outcome is published: the buttons are gone, so the reason is said at the top of the page.
    challenge = Challenge.objects.get(pk=cid)
    actions.select_proposal(users["hachioji"], Proposal.objects.get(pk=other), amount=3_000_000,
                            version=challenge.version)
    after = Proposal.objects.get(pk=pid)  # no longer a candidate: the selection settled every proposal
    late = officer.post(url, {"action": "unshortlist", "proposal": pid, "version": after.version})
    assert late.status_code == 422 and "結果を公表した課題の提案は変更できません" in late.content.decode()
    assert Proposal.objects.get(pk=pid).status == after.status != ProposalStatus.SUBMITTED


def test_shortlisting_is_refused_to_others_and_needs_a_proposal_of_the_challenge(client_for, users, market):  # noqa: F811
    cid, pid = market["challenge"]["id"], market["proposals"]["company"]["id"]
    url = f"/promotion/challenges/{cid}/"
    version = Proposal.objects.get(pk=pid).version
    for who in ("aogashima", "tokyo", "company"):
        response = client_for(users[who]).post(url, {"action": "shortlist", "proposal": pid, "version": version})
        assert response.status_code == 403, who
    officer = client_for(users["hachioji"])
    for missing in ("", "abc", "999999", "9" * 30):
        response = officer.post(url, {"action": "shortlist", "proposal": missing, "version": version})
        assert response.status_code == 404, missing
    unknown = officer.post(url, {"action": "promote", "proposal": pid, "version": version})
    assert unknown.status_code == 400 and "操作が正しくありません" in unknown.content.decode()
    assert Proposal.objects.get(pk=pid).status == ProposalStatus.SUBMITTED
