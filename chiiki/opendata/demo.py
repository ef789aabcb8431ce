"""Demo catalog (load_demo): datasets of the demo prefecture (長野県) and its demo municipalities — valid and invalid
自治体標準オープンデータセット files, one 庁内限定 dataset, a 利用事例 and some usage — all flagged as デモ.

Deterministic (the files are built from the schemas and the register's coordinates) and idempotent: a dataset
whose name exists is left alone. Everything goes through chiiki.opendata.actions, so history records it.
"""

import csv
import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from chiiki import access
from chiiki.core import history
from chiiki.regions.models import Municipality, Prefecture

from . import actions, standard
from .models import Dataset, UsageKind, UseCaseStatus

PREFECTURE = "20"  # 長野県 (chiiki.accounts.demo.DEMO_PREFECTURE)
DEMO_NOTE = "（デモデータ: 実在の団体が公開しているデータではありません）"


def _value(column, owner: Municipality, index: int, place: str) -> str:
    lat, lng = float(owner.lat or 36.0), float(owner.lng or 138.0)
    by_type = {
        "lgcode": owner.code, "lgcode_place": owner.code, "latitude": f"{lat + 0.003 * index:.6f}", "longitude": f"{lng + 0.004 * index:.6f}",
        "time": "09:00" if "開始" in column.name else "17:00", "date": "2026-04-01", "flag": "有", "flag1": "1",
        "multi": "月;火;水;木;金", "integer": str(20 + index), "number": f"{350 + index}.5",
        "url": f"https://www.example.jp/{owner.code}/{index}",
    }
    if column.type in by_type:
        return by_type[column.type]
    texts = {"ID": f"{owner.code}-{index:03d}", "地方公共団体名": owner.name, "名称": f"{place}{index}",
             "住所": f"{owner.prefecture.name}{owner.name}{index}番地", "種別": "保育所", "設置位置": "1階入口"}
    return texts.get(column.name, "" if not column.required else f"{column.name}{index}")


def standard_file(kind: str, owner: Municipality, place: str, rows: int = 5, *, broken: bool = False) -> bytes:
    """A CSV of the schema's columns; `broken` leaves mistakes a validator must find (wrong code, times, a
    missing required value)."""
    schema = standard.schemas()[kind]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.name for c in schema.columns])
    for index in range(1, rows + 1):
        row = [_value(c, owner, index, place) for c in schema.columns]
        if broken and index % 2 == 0:
            for i, column in enumerate(schema.columns):
                if column.type == "lgcode":
                    row[i] = owner.code[:5] + str((int(owner.code[5]) + 1) % 10)
                elif column.type == "time":
                    row[i] = "9時"
                elif column.name == "名称":
                    row[i] = ""
        writer.writerow(row)
    return out.getvalue().encode("utf-8-sig")


def _specs(m: dict[str, Municipality]):
    nagano, shiojiri, achi = m["202011"], m["202151"], m["204072"]
    return [
        (nagano, {"name": "demo-nagano-aed", "title": "長野市 AED設置箇所一覧", "standard_type": "aed",
                  "tags": ["AED", "救命"], "sectors": ["health", "disaster"], "frequency": "monthly"},
         ("aed.csv", standard_file("aed", nagano, "長野市施設"))),
        (nagano, {"name": "demo-nagano-evacuation", "title": "長野市 指定緊急避難場所一覧",
                  "standard_type": "evacuation_sites", "tags": ["避難所", "防災"], "sectors": ["disaster"],
                  "frequency": "annual"},
         ("evacuation.csv", standard_file("evacuation_sites", nagano, "避難場所"))),
        (nagano, {"name": "demo-nagano-facilities", "title": "長野市 公共施設一覧", "standard_type": "public_facilities",
                  "tags": ["公共施設"], "sectors": ["public_private"], "frequency": "annual"},
         ("facilities.csv", standard_file("public_facilities", nagano, "市民センター", broken=True))),
        (nagano, {"name": "demo-nagano-inspections", "title": "長野市 施設点検記録（庁内共有）",
                  "visibility": "internal", "tags": ["施設管理"], "sectors": ["public_private"],
                  "notes": "施設所管課と財政課で共有する点検記録です。"},
         ("inspections.csv", "施設名,点検日,結果\r\n市民センター1,2026-10-01,異常なし\r\n".encode())),
        (shiojiri, {"name": "demo-shiojiri-tourism", "title": "塩尻市 観光施設一覧",
                    "standard_type": "tourist_facilities", "tags": ["観光", "ワイン"], "sectors": ["tourism"]},
         ("tourism.csv", standard_file("tourist_facilities", shiojiri, "ワイナリー"))),
        (shiojiri, {"name": "demo-shiojiri-childcare", "title": "塩尻市 子育て施設一覧",
                    "standard_type": "childcare_facilities", "tags": ["子育て"], "sectors": ["education"]},
         ("childcare.csv", standard_file("childcare_facilities", shiojiri, "保育園", broken=True))),
        (achi, {"name": "demo-achi-toilets", "title": "阿智村 公衆トイレ一覧", "standard_type": "public_toilets",
                "tags": ["トイレ", "観光"], "sectors": ["tourism"]},
         ("toilets.csv", standard_file("public_toilets", achi, "公衆トイレ"))),
        (achi, {"name": "demo-achi-starry-sky", "title": "阿智村 星空観察スポット", "tags": ["星空", "観光"],
                "sectors": ["tourism"], "license": "cc-zero", "notes": "日本一の星空の村の観察スポットです。"},
         ("stars.csv", "名称,緯度,経度\r\n浪合パーク,35.4300,137.7150\r\n".encode())),
    ]


