"""The API's 404 answers are in Japanese, also where get_object_or_404 raised them with Django's English text."""

import json

import pytest

from chiiki.pdca.tests.conftest import bearer

pytestmark = pytest.mark.django_db


def test_unknown_sector_or_record_is_a_japanese_404(client_for, users):
    anon = client_for(None)
    put = anon.put("/api/v1/progress/132012/no-such-sector/2025", json.dumps({"version": 0, "stage": "implemented"}),
                   content_type="application/json", **bearer(users["hachioji"]))
    assert put.status_code == 404
    assert put.json()["detail"] == "分野が見つかりません"
    delete = anon.delete("/api/v1/progress/132012/education/2025?version=1", **bearer(users["admin"]))
    assert delete.status_code == 404
    assert "matches the given query" not in delete.json()["detail"], delete.json()
    assert delete.json()["detail"].endswith("見つかりません")
    campaign = anon.get("/api/v1/campaigns/999")
    assert campaign.status_code == 404
    assert "matches the given query" not in campaign.json()["detail"], campaign.json()
    assert campaign.json()["detail"].endswith("見つかりません")


def test_a_message_of_our_own_is_kept(client):
    response = client.get("/api/v1/municipalities/999999")
    assert response.status_code == 404
    assert "999999" in response.json()["detail"] or "団体" in response.json()["detail"]
