"""表示順 beyond its small-integer column is refused with a Japanese message (422, the typed values kept), never a
500 (SQLite: OverflowError; PostgreSQL: smallint out of range)."""

import pytest

from chiiki.pdca.models import KPI

from .conftest import YEAR, bearer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("order", ["9" * 30, "40000"])
def test_kpi_page_refuses_an_order_beyond_the_column(client_for, users, order):
    data = {"code": "K-ORDER", "name": "実装団体数", "unit": "団体", "measure": "progress_implemented_any",
            "target_value": "3", "target_fiscal_year": str(YEAR + 1), "prefecture": "", "order": order, "version": "0"}
    page = client_for(users["admin"]).post("/pdca/kpis/new", data)
    assert page.status_code == 422
    text = page.content.decode()
    assert "表示順は0〜32767の整数で入力してください" in text and 'value="実装団体数"' in text
    assert not KPI.objects.exists()
    assert client_for(users["admin"]).post("/pdca/kpis/new", {**data, "order": "１２"}).status_code == 302
    assert KPI.objects.get().order == 12


@pytest.mark.parametrize("order", [10**30, 40000])
def test_kpi_api_refuses_an_order_beyond_the_column(client, users, order):
    body = {"code": "K-ORDER", "name": "実装団体数", "unit": "団体", "target_value": 3, "order": order,
            "target_fiscal_year": str(YEAR + 1), "measure": "progress_implemented_any"}
    response = client.post("/api/v1/kpis", body, content_type="application/json", **bearer(users["admin"]))
    assert response.status_code == 422 and set(response.json()["detail"]) == {"order"}
    assert not KPI.objects.exists()


def test_an_assessment_with_nul_is_refused_with_the_typed_text_kept(client_for, users, register):
    """The review page passed the posted text straight to the action; PostgreSQL refused the NUL (a 500)."""
    from chiiki.access import SYSTEM
    from chiiki.pdca import actions

    from .conftest import make_kpi

    make_kpi("K-TOKYO", target="3", prefecture="13", name="都内の実装団体数")
    review = actions.open_review(SYSTEM, fiscal_year=YEAR, prefecture="13")
    entry = review.entries.get()
    page = client_for(users["tokyo"]).post(f"/pdca/reviews/{review.pk}/entries/{entry.pk}",
                                           {"assessment": "順調\x00に進んでいる", "version": "1"})
    assert page.status_code == 422
    text = page.content.decode()
    assert "評価に制御文字（U+0000 NUL）が含まれています" in text and "に進んでいる</textarea>" in text
    entry.refresh_from_db()
    assert (entry.assessment, entry.version) == ("", 1)
