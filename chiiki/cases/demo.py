"""Demo cases (load_demo) for the demo municipalities of 長野県, every one marked デモ: no real municipality's case
is invented — these say so on every page. Idempotent: nothing is added once demo cases exist."""

from django.db import transaction

from chiiki import access
from chiiki.core import history
from chiiki.core.fiscal import current_fiscal_year
from chiiki.regions.models import Municipality

from . import actions
from .models import Case

DEMO_CASES = [
    ("202151", {"title": "（デモ）防災情報の一斉配信を企業版ふるさと納税で整備", "sectors": ["disaster"],
                "summary": "デモ用の事例です。避難情報を防災行政無線・メール・アプリに一斉配信する仕組みを、企業版ふるさと納税と国の支援制度を組み合わせて整備した想定です。",
                "funding_kinds": ["corporate_furusato", "national_program"], "cost": 18_000_000,
                "operator": "市 危機管理課（デモ）", "lessons": "配信先ごとの文字数の違いを最初に整理しておくと運用が楽になる。",
                "outcomes": [{"indicator": "避難情報の登録者数", "unit": "人", "before": 1200, "after": 5400, "offset": -1}]}),
    ("204072", {"title": "（デモ）星空観光のデジタル案内をクラウドファンディングで", "sectors": ["tourism"],
                "summary": "デモ用の事例です。観光客向けの多言語デジタル案内と混雑表示を、クラウドファンディングで集めた資金で導入した想定です。",
                "funding_kinds": ["crowdfunding"], "cost": 4_500_000, "operator": "村 観光協会（デモ）",
                "outcomes": [{"indicator": "案内アプリの利用者数", "unit": "人", "before": 0, "after": 8300, "offset": -1}]}),
    ("202011", {"title": "（デモ）公用車のカーシェアリングによる地域の移動支援", "sectors": ["public_private"],
                "summary": "デモ用の事例です。休日の公用車を住民のカーシェアリングに開放し、予約と鍵の受け渡しをIoTで行う想定です。",
                "funding_kinds": ["own_budget", "private"], "sharing_economy": True, "cost": 2_000_000,
                "operator": "市 交通政策課・民間事業者（デモ）",
                "outcomes": [{"indicator": "月間の利用回数", "unit": "回", "before": 0, "after": 140, "offset": 0}]}),
    ("202151", {"title": "（デモ）見守りセンサーによる高齢者の在宅支援", "sectors": ["health"],
                "summary": "デモ用の事例です。独居高齢者の住宅に見守りセンサーを設置し、異常時に家族と地域包括支援センターへ通知する想定です。",
                "funding_kinds": ["national_program"], "cost": 9_800_000, "operator": "市 福祉課（デモ）",
                "outcomes": [{"indicator": "見守り対象世帯", "unit": "世帯", "before": 30, "after": 210, "offset": 0}]}),
]


def load(*, stdout=None, actor=access.SYSTEM) -> str:
    if Case.objects.filter(is_demo=True).exists():
        return "事例デモデータ: 作成済みのため変更しませんでした"
    codes = {code for code, _ in DEMO_CASES}
    if Municipality.objects.filter(code__in=codes).count() != len(codes):
        return "事例デモデータ: 長野県の団体が未登録のため作成しませんでした（先に load_reference を実行してください）"
    year = current_fiscal_year()
    with transaction.atomic():
        for code, spec in DEMO_CASES:
            outcomes = [{**{k: v for k, v in o.items() if k != "offset"}, "fiscal_year": year + o["offset"]}
                        for o in spec["outcomes"]]
            actions.save_case(actor, None, {**spec, "municipality": code, "outcomes": outcomes,
                                            "contact_organisation": "デモ用の連絡先", "status": "published"},
                              version=0, source=history.DEMO, is_demo=True)
    return f"事例デモデータ: {len(DEMO_CASES)}件を作成（すべて「デモ」と表示）"
