"""Demo data for the funding app (development only, `load_demo`): plans with and without risk flags and
crowdfunding campaigns for the demo municipalities of 長野県, all written through the actions and marked デモ.

Deterministic for a given day: plans start in the current 年度 and campaigns are dated around today, so the
flags, the 財源の崖 list and the campaign statuses show something on the day the demo is loaded.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from chiiki import access
from chiiki.core import history
from chiiki.core.fiscal import current_fiscal_year
from chiiki.programs.models import SupportProgram
from chiiki.regions.models import Municipality
from chiiki.roadmap.models import Sector

from . import actions
from .models import Campaign, ImplementationPlan, SourceKind

DEMO = history.DEMO
NAGANO, SHIOJIRI, ACHI = "202011", "202151", "204072"

# municipality, sector, title, status, operator (kind, name), years: (phase, cost, [(kind, program id, amount, state, label)])
PLANS = [
    (NAGANO, "education", "【デモ】長野市 学校と家庭をつなぐ学習データ連携", "published", ("direct", "長野市教育委員会"), [
        ("people_knowhow", 3_000_000, [(SourceKind.GENERAL, None, 3_000_000, "received", "一般財源")]),
        ("implementation", 30_000_000, [(SourceKind.NATIONAL_PROGRAM, "CAS-DIGIDEN-JISSO", 15_000_000, "confirmed", ""),
                                        (SourceKind.GENERAL, None, 15_000_000, "confirmed", "一般財源")]),
        ("operation", 16_000_000, [(SourceKind.GENERAL, None, 10_000_000, "confirmed", "一般財源（運用経費）"),
                                   (SourceKind.CORPORATE_DONATION, None, 3_000_000, "applied", "企業版ふるさと納税"),
                                   (SourceKind.CROWDFUNDING, None, 3_000_000, "planned", "クラウドファンディング")]),
    ]),
    (SHIOJIRI, "agriculture", "【デモ】塩尻市 ぶどう畑のスマート農業", "published", ("undecided", ""), [
        ("people_knowhow", 2_000_000, [(SourceKind.NATIONAL_PROGRAM, "MIC-ICT-ADVISOR", 0, "confirmed", ""),
                                       (SourceKind.GENERAL, None, 2_000_000, "confirmed", "一般財源")]),
        ("implementation", 20_000_000, [(SourceKind.NATIONAL_PROGRAM, "CAS-DIGIDEN-JISSO", 10_000_000, "confirmed", ""),
                                        (SourceKind.GENERAL, None, 10_000_000, "planned", "一般財源")]),
        ("operation", 6_000_000, [(SourceKind.GENERAL, None, 1_000_000, "planned", "一般財源")]),
    ]),
    (ACHI, "tourism", "【デモ】阿智村 星空観光の混雑案内（下書き）", "draft", ("npo", "NPO法人 星の村（デモ）"), [
        ("people_knowhow", 1_000_000, [(SourceKind.NATIONAL_PROGRAM, "MIC-KYORYOKUTAI", 1_000_000, "confirmed", "")]),
        ("implementation", 5_000_000, [(SourceKind.NATIONAL_PROGRAM, "CAO-SHINCHIHO", 4_500_000, "applied", ""),
                                       (SourceKind.GENERAL, None, 500_000, "planned", "一般財源")]),
    ]),
]
# Deterministic daily receipts of the 阿智村 campaign: (days before today, yen, donations)
ACHI_RECEIPTS = [(29, 120_000, 14), (27, 64_000, 9), (24, 210_000, 21), (20, 45_000, 6), (16, 330_000, 28),
                 (12, 90_000, 11), (9, 150_000, 17), (5, 72_000, 8), (2, 260_000, 25), (1, 38_000, 5)]


def load(*, stdout=None, actor=access.SYSTEM) -> str:
    places = Municipality.objects.select_related("prefecture").in_bulk([NAGANO, SHIOJIRI, ACHI])
    sectors = Sector.objects.in_bulk([p[1] for p in PLANS])  # education, agriculture, tourism
    if len(places) < 3 or len(sectors) < 3:
        return "資金循環デモデータ: 長野県のデモ団体または分野が未登録のため作成しませんでした（先に load_reference を実行してください）"
    if ImplementationPlan.objects.filter(is_demo=True).exists():
        return "資金循環デモデータ: 作成済みのため変更しませんでした"
    programs = {p.public_id: p for p in SupportProgram.objects.all()}
    start = current_fiscal_year()
    today = timezone.localdate()
    with transaction.atomic():
        made = {}
        for code, sector, title, status, (operator_kind, operator_name), years in PLANS:
            plan = actions.create_plan(
                actor, places[code], sector=sectors[sector], title=title, start_year=start,
                years=[{"fiscal_year": start + i, "phase": phase, "total_cost": cost}
                       for i, (phase, cost, _lines) in enumerate(years)],
                vision="デモデータです。実在の団体の計画ではありません。", operator_kind=operator_kind,
                operator_name=operator_name, is_demo=True, source=DEMO,
                kpis=[{"indicator": "サービスの利用者数", "baseline": "0人", "target": "5,000人",
                       "fiscal_year": start + len(years) - 1}])
            by_year = {y.fiscal_year: y for y in plan.years.all()}
            for i, (_phase, _cost, lines) in enumerate(years):
                for kind, program_id, amount, state, label in lines:
                    program = programs.get(program_id) if program_id else None
                    if program_id and program is None:
                        kind, label = SourceKind.OTHER, f"{program_id}（支援メニュー未登録）"
                    actions.add_line(actor, by_year[start + i], source_kind=kind, amount=amount, state=state,
                                     program=program, label=label, source=DEMO)
            if status != "draft":
                plan = actions.set_status(actor, plan, status, version=plan.version, source=DEMO)
            made[code] = plan
        achi = actions.create_campaign(
            actor, places[ACHI], title="【デモ】日本一の星空を守る 観光混雑の見える化", is_demo=True, source=DEMO,
            use_of_funds="駐車場と展望台の混雑センサー、混雑状況を知らせる案内サイトの整備", target_amount=3_000_000,
            start_date=today - dt.timedelta(days=30), end_date=today + dt.timedelta(days=30), model="all_in",
            gift_description="星空観賞ツアー招待券", gift_tier=30_000, gift_cost=9_000,
            donation_url="https://example.jp/achi/furusato-cf")
        for days, amount, count in ACHI_RECEIPTS:
            actions.record_receipt(actor, achi, received_on=today - dt.timedelta(days=days), amount=amount,
                                   count=count, external_id=f"DEMO-ACHI-{days:03d}", source=DEMO)
        actions.add_campaign_report(actor, achi, posted_on=today - dt.timedelta(days=3),
                                    text="展望台の駐車場にセンサーを2台試験設置しました（デモ）。", source=DEMO)
        actions.create_campaign(
            actor, places[NAGANO], plan=made[NAGANO], title="【デモ】学びのデータで子どもを支える", is_demo=True,
            source=DEMO, use_of_funds="家庭学習の端末とデータ連携の運用", target_amount=3_000_000,
            start_date=today + dt.timedelta(days=14), end_date=today + dt.timedelta(days=74),
            model="all_or_nothing", donation_url="https://example.jp/nagano/furusato-cf")
        pledges = _corporate(actor, places, sectors, start)
    return (f"資金循環デモデータ: 実装計画{len(made)}件（うち下書き1件）、クラウドファンディング"
            f"{Campaign.objects.filter(is_demo=True).count()}件、企業版ふるさと納税の申出{pledges}件を作成")


def _corporate(actor, places, sectors, start) -> int:
    """地域再生計画 of 長野市 and 阿智村 with a project each, their 不交付団体 status (交付団体, 三大都市圏外) for the
    plan years, and the demo company (head office 塩尻市) with one received and one offered pledge. Returns the
    number of pledges (0 when the demo company user does not exist)."""
    from chiiki.accounts.models import User

    from .models import NonGrantStatus

    for code in (NAGANO, ACHI):
        for year in range(start, start + 3):
            NonGrantStatus.objects.get_or_create(code=code, fiscal_year=year,
                                                 defaults={"non_grant": False, "metropolitan": False})
    projects = []
    for code, name, sector, target in ((NAGANO, "【デモ】子どもの学びを支えるデータ連携事業", "education", 30_000_000),
                                       (ACHI, "【デモ】星空と観光の混雑見える化事業", "tourism", 10_000_000)):
        plan = actions.create_revitalisation_plan(
            actor, places[code], name=f"【デモ】{places[code].name} まち・ひと・しごと創生推進計画",
            approved_on=dt.date(start, 6, 20), start_year=start, end_year=start + 2, is_demo=True, source=DEMO)
        projects.append(actions.add_revitalisation_project(
            actor, plan, name=name, sector=sectors[sector], target_amount=target,
            description="デモデータです。実在の計画ではありません。", source=DEMO))
    owner = User.objects.filter(username="demo-company").first()
    if owner is None:
        return 0
    company = actions.register_company(owner, name="株式会社チイキIoT（デモ）", corporate_number="7123456789012",
                                       head_office=places[SHIOJIRI], is_demo=True, source=DEMO)
    received, _ = actions.pledge(owner, company, projects[0], amount=5_000_000, fiscal_year=start,
                                 no_return_declared=True, is_demo=True, source=DEMO)
    actions.set_pledge_state(actor, received, "received", version=received.version, source=DEMO)
    actions.pledge(owner, company, projects[1], amount=1_000_000, fiscal_year=start, no_return_declared=True,
                   is_demo=True, source=DEMO)
    return 2
