"""A company registered twice at once (double submit) through a live server: one company per 法人番号, the other
copies get the 422 a later request gets, never a 500 from the unique constraint (ADR 0010)."""

from collections import Counter

import pytest

from chiiki.accounts.models import ApiToken
from chiiki.funding.models import Company
from chiiki.testing import at_once

pytestmark = pytest.mark.django_db(transaction=True)

COPIES = 8


def test_one_corporate_number_registered_at_once_gives_one_company(live_server, users):
    token = ApiToken.issue(users["company"], "race")[1]
    answers = at_once(COPIES, "POST", f"{live_server.url}/api/v1/companies", token,
                      {"name": "株式会社サンプル", "corporate_number": "7000012050002", "head_office": "132012"})
    assert Counter(status for status, _ in answers) == {201: 1, 422: COPIES - 1}, answers
    assert all(body["detail"] == {"corporate_number": "この法人番号の企業はすでに登録されています"}
               for status, body in answers if status == 422)
    assert Company.objects.get().corporate_number == "7000012050002"
