"""One 財源ID twice in a funding-line file is named as a duplicate by the dry run, not blamed on another user at
commit."""

import csv
import io

from chiiki.funding.models import FundingLine

from .conftest import GENERAL, PLANNED


def _csv(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _file(data: bytes, name="lines.csv"):
    buffer = io.BytesIO(data)
    buffer.name = name
    return buffer


def test_a_line_twice_in_the_file_is_named_in_the_dry_run(client_for, users, plan_factory):
    plan = plan_factory([(2026, "implementation", 100, [(GENERAL, 100, PLANNED, None)])], status="published")
    line = FundingLine.objects.get()
    c = client_for(users["hachioji"])
    rows = list(csv.reader(io.StringIO(
        c.get(f"/funding/lines/?plan={plan.pk}&format=csv").content.decode("utf-8-sig"))))
    header = rows[0]
    rows[1][header.index("金額（円）")] = "200"
    rows.append(list(rows[1]))  # the same edited line pasted twice
    for dry_run in ("true", "false"):
        response = c.post("/api/v1/funding/lines/import", {"file": _file(_csv(rows)), "dry_run": dry_run})
        assert response.status_code == 422, response.json()
        assert [(e["row"], e["column"], e["message"]) for e in response.json()["errors"]] == [
            (3, "財源ID", f"財源ID {line.pk} が重複しています（2行目）")]
    line.refresh_from_db()
    assert (line.amount, line.version) == (100, 1)
