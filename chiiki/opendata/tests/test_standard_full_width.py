"""The 自治体標準オープンデータセット validator refuses full-width digits where the standard asks for numbers, dates and
codes (machine readers of the published file cannot read them), and names that as the problem."""

import pytest

from .samples import VALID_AED, upload


def _validate(client, text):
    response = client.post("/api/v1/opendata/validate", {"standard_type": "aed", "file": upload("aed.csv", text)})
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("column, half, full", [
    ("パッドの使用期限", "2027-03-31", "２０２７-０３-３１"),
    ("緯度", "35.6664", "３５.６６６４"),
    ("経度", "139.3160", "１３９.３１６０"),
])
def test_full_width_digits_are_not_conformant(db, client, column, half, full):
    assert _validate(client, VALID_AED)["ok"] is True
    body = _validate(client, VALID_AED.replace(half, full))
    assert body["ok"] is False, body  # was: ok, 0 errors — the file was reported 準拠
    assert [p["column"] for p in body["problems"]] == [column]


def test_a_full_width_code_is_told_as_full_width_not_as_a_wrong_check_digit(db, client):
    body = _validate(client, VALID_AED.replace("132012,AED001", "１３２０１２,AED001"))
    [problem] = body["problems"]
    assert problem["column"] == "全国地方公共団体コード"
    # 132012's check digit is right; the message said 「検査数字（6桁目）が正しくありません」
    assert "検査数字" not in problem["message"] and "半角" in problem["message"]
