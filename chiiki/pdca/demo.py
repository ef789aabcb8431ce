"""PDCA demo data (load_demo): a 長野県 KPI, national and 長野県 reviews with actions (one of them overdue), and
proposals to review institutions — all marked デモ. Idempotent: nothing is added once demo reviews exist."""

from django.db import transaction

from chiiki import access
from chiiki.accounts.models import User
from chiiki.core import history
from chiiki.core.fiscal import current_fiscal_year, fiscal_year_bounds
from chiiki.regions.models import Prefecture

from . import actions
from .models import KPI, ActionStatus, ProposalStatus, Review

DEMO_PREFECTURE = "20"  # 長野県, as the demo users (chiiki.accounts.demo)
PREFECTURE_KPI = "DEMO-NAGANO-DISASTER"
FUNDING_KPI = "DEMO-CF-RAISED"


def load(*, stdout=None, actor=access.SYSTEM) -> str:
    if Review.objects.filter(is_demo=True).exists():
        return "PDCAデモデータ: 作成済みのため変更しませんでした"
    if not KPI.objects.exists() or not Prefecture.objects.filter(pk=DEMO_PREFECTURE).exists():
        return "PDCAデモデータ: KPIまたは長野県が未登録のため作成しませんでした（先に load_reference を実行してください）"
    year = current_fiscal_year()
    last_year_end = fiscal_year_bounds(year - 1)[1]
    this_year_end = fiscal_year_bounds(year)[1]
    with transaction.atomic():
        for code, data in (
            (PREFECTURE_KPI, {"name": "長野県内で防災分野を実装済の団体数（デモ）", "unit": "団体", "target_value": "60",
                              "target_fiscal_year": year + 2, "measure": "progress_implemented_sectors",
                              "sectors": ["disaster"], "prefecture": DEMO_PREFECTURE, "source": "デモデータ",
                              "order": 10}),
            (FUNDING_KPI, {"name": "クラウドファンディングによる調達額（デモ）", "unit": "円",
                           "target_value": "100000000", "target_fiscal_year": year + 1,
                           "measure": "funding_crowdfunding_raised", "prefecture": None, "source": "デモデータ",
                           "order": 20}),
        ):
            if not KPI.objects.filter(pk=code).exists():
                actions.save_kpi(actor, None, {"code": code, **data}, version=0, source=history.DEMO)
        national_before = actions.open_review(
            actor, fiscal_year=year - 1, title=f"{year - 1}年度 全国KPIレビュー（デモ）", source=history.DEMO,
            summary="1分野以上で実装済の団体は増えているが、医療・介護・健康分野の伸びが小さい。", is_demo=True)
        kpi = national_before.entries.first().kpi_id if national_before.entries.exists() else None
        actions.add_action(actor, national_before, {
            "title": "医療・介護・健康分野の先行事例を都道府県の担当者会議で紹介する", "owner_organisation": "総務省 地域通信振興課（デモ）",
            "due_date": last_year_end, "kpi": kpi, "status": ActionStatus.DONE,
            "result": "全国6ブロックで紹介。参加団体のうち12団体が検討を開始。"}, source=history.DEMO)
        actions.add_action(actor, national_before, {
            "title": "地域情報化アドバイザーの派遣を町村に重点配分する", "owner_organisation": "総務省 地域通信振興課（デモ）",
            "due_date": last_year_end, "kpi": kpi, "status": ActionStatus.IN_PROGRESS}, source=history.DEMO)
        national = actions.open_review(actor, fiscal_year=year, title=f"{year}年度 全国KPIレビュー（デモ）",
                                       source=history.DEMO, is_demo=True)
        actions.add_action(actor, national, {
            "title": "実装済の団体が少ない県と個別に意見交換する", "owner_organisation": "総務省 地域通信振興課（デモ）",
            "due_date": this_year_end, "status": ActionStatus.NOT_STARTED}, source=history.DEMO)
        nagano = actions.open_review(actor, fiscal_year=year, prefecture=DEMO_PREFECTURE, source=history.DEMO,
                                     title=f"{year}年度 長野県KPIレビュー（デモ）", is_demo=True)
        actions.add_action(actor, nagano, {
            "title": "防災情報の一斉配信を導入していない町村に共同調達を呼びかける", "owner_organisation": "長野県 企画振興部（デモ）",
            "due_date": this_year_end, "kpi": PREFECTURE_KPI, "status": ActionStatus.IN_PROGRESS}, source=history.DEMO)
        proposer = User.objects.filter(username="demo-shiojiri").first() or actor
        first = actions.submit_proposal(proposer, {
            "title": "実証事業の成果物を翌年度の補助事業でそのまま使えるようにしてほしい（デモ）",
            "problem": "実証で整備した機器やシステムを、翌年度の補助事業では新規整備として扱えず、実装に移る際に二重の調達が必要になる。",
            "rule_concerned": "補助金の交付要綱（対象経費の範囲）", "evidence_links": ["/progress/"]},
            source=history.DEMO, is_demo=True)
        actions.set_proposal_status(actor, first, status=ProposalStatus.UNDER_REVIEW, version=first.version,
                                    source=history.DEMO)
        second = actions.submit_proposal(proposer, {
            "title": "申請書類の様式を支援メニュー間で共通にしてほしい（デモ）",
            "problem": "似た内容の計画を支援メニューごとに別の様式で作る必要があり、小規模な団体の負担が大きい。",
            "rule_concerned": "各支援メニューの申請様式", "evidence_links": ["/programs/"]},
            source=history.DEMO, is_demo=True)
        actions.set_proposal_status(actor, second, status=ProposalStatus.DECLINED, version=second.version,
                                    reason="様式は各制度の根拠法令で定められているため、今年度は見送り。記載例の共通化で対応する。",
                                    source=history.DEMO)
        history.bump(actions.AREA)
    return "PDCAデモデータ: 長野県のKPI・年次レビュー3件（対応4件）・制度の見直しの提案2件を作成"
