"""Demo promotion data (load_demo): commitments and model regions in the demo prefecture (長野県), marked デモ.

Written through the actions (history source "demo"); idempotent: rows that exist are left alone.
"""

import datetime as dt

from chiiki import access
from chiiki.core import history
from chiiki.regions.models import Municipality

from . import actions
from .models import Commitment, ModelRegion

# code, declared on, title (the documents are placeholders on example.jp: demo data, not real declarations)
COMMITMENTS = [
    ("202151", dt.date(2023, 6, 1), "地域IoT実装推進宣言（デモ）"),
    ("204072", dt.date(2024, 9, 1), "星空と観光のデジタル化宣言（デモ）"),
    ("202011", dt.date(2024, 4, 15), "スマートシティ推進の表明（デモ）"),
]
# code, 年度, sectors, package name, story
MODEL_REGIONS = [
    ("202151", 2024, ["education", "disaster", "public_private"], "地域IoT基盤パッケージ（デモ）",
     "（デモ）地域の通信基盤を活用し、子どもの見守りと防災情報の配信、行政手続のオンライン化をひとつのパッケージで"
     "実装した例です。近隣の町村と共同で運用体制をつくり、同じ仕組みを広げています。"),
    ("204072", 2025, ["tourism", "business"], "観光DXパッケージ（デモ）",
     "（デモ）観光客の動きのデータを地域の事業者と共有し、予約と決済を一体化した例です。周辺の村へ同じ仕組みを"
     "広げることを目指しています。"),
]


def load(*, stdout=None, actor=access.SYSTEM) -> str:
    places = {m.code: m for m in Municipality.objects.filter(code__in={c for c, *_ in COMMITMENTS + MODEL_REGIONS})}
    commitments = regions = 0
    for code, day, title in COMMITMENTS:
        place = places.get(code)
        if place is None or Commitment.objects.filter(municipality=place, title=title).exists():
            continue
        actions.record_commitment(actor, place, declared_on=day, title=title,
                                  document_url=f"https://example.jp/demo/{code}/commitment", is_demo=True,
                                  source=history.DEMO)
        commitments += 1
    for code, year, sectors, package, story in MODEL_REGIONS:
        place = places.get(code)
        if place is None or ModelRegion.objects.filter(municipality=place, fiscal_year=year).exists():
            continue
        actions.designate(actor, place, fiscal_year=year, sectors=sectors, story=story, package_name=package,
                          is_demo=True, source=history.DEMO)
        regions += 1
    return f"推進体制デモデータ: 首長のコミットメント {commitments}件、見本となる地域 {regions}件を作成しました"
