"""An integrity failure that is not a duplicate must not be answered "already registered" (it is a bug to see)."""

import pytest

from chiiki.accounts.models import ApiToken, User
from chiiki.promotion import actions
from chiiki.promotion.models import Organisation

NTA = "7000012050002"


def _failing_not_null(*_args, **_kwargs):
    User.objects.create(username=None)


@pytest.mark.django_db
def test_a_not_null_failure_while_registering_is_not_called_a_taken_number(client, users, monkeypatch):
    token = ApiToken.issue(users["admin"], "t")[1]
    body = {"name": "株式会社サンプル", "kind": "startup", "prefecture": "13", "sectors": ["health"],
            "corporate_number": NTA}
    monkeypatch.setattr(actions.history, "bump", _failing_not_null)
    response = client.post("/api/v1/organisations", body, content_type="application/json",
                           headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 500
    assert "既に登録されています" not in response.content.decode()
    assert not Organisation.objects.filter(corporate_number=NTA).exists()
