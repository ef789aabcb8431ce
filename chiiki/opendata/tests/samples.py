"""Sample data of the opendata tests (also used by the site-wide accessibility tour)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from chiiki import access

VALID_AED = (
    "全国地方公共団体コード,ID,地方公共団体名,名称,名称_カナ,名称_英字,住所,方書,緯度,経度,設置位置,電話番号,内線番号,"
    "法人番号,団体名,利用可能曜日,開始時間,終了時間,利用可能日時特記事項,パッドの使用期限,小児対応設備の有無,URL,備考\n"
    "132012,AED001,八王子市,八王子市役所,ハチオウジシヤクショ,,東京都八王子市元本郷町三丁目24番1号,,35.6664,139.3160,"
    "1階ロビー,042-626-3111,,,,月;火;水;木;金,08:30,17:15,,2027-03-31,有,https://example.jp/aed,\n"
)


def upload(name: str, text: str | bytes, encoding: str = "utf-8"):
    data = text.encode(encoding) if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def make_catalog() -> dict:
    """八王子市: a public AED dataset (valid file) and a 庁内限定 one; 東京都: a public one; 札幌市: a public one.
    Also used by the site-wide accessibility tour (chiiki/core/tests/test_accessibility.py)."""
    from chiiki.opendata import actions
    from chiiki.regions.models import Municipality, Prefecture

    m = {code: Municipality.objects.get(code=code) for code in ("132012", "011002")}
    aed = actions.create_dataset(access.SYSTEM, m["132012"], {
        "name": "hachioji-aed", "title": "八王子市 AED設置箇所一覧", "notes": "市内のAEDの設置場所です。",
        "tags": ["AED", "救命"], "sectors": ["health", "disaster"], "standard_type": "aed"})
    actions.add_resource(access.SYSTEM, aed, name="AED一覧", upload=upload("aed.csv", VALID_AED))
    internal = actions.create_dataset(access.SYSTEM, m["132012"], {
        "name": "hachioji-internal-budget", "title": "八王子市 庁内予算データ", "notes": "部門間で共有する予算の明細",
        "visibility": "internal", "tags": ["予算"]})
    actions.add_resource(access.SYSTEM, internal, name="明細", upload=upload("budget.csv", "科目,金額\n防災,100\n"))
    pref = actions.create_dataset(access.SYSTEM, Prefecture.objects.get(code="13"), {
        "name": "tokyo-tourism", "title": "東京都 観光施設一覧", "tags": ["観光"], "sectors": ["tourism"],
        "license": "cc-zero"})
    actions.add_resource(access.SYSTEM, pref, name="外部", url="https://example.jp/tourism.csv")
    sapporo = actions.create_dataset(access.SYSTEM, m["011002"], {
        "name": "sapporo-toilets", "title": "札幌市 公衆トイレ一覧", "tags": ["トイレ"], "sectors": ["tourism"]})
    return {"aed": aed, "internal": internal, "pref": pref, "sapporo": sapporo}