USE_CASE_TITLE = "まちなかAEDマップ（デモ）"
# A few months of use for each demo dataset's usage page (利用状況): per dataset, for the months from the oldest to
# USAGE_LAST_MONTH, (page views, downloads of its file, API reads). Deterministic; a data set's figures rise as its
# data becomes known. The 庁内限定 dataset is read by the office's staff only: a few downloads, no API.
USAGE_LAST_MONTH = dt.date(2026, 11, 1)
USAGE = {
    "demo-nagano-aed": ((41, 5, 9), (57, 8, 21), (73, 12, 30)),
    "demo-nagano-evacuation": ((88, 14, 6), (64, 9, 11), (70, 11, 15)),
    "demo-nagano-facilities": ((23, 3, 0), (31, 4, 2), (28, 6, 3)),
    "demo-nagano-inspections": ((4, 2, 0), (6, 3, 0), (5, 2, 0)),
    "demo-shiojiri-tourism": ((52, 7, 4), (66, 10, 8), (95, 16, 12)),
    "demo-shiojiri-childcare": ((19, 4, 1), (26, 5, 2), (22, 6, 2)),
    "demo-achi-toilets": ((14, 2, 1), (21, 3, 3), (36, 5, 4)),
    "demo-achi-starry-sky": ((47, 6, 2), (58, 9, 5), (81, 13, 7)),
    "demo-nagano-pref-wifi": ((33, 4, 3), (39, 6, 5), (45, 7, 6)),
}


def usage_months() -> list[dt.date]:
    """The first days of the demo's usage months, oldest first, ending with USAGE_LAST_MONTH."""
    months = [USAGE_LAST_MONTH]
    for _ in range(max(len(figures) for figures in USAGE.values()) - 1):
        months.insert(0, (months[0] - dt.timedelta(days=1)).replace(day=1))
    return months


def seed_usage(datasets) -> int:
    """Count the demo's uses of `datasets` through the counting actions the site itself uses (page views in one
    batch as pageviews.py writes them, downloads and API reads one by one as the views do). A dataset that already
    has usage in the demo's months is left alone, so loading the demo again adds nothing. Returns the datasets
    seeded. (The usage counters carry no demo flag: the dataset does, and its usage page says so.)"""
    months = usage_months()
    views, seeded = {}, 0
    for dataset in datasets:
        figures = USAGE.get(dataset.name)
        if not figures or dataset.usage.filter(month__in=months).exists():
            continue
        resource = dataset.resources.order_by("pk").first()
        for month, (page_views, downloads, reads) in zip(months[-len(figures):], figures, strict=True):
            views[(dataset.name, month)] = page_views
            for _ in range(downloads if resource is not None else 0):
                actions.count_use(dataset, UsageKind.DOWNLOAD, resource=resource, user_agent="demo", today=month)
            for _ in range(reads):
                actions.count_use(dataset, UsageKind.API, user_agent="demo", today=month)
        seeded += 1
    actions.record_page_views(views)
    return seeded


def load(*, stdout=None, actor=access.SYSTEM) -> str:
    codes = ("202011", "202151", "204072")
    municipalities = {m.code: m for m in Municipality.objects.select_related("prefecture").filter(code__in=codes)}
    prefecture = Prefecture.objects.filter(code=PREFECTURE).first()
    if len(municipalities) != len(codes) or prefecture is None:
        return "オープンデータのデモ: 長野県の団体が未登録のため作成しませんでした（先に load_reference を実行してください）"
    created = 0
    specs = _specs(municipalities)
    specs.append((prefecture, {"name": "demo-nagano-pref-wifi", "title": "長野県 公衆無線LANアクセスポイント一覧",
                               "tags": ["Wi-Fi"], "sectors": ["tourism", "disaster"], "license": "pdl-1.0"},
                  ("wifi.csv", "名称,市町村,緯度,経度\r\n県庁,長野市,36.6513,138.1810\r\n".encode())))
    for owner, values, (filename, data) in specs:
        if Dataset.objects.filter(name=values["name"]).exists():
            continue
        values = {**values, "notes": (values.get("notes", "") + DEMO_NOTE)}
        dataset = actions.create_dataset(actor, owner, values, source=history.DEMO, is_demo=True)
        actions.add_resource(actor, dataset, name=values["title"].split(" ", 1)[-1], format="CSV",
                             upload=SimpleUploadedFile(filename, data, content_type="text/csv"),
                             description="デモ用に生成したデータです", source=history.DEMO)
        created += 1
    aed = Dataset.objects.filter(name="demo-nagano-aed", is_demo=True).first()
    if aed is not None and not aed.use_cases.filter(title=USE_CASE_TITLE).exists():
        use = actions.register_use_case(actor, aed, title=USE_CASE_TITLE, url="https://www.example.jp/aed-map",
                                        description="市のAED設置箇所一覧を地図に表示するウェブアプリです。",
                                        source=history.DEMO)
        actions.moderate_use_case(actor, use, UseCaseStatus.APPROVED, version=use.version, source=history.DEMO)
    seed_usage(Dataset.objects.filter(is_demo=True, name__in=USAGE))
    total = Dataset.objects.filter(is_demo=True).count()
    return f"オープンデータのデモ: データセット {created}件を作成（デモのデータセットは全{total}件）"
