"""Someone else saved first: the PDCA forms answer 409 with what this user typed still in the fields, the other
person's saved values beside them, and the stored version in the form, so that saving again overwrites on purpose.
Nothing is written by the refused post."""

import datetime as dt
import re

import pytest

from chiiki.access import SYSTEM
from chiiki.core.models import ChangeRecord

from .. import actions
from ..models import KPI, InstitutionProposal
from .conftest import YEAR, make_kpi

pytestmark = pytest.mark.django_db


def _hidden_version(html: str, name: str = "version") -> str:
    return re.search(rf'name="{re.escape(name)}" value="(\d+)"', html).group(1)


def _changes(model: str, pk) -> int:
    return ChangeRecord.objects.filter(model=model, object_id=str(pk)).count()


@pytest.fixture
def review(register):
    make_kpi("K-TOKYO", target="3", prefecture="13", name="都内の実装団体数")
    return actions.open_review(SYSTEM, fiscal_year=YEAR, prefecture="13")


def test_assessment_conflict_keeps_the_typed_text_and_shows_theirs(client_for, users, review):
    entry = review.entries.get()
    actions.save_assessment(SYSTEM, entry, assessment="県が先に書いた評価", version=1)  # the other person, version 2
    tokyo = client_for(users["tokyo"])
    url = f"/pdca/reviews/{review.pk}/entries/{entry.pk}"
    before = _changes("pdca.reviewentry", entry.pk)

    stale = tokyo.post(url, {"assessment": "私が長く書いた評価\r\n二行目", "version": "1"})
    html = stale.content.decode()
    assert stale.status_code == 409
    assert "ほかの人が先に保存しました" in html and "data-error-summary" in html
    assert ">私が長く書いた評価\r\n二行目</textarea>" in html  # typed text still in the field
    assert "ほかの人が保存した内容:</span> 県が先に書いた評価" in html
    assert _hidden_version(html) == "2"
    entry.refresh_from_db()
    assert (entry.assessment, entry.version) == ("県が先に書いた評価", 2)
    assert _changes("pdca.reviewentry", entry.pk) == before

    again = tokyo.post(url, {"assessment": "私が長く書いた評価", "version": _hidden_version(html)})
    assert again.status_code == 302
    entry.refresh_from_db()
    assert (entry.assessment, entry.version) == ("私が長く書いた評価", 3)


def test_action_conflict_keeps_the_typed_values(client_for, users, review):
    action = actions.add_action(SYSTEM, review, {"title": "説明会", "owner_organisation": "東京都",
                                                 "due_date": dt.date(YEAR + 1, 3, 31), "status": "in_progress"})
    actions.update_action(SYSTEM, action, {"title": "説明会", "owner_organisation": "東京都",
                                           "due_date": dt.date(YEAR + 1, 3, 31), "status": "in_progress",
                                           "result": "ほかの人の結果"}, version=1)
    p = f"action-{action.pk}-"
    mine = {f"{p}title": "説明会を2回に", f"{p}owner_organisation": "東京都", f"{p}due_date": f"{YEAR + 1}-03-31",
            f"{p}status": "done", f"{p}result": "私の結果", f"{p}version": "1"}
    url = f"/pdca/reviews/{review.pk}/actions/{action.pk}"
    before = _changes("pdca.action", action.pk)
    stale = client_for(users["tokyo"]).post(url, mine)
    html = stale.content.decode()
    assert stale.status_code == 409 and "ほかの人が先に保存しました" in html
    assert 'value="説明会を2回に"' in html and ">\n私の結果</textarea>" in html
    assert "ほかの人が保存した内容:</span> ほかの人の結果" in html
    assert "ほかの人が保存した内容:</span> 対応中" in html  # a choice shows its label
    assert '<details open><summary>説明会</summary>' in html
    assert _hidden_version(html, f"{p}version") == "2"
    action.refresh_from_db()
    assert (action.title, action.result, action.version) == ("説明会", "ほかの人の結果", 2)
    assert _changes("pdca.action", action.pk) == before

    again = client_for(users["tokyo"]).post(url, {**mine, f"{p}version": "2"})
    assert again.status_code == 302
    action.refresh_from_db()
    assert (action.title, action.status, action.result, action.version) == ("説明会を2回に", "done", "私の結果", 3)


def test_kpi_edit_conflict_keeps_the_typed_values(client_for, users, register):
    kpi = make_kpi("TOKYO-1", target="3", prefecture="13", name="都内の実装団体数")
    data = {"name": "都内の実装団体数", "unit": "団体", "measure": "progress_implemented_any", "target_value": "3",
            "target_fiscal_year": str(YEAR + 2), "prefecture": "13", "order": "0", "source": ""}
    assert client_for(users["admin"]).post("/pdca/kpis/TOKYO-1/edit", {**data, "source": "県の統計",
                                                                       "version": "1"}).status_code == 302
    before = _changes("pdca.kpi", kpi.pk)
    stale = client_for(users["tokyo"]).post("/pdca/kpis/TOKYO-1/edit", {**data, "target_value": "7", "version": "1"})
    html = stale.content.decode()
    assert stale.status_code == 409 and "ほかの人が先に保存しました" in html
    assert "{#" not in html and "#}" not in html  # template comments stay out of the page
    assert 'name="target_value" value="7"' in html and "ほかの人が保存した内容:</span> 県の統計" in html
    assert "ほかの人が保存した内容:</span> 3.00" in html  # their target beside my 7
    assert "ほかの人が保存した内容:</span> 団体" not in html  # a value both have is not repeated
    assert _hidden_version(html) == "2" and _changes("pdca.kpi", kpi.pk) == before
    kpi.refresh_from_db()
    assert (kpi.target_value, kpi.source, kpi.version) == (3, "県の統計", 2)
    assert client_for(users["tokyo"]).post("/pdca/kpis/TOKYO-1/edit", {**data, "target_value": "7",
                                                                       "version": "2"}).status_code == 302
    kpi = KPI.objects.get(pk="TOKYO-1")
    assert (kpi.target_value, kpi.source, kpi.version) == (7, "", 3)


def test_proposal_status_conflict_keeps_the_typed_reason(client_for, users):
    proposal = actions.submit_proposal(users["hachioji"], {"title": "様式", "problem": "負担", "rule_concerned": "様式"})
    actions.set_proposal_status(users["admin"], proposal, status="under_review", reason="先に検討を始めた", version=1)
    url = f"/pdca/proposals/{proposal.pk}/status"
    before = _changes("pdca.institutionproposal", proposal.pk)
    stale = client_for(users["admin"]).post(url, {"status": "declined", "status_reason": "法令で定めるため",
                                                  "version": "1"})
    html = stale.content.decode()
    assert stale.status_code == 409 and "ほかの人が先に保存しました" in html
    assert ">\n法令で定めるため</textarea>" in html and "ほかの人が保存した内容:</span> 先に検討を始めた" in html
    assert "ほかの人が保存した内容:</span> 検討中" in html and _hidden_version(html) == "2"
    assert _changes("pdca.institutionproposal", proposal.pk) == before
    assert client_for(users["admin"]).post(url, {"status": "declined", "status_reason": "法令で定めるため",
                                                 "version": "2"}).status_code == 302
    proposal = InstitutionProposal.objects.get()
    assert (proposal.status, proposal.status_reason, proposal.version) == ("declined", "法令で定めるため", 3)

