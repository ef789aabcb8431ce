"""The history filter's 都道府県 typed with full-width digits (１３, as a Japanese keyboard types it) is read as 13,
as the 団体コード filter beside it reads full-width digits: it was looked up as typed and answered 404."""

import pytest

from chiiki.core import history


@pytest.fixture
def edits(register, users):
    m = register["municipalities"]

    def edit(code, actor):
        return history.record(actor, "update", m[code], {"remote_island": None}, {"remote_island": True},
                              municipality=m[code], source="web")

    return {"hachioji": edit("132012", users["hachioji"]), "sapporo": edit("011002", users["sapporo"])}


@pytest.mark.parametrize("typed", ["13", "１３", "　１３ "])
def test_a_full_width_prefecture_code_filters_as_the_ascii_one(client_for, users, edits, typed):
    for role in ("admin", "tokyo"):
        response = client_for(users[role]).get("/history/", {"prefecture": typed})
        assert response.status_code == 200, role
        assert {row["record"].pk for row in response.context["rows"]} == {edits["hachioji"].pk}
        export = client_for(users[role]).get("/history/", {"prefecture": typed, "format": "csv"})
        assert export.status_code == 200 and "八王子市" in export.content.decode("utf-8-sig")


def test_a_full_width_single_digit_prefecture_code(client_for, users, edits):
    response = client_for(users["admin"]).get("/history/", {"prefecture": "１"})
    assert {row["record"].pk for row in response.context["rows"]} == {edits["sapporo"].pk}


def test_a_prefecture_outside_the_scope_is_still_404_in_full_width(client_for, users, edits):
    assert client_for(users["tokyo"]).get("/history/", {"prefecture": "０１"}).status_code == 404
