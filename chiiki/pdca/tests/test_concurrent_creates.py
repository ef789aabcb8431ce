"""One KPI ID created twice at once through a live server: one KPI, the other copies get the 422 a later request
gets, never a 500 from the primary key (ADR 0010)."""

from collections import Counter

import pytest

from chiiki.accounts.models import ApiToken
from chiiki.pdca.models import KPI
from chiiki.testing import at_once

pytestmark = pytest.mark.django_db(transaction=True)

COPIES = 8


def test_one_kpi_id_created_at_once_gives_one_kpi(live_server, users):
    token = ApiToken.issue(users["admin"], "race")[1]
    answers = at_once(COPIES, "POST", f"{live_server.url}/api/v1/kpis", token,
                      {"code": "K-RACE", "name": "実装団体数", "unit": "団体", "target_value": 3,
                       "target_fiscal_year": "2030", "measure": "progress_implemented_any"})
    assert Counter(status for status, _ in answers) == {201: 1, 422: COPIES - 1}, answers
    assert all(body["detail"] == {"code": "KPI ID K-RACE はすでに使われています"}
               for status, body in answers if status == 422)
    assert KPI.objects.get().code == "K-RACE"
