"""制度の見直し: any signed-in role proposes, national admins decide (見送り needs a reason), public list with
filters and exports, the status timeline from the history; web and API."""

from pathlib import Path

import pytest
from django.conf import settings

from chiiki.core.models import ChangeRecord
from chiiki.programs.reference import load_catalog

from ..models import InstitutionProposal
from .conftest import bearer

pytestmark = pytest.mark.django_db

PROGRAM = "MIC-KOUDO-MUSEN"


@pytest.mark.parametrize("role", ["admin", "tokyo", "hachioji", "advisor", "company"])
def test_every_signed_in_role_may_propose(client_for, users, role):
    response = client_for(users[role]).post("/pdca/proposals/new", {
        "title": "様式の共通化", "problem": "申請の負担が大きい", "rule_concerned": "申請様式",
        "evidence_links": "/progress/records/?fiscal_year=2026\nhttps://www.soumu.go.jp/"})
    proposal = InstitutionProposal.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/pdca/proposals/{proposal.pk}/"
    assert proposal.status == "received" and proposal.proposer == users[role]
    assert proposal.evidence_links == ["/progress/records/?fiscal_year=2026", "https://www.soumu.go.jp/"]
    expected_label = {"admin": users["admin"].get_role_display(), "tokyo": "東京都", "hachioji": "八王子市",
                      "advisor": "地域情報化アドバイザー", "company": "株式会社サンプル"}[role]
    assert proposal.proposer_label == expected_label


def test_anonymous_visitors_read_but_cannot_propose(client, users):
    assert client.get("/pdca/proposals/new")["Location"].startswith("/accounts/login/")
    assert client.post("/api/v1/proposals", {"title": "x", "problem": "x", "rule_concerned": "x"},
                       content_type="application/json").status_code == 401
    assert "提案はまだありません" in client.get("/pdca/proposals/").content.decode()


def test_validation_in_japanese_and_program_link(client_for, client, users, register):
    load_catalog(data_dir=Path(settings.BASE_DIR) / "data")
    officer = client_for(users["hachioji"])
    bad = officer.post("/pdca/proposals/new", {"title": "", "problem": "課題", "rule_concerned": "要綱",
                                               "program": "NO-SUCH", "evidence_links": "javascript:alert(1)"})
    text = bad.content.decode()
    assert bad.status_code == 422
    assert "件名を入力してください" in text and "支援メニューのIDが見つかりません: NO-SUCH" in text
    assert "根拠のリンクは「/」で始まるこのサイトのページか http(s) のURLです" in text
    assert not InstitutionProposal.objects.exists()
    officer.post("/pdca/proposals/new", {"title": "対象経費", "problem": "課題", "rule_concerned": "交付要綱",
                                         "program": PROGRAM})
    proposal = InstitutionProposal.objects.get()
    page = client.get(f"/pdca/proposals/{proposal.pk}/").content.decode()
    assert f'href="/programs/p/{PROGRAM}/"' in page
    assert client.get("/api/v1/proposals").json()["items"][0]["program"] == PROGRAM


def test_status_changes_by_national_admins_with_history(client_for, client, users):
    client_for(users["hachioji"]).post("/pdca/proposals/new", {"title": "様式", "problem": "負担",
                                                               "rule_concerned": "申請様式"})
    proposal = InstitutionProposal.objects.get()
    url = f"/pdca/proposals/{proposal.pk}/status"
    assert client_for(users["tokyo"]).post(url, {"status": "under_review", "version": "1"}).status_code == 403
    admin = client_for(users["admin"])
    assert admin.post(url, {"status": "under_review", "version": "1"}).status_code == 302
    refused = admin.post(url, {"status": "declined", "status_reason": "", "version": "2"})
    assert refused.status_code == 422 and "見送りにするときは理由を入力してください" in refused.content.decode()
    assert admin.post(url, {"status": "declined", "status_reason": "法令で定められているため", "version": "2"}).status_code == 302
    stale = admin.post(url, {"status": "reflected", "version": "2"})
    assert stale.status_code == 409 and "ほかの人が先に保存しました" in stale.content.decode()
    proposal.refresh_from_db()
    assert (proposal.status, proposal.status_reason, proposal.version) == ("declined", "法令で定められているため", 3)
    page = client.get(f"/pdca/proposals/{proposal.pk}/").content.decode()
    timeline = page[page.index("経過"):]
    assert timeline.index("受付") < timeline.index("検討中") < timeline.index("見送り: 法令で定められているため")
    assert ChangeRecord.objects.filter(model="pdca.institutionproposal").count() == 3
    listing = client.get("/pdca/proposals/?status=declined").content.decode()
    assert "様式" in listing
    assert "この状況の提案はありません" in client.get("/pdca/proposals/?status=reflected").content.decode()
    csv = client.get("/pdca/proposals/?format=csv").content.decode("utf-8-sig").splitlines()
    assert csv[0].startswith("ID,提案日,件名") and ",見送り,法令で定められているため," in csv[1]


def test_proposal_api(client, users):
    body = {"title": "データ様式", "problem": "バラバラ", "rule_concerned": "通知", "evidence_links": ["/pdca/"]}
    created = client.post("/api/v1/proposals", body, content_type="application/json", **bearer(users["company"]))
    assert created.status_code == 201 and created.json()["status_label"] == "受付"
    pid = created.json()["id"]
    bad = client.post("/api/v1/proposals", {**body, "evidence_links": ["ftp://x"]}, content_type="application/json",
                      **bearer(users["company"]))
    assert bad.status_code == 422 and "evidence_links" in bad.json()["detail"]
    status = f"/api/v1/proposals/{pid}/status"
    assert client.put(status, {"status": "reflected", "version": 1}, content_type="application/json",
                      **bearer(users["company"])).status_code == 403
    done = client.put(status, {"status": "reflected", "reason": "通知を改正", "version": 1},
                      content_type="application/json", **bearer(users["admin"]))
    assert done.status_code == 200 and done.json()["status_label"] == "反映済"
    assert client.put(status, {"status": "declined", "reason": "x", "version": 1}, content_type="application/json",
                      **bearer(users["admin"])).status_code == 409
    assert client.put(status, {"status": "maybe", "version": 2}, content_type="application/json",
                      **bearer(users["admin"])).status_code == 422
    assert client.get("/api/v1/proposals?status=reflected").json()["count"] == 1
    assert client.get("/api/v1/proposals?status=bogus").status_code == 422
    assert client.get(f"/api/v1/proposals/{pid}").json()["status_reason"] == "通知を改正"
    assert client.get("/api/v1/proposals/999999").status_code == 404
