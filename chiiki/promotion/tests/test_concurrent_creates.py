"""Double submits through a live server (ADR 0010): what must exist once is created once, and every other copy is
refused with the same 422 a later request gets — never a 500 from the unique constraint."""

from collections import Counter

import pytest

from chiiki.accounts.models import ApiToken
from chiiki.core.models import ChangeRecord
from chiiki.promotion.models import Organisation, OrganisationMember
from chiiki.testing import at_once

pytestmark = pytest.mark.django_db(transaction=True)

COPIES = 8
NTA = "7000012050002"  # 国税庁's own 法人番号


def org_body(**extra):
    return {"name": "株式会社サンプル", "kind": "startup", "prefecture": "13", "sectors": ["health"], **extra}


def test_one_corporate_number_registered_at_once_gives_one_organisation(live_server, users):
    token = ApiToken.issue(users["admin"], "race")[1]
    answers = at_once(COPIES, "POST", f"{live_server.url}/api/v1/organisations", token,
                      org_body(corporate_number=NTA))
    assert Counter(status for status, _ in answers) == {201: 1, 422: COPIES - 1}, answers
    refused = [body for status, body in answers if status == 422]
    assert all(body["detail"] == {"corporate_number": "この法人番号の組織は既に登録されています"} for body in refused)
    organisation = Organisation.objects.get(corporate_number=NTA)
    assert ChangeRecord.objects.filter(object_id=str(organisation.pk), action="create").count() == 1


def test_a_company_user_creating_organisations_at_once_joins_one(live_server, users):
    token = ApiToken.issue(users["company"], "race")[1]
    answers = at_once(COPIES, "POST", f"{live_server.url}/api/v1/organisations", token, org_body())
    assert Counter(status for status, _ in answers) == {201: COPIES}, answers
    membership = OrganisationMember.objects.get(user=users["company"])
    assert membership.organisation_id in {body["id"] for _, body in answers}
