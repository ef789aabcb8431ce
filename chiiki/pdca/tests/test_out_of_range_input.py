"""表示順 beyond its small-integer column is refused with a Japanese message (422, the typed values kept), never a
500 (SQLite: OverflowError; PostgreSQL: smallint out of range)."""

from decimal import Decimal

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


@pytest.mark.parametrize("field", ["target_value", "baseline_value"])
@pytest.mark.parametrize("value", ["99999999999999.999", "-99999999999999.995", "10000000000000.001"])
def test_a_value_beyond_what_both_engines_keep_is_refused(client_for, users, field, value):
    """99999999999999.999 rounded to 2 places has 15 integer digits: PostgreSQL refused the save (500); SQLite
    kept 99999999999999.99 as a float that Django could not read back (500 on every page showing it)."""
    data = {"code": "K-BIG", "name": "大きな目標", "unit": "円", "measure": "progress_implemented_any",
            "target_value": "3", "target_fiscal_year": str(YEAR + 1), "prefecture": "", "order": "0",
            "version": "0", field: value}
    page = client_for(users["admin"]).post("/pdca/kpis/new", data)
    assert page.status_code == 422 and "が大きすぎます" in page.content.decode()
    assert not KPI.objects.exists()
    largest = "10000000000000" if field == "target_value" else "-10000000000000"  # a target is above 0
    fits = client_for(users["admin"]).post("/pdca/kpis/new", {**data, field: largest})
    assert fits.status_code == 302 and getattr(KPI.objects.get(), field) == Decimal(largest)
    assert client_for(users["admin"]).get("/pdca/kpis/K-BIG/").status_code == 200


def test_a_review_keeps_no_projection_beyond_the_column(client_for, users, register):
    """A KPI far ahead (目標年度 2100) over the largest amounts: its projection does not fit the review's column, so
    the review is opened without it (it was a 500 on PostgreSQL) and says why."""
    import datetime as dt

    from django.utils import timezone

    from chiiki.access import SYSTEM
    from chiiki.funding import actions as funding_actions
    from chiiki.pdca.models import ReviewEntry

    from .conftest import make_kpi, seed

    seed([("131016", "disaster", YEAR - 1, "piloting")])
    make_kpi("K-CF", measure="funding_crowdfunding_raised", unit="円", target="100000000", target_year=2100)
    today = timezone.localdate()
    campaign = funding_actions.create_campaign(
        SYSTEM, register["municipalities"]["132012"], title="見守り", use_of_funds="センサー", target_amount=3_000_000,
        start_date=today, end_date=today + dt.timedelta(days=30), donation_url="https://example.jp/furusato/1")
    funding_actions.record_receipt(SYSTEM, campaign, received_on=today, amount=10**13, external_id="A1")
    response = client_for(users["admin"]).post("/pdca/reviews/new", {"fiscal_year": str(YEAR), "prefecture": "",
                                                                     "title": "", "summary": ""})
    assert response.status_code == 302
    entry = ReviewEntry.objects.get(kpi__code="K-CF")
    assert entry.projected_value is None and "記録できる桁数を超える" in entry.formula
