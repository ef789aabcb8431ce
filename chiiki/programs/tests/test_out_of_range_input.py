"""Numbers beyond a program column's range are refused with a Japanese message on the form and in an imported
file, never a 500 (SQLite: OverflowError beyond 64 bits; PostgreSQL: smallint/integer/bigint out of range)."""

import pytest

from .test_admin import form_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field,value,message", [
    ("cap_yen", "9" * 30, "10,000,000,000,000以下の整数で入力してください"),
    ("min_project_yen", "9" * 20, "10,000,000,000,000以下の整数で入力してください"),
    ("max_years", "40000", "100以下の整数で入力してください"),
    ("population_max", "3000000000", "200,000,000以下の整数で入力してください"),
])
def test_edit_page_refuses_numbers_beyond_the_column(client_for, catalog, users, field, value, message):
    program = catalog["MIC-IOT-PLAN"]
    page = client_for(users["admin"]).post(f"/programs/p/{program.public_id}/edit",
                                           form_data(program, **{field: value}, summary="入力を残す"))
    assert page.status_code == 422
    text = page.content.decode()
    assert message in text and "入力を残す" in text
    program.refresh_from_db()
    assert program.version == 1 and program.summary != "入力を残す"



@pytest.mark.parametrize("field,limit", [("name", 200), ("provider", 100), ("subsidy_rate", 50)])
def test_edit_page_refuses_text_longer_than_the_column(client_for, catalog, users, field, limit):
    """SQLite stored any length; PostgreSQL refused it (value too long for type character varying: a 500)."""
    program = catalog["MIC-IOT-PLAN"]
    page = client_for(users["admin"]).post(f"/programs/p/{program.public_id}/edit",
                                           form_data(program, **{field: "長" * (limit + 1)}, summary="入力を残す"))
    assert page.status_code == 422
    text = page.content.decode()
    assert f"{limit}文字以内で入力してください（{limit + 1:,}文字）" in text and "入力を残す" in text
    program.refresh_from_db()
    assert program.version == 1 and program.summary != "入力を残す"
    assert client_for(users["admin"]).post(f"/programs/p/{program.public_id}/edit", form_data(
        program, **{field: "長" * limit})).status_code == 302
