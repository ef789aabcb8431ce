"""Concurrent edits of one implementation plan through a live server (ADR 0010): a 年度 deleted while funding lines
are added to it, one by one or by a file import, leaves no line behind; the adds that came too late answer 409 (or
404) and an import that came too late is refused whole (422) — never a 500."""

from collections import Counter

import pytest

from chiiki.accounts.models import ApiToken
from chiiki.funding.models import FundingLine, PlanYear
from chiiki.testing import together

pytestmark = pytest.mark.django_db(transaction=True)

ADDS = 7
ROUNDS = 3


def test_lines_added_to_a_year_being_deleted_are_refused_not_orphaned(live_server, users):
    token = ApiToken.issue(users["hachioji"], "race")[1]
    api = f"{live_server.url}/api/v1/plans"
    plan = together([("POST", api, token, {"municipality": "132012", "title": "見守り", "sector": "health",
                                          "start_year": 2027})])[0][1]
    for n in range(ROUNDS):
        assert together([("POST", f"{api}/{plan['id']}/years", token,
                          {"fiscal_year": 2040 + n, "phase": "operation"})])[0][0] == 201
        year = PlanYear.objects.get(plan_id=plan["id"], fiscal_year=2040 + n)
        answers = together([("DELETE", f"{api}/{plan['id']}/years/{year.pk}?version={year.version}", token, None)]
                           + [("POST", f"{api}/{plan['id']}/years/{year.pk}/lines", token,
                               {"source_kind": "general", "amount": 1000 + i}) for i in range(ADDS)])
        statuses = Counter(status for status, _ in answers)
        assert answers[0][0] == 200 and set(statuses) <= {200, 201, 404, 409}, answers
        assert all(body["detail"] == "この年度はほかの利用者が削除しました。最新の内容を確認してください。"
                   for status, body in answers[1:] if status == 409)
        assert not PlanYear.objects.filter(pk=year.pk).exists()
        assert not FundingLine.objects.filter(plan_year_id=year.pk).exists()


def _import(url: str, token: str, content: bytes):
    """POST one CSV file to the import endpoint (multipart, as a client sends it)."""
    import json
    import urllib.error
    import urllib.request

    boundary = "race-boundary-7d2f"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="lines.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_an_import_into_a_year_being_deleted_leaves_no_line_behind(live_server, users):
    import threading

    token = ApiToken.issue(users["hachioji"], "race")[1]
    api = f"{live_server.url}/api/v1"
    plan = together([("POST", f"{api}/plans", token, {"municipality": "132012", "title": "見守り", "sector": "health",
                                                      "start_year": 2027})])[0][1]
    for n in range(ROUNDS):
        together([("POST", f"{api}/plans/{plan['id']}/years", token, {"fiscal_year": 2040 + n, "phase": "operation"})])
        year = PlanYear.objects.get(plan_id=plan["id"], fiscal_year=2040 + n)
        csv = ("計画ID,年度,財源の種類,金額（円）\n"
               + "".join(f"{plan['id']},{2040 + n},一般財源,{1000 + i}\n" for i in range(20))).encode()
        imports = 3
        barrier, imported = threading.Barrier(imports + 1), []

        def run(barrier=barrier, imported=imported, csv=csv):
            barrier.wait()
            imported.append(_import(f"{api}/funding/lines/import", token, csv))

        threads = [threading.Thread(target=run) for _ in range(imports)]
        for thread in threads:
            thread.start()
        barrier.wait()  # the deletion leaves with the imports
        deleted = together([("DELETE", f"{api}/plans/{plan['id']}/years/{year.pk}?version={year.version}", token,
                             None)])[0]
        for thread in threads:
            thread.join(240)
        assert deleted[0] == 200 and len(imported) == imports, imported
        assert {status for status, _ in imported} <= {200, 422}, imported
        refused = [body for status, body in imported if status == 422]
        assert all(body["committed"] is False and body["errors"][0]["message"] == (
            "取り込み中にほかの利用者が年度を削除しました。何も反映していません。もう一度取り込んでください")
            for body in refused if body["errors"][0]["column"] == "年度" and body["errors"][0]["row"] is None)
        assert not FundingLine.objects.filter(plan_year_id=year.pk).exists()
