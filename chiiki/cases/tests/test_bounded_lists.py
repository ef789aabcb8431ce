"""連携団体コード, 支援制度 and モデル: a case lists at most MAX_LISTED of each, refused before any lookup, and the
codes it lists are looked up in one query (one query per code, before the permission check, before)."""

import pytest

from chiiki.cases.models import Case
from chiiki.pdca.tests.conftest import bearer

pytestmark = pytest.mark.django_db

MANY = ["011002", "131016"] * 1000  # two real partners, named 2,000 times (14 KB of JSON)


def body(**extra):
    return {"municipality": "132012", "title": "連携の多い事例", "summary": "概要", "sectors": ["disaster"],
            "status": "published", **extra}


@pytest.mark.parametrize("user,status", [("hachioji", 422), ("aogashima", 422)])
def test_api_partner_codes_beyond_the_limit_are_refused_before_any_lookup(client, users, register, user, status,
                                                                          django_assert_max_num_queries):
    with django_assert_max_num_queries(30):
        response = client.post("/api/v1/cases", body(partners=MANY), content_type="application/json",
                               **bearer(users[user]))
    assert response.status_code == status
    assert response.json()["detail"]["partners"] == "連携団体は50件までです（2,000件あります）"


def test_page_partner_codes_are_looked_up_together_and_repeats_kept_once(client_for, users, register,
                                                                          django_assert_max_num_queries):
    form = {"municipality": "132012", "title": "連携の多い事例", "summary": "概要", "sectors": ["disaster"],
            "partners": ";".join(["011002", "131016", "011002", "０１１００２"] * 12), "status": "published",
            "version": "0"}
    hachioji = client_for(users["hachioji"])
    with django_assert_max_num_queries(60):
        assert hachioji.post("/cases/new", form).status_code == 302
    assert sorted(Case.objects.get().partners.values_list("code", flat=True)) == ["011002", "131016"]
    missing = hachioji.post("/cases/new", form | {"partners": "011002;999997;012025"})
    assert missing.status_code == 422 and "999997" in missing.content.decode()
