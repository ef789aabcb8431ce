"""Full-width digits in every type of the standard written in digits (numbers, integers, times, the 1 of the 災害種別
columns) are told as full-width, with row and column; a dataset whose file has them is 要修正, not 準拠."""

from chiiki.opendata.models import Conformance, Dataset

from .samples import VALID_AED, upload

FULL_WIDTH = "数字は半角で記入してください（全角の数字が含まれています）"
EVACUATION = (
    "全国地方公共団体コード,ID,地方公共団体名,名称,名称_カナ,名称_英字,住所,方書,緯度,経度,標高,電話番号,内線番号,"
    "災害種別_洪水,災害種別_崖崩れ、土石流及び地滑り,災害種別_高潮,災害種別_地震,災害種別_津波,災害種別_大規模な火事,"
    "災害種別_内水氾濫,災害種別_火山現象,指定避難所との重複,想定収容人数,対象となる町会・自治会,URL,備考\n"
    "132012,E001,八王子市,第一小学校,,,東京都八王子市元本郷町一丁目1番1号,,35.6664,139.3160,120.5,,,"
    "1,1,1,1,1,1,1,1,1,350,,,\n"
)


def _validate(client, schema, name, text):
    response = client.post("/api/v1/opendata/validate", {"standard_type": schema, "file": upload(name, text)})
    assert response.status_code == 200
    return response.json()


def _problems(body):
    return [(p["row"], p["column"], p["message"], p["value"]) for p in body["problems"]]


def test_full_width_number_integer_and_flag_are_told_as_full_width(db, client):
    assert _validate(client, "evacuation_sites", "evac.csv", EVACUATION)["ok"] is True
    flags = ",1,1,1,1,1,1,1,1,1,"
    text = (EVACUATION.replace(",120.5,", ",１２０.５,").replace(",350,", ",３５０,")
            .replace(flags, ",１" + flags[2:]))
    body = _validate(client, "evacuation_sites", "evac.csv", text)
    assert body["ok"] is False and body["errors"] == 3, body
    assert sorted(_problems(body)) == sorted([
        (2, "標高", FULL_WIDTH, "１２０.５"),
        (2, "想定収容人数", FULL_WIDTH, "３５０"),
        (2, "災害種別_洪水", FULL_WIDTH, "１"),
    ])


def test_a_full_width_time_is_told_as_full_width(db, client):
    body = _validate(client, "aed", "aed.csv", VALID_AED.replace(",08:30,", ",０８:３０,"))
    assert _problems(body) == [(2, "開始時間", FULL_WIDTH, "０８:３０")]


def test_full_width_digits_that_would_still_be_wrong_keep_the_types_message(db, client):
    # ２５:００ is no time even half-width: the format is what to fix.
    body = _validate(client, "aed", "aed.csv", VALID_AED.replace(",08:30,", ",２５:００,"))
    assert [p["message"] for p in body["problems"]] == ["時刻は hh:mm（例: 09:00）で記入してください"]


def test_a_dataset_with_full_width_dates_is_not_conforming(users, catalog, client_for):
    assert Dataset.objects.get(name="hachioji-aed").conformance == Conformance.CONFORMING
    response = client_for(users["hachioji"]).post("/opendata/dataset/hachioji-aed/resources", {
        "name": "AED一覧（更新）", "file": upload("aed2.csv", VALID_AED.replace("2027-03-31", "２０２７-０３-３１"))})
    assert response.status_code == 302
    assert Dataset.objects.get(name="hachioji-aed").conformance == Conformance.NEEDS_FIX
