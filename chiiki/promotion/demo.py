"""Demo promotion data (load_demo) for the demo prefecture (長野県), marked デモ: commitments, model regions,
organisations, a council, challenges with proposals and events.

Written through the actions (history source "demo"); idempotent: rows that exist are left alone.
"""

import datetime as dt

from django.utils import timezone

from chiiki import access
from chiiki.accounts.models import User
from chiiki.core import history
from chiiki.regions.models import Municipality

from . import actions
from .models import (
    Challenge,
    Commitment,
    Council,
    Event,
    ModelRegion,
    Organisation,
    OrganisationMember,
    PlanParticipation,
)

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
    network = _network(actor, places)
    return (f"推進体制デモデータ: 首長のコミットメント {commitments}件、見本となる地域 {regions}件、{network}を作成しました")


# name, kind, sectors (demo organisations have no 法人番号: they are not real companies)
ORGANISATIONS = [
    ("株式会社チイキIoT（デモ）", "startup", ["health", "education"]),
    ("信州IoT推進機構（デモ）", "industry", ["agriculture", "tourism"]),
    ("信州の大学（デモ）", "academia", ["education"]),
    ("八十二の銀行（デモ）", "finance", ["business"]),
]
DEMO_COMPANY_USER = "demo-company"


def _organisations(actor) -> dict[str, Organisation]:
    result = {}
    for name, kind, sectors in ORGANISATIONS:
        found = Organisation.objects.filter(name=name).first()
        if found is None:
            found = actions.save_organisation(actor, None, {"name": name, "kind": kind, "prefecture": "20",
                                                            "sectors": sectors}, is_demo=True, source=history.DEMO)
        result[kind] = found
    company = User.objects.filter(username=DEMO_COMPANY_USER).first()
    if company is not None and not OrganisationMember.objects.filter(user=company).exists():
        actions.add_organisation_member(actor, result["startup"], company, source=history.DEMO)
    return result


def _network(actor, places) -> str:
    if "202151" not in places:
        return "組織・協議会・課題・イベント 0件"
    orgs = _organisations(actor)
    councils = challenges = events = 0
    council = Council.objects.filter(name="塩尻市地域IoT推進協議会（デモ）").first()
    if council is None:
        council = actions.save_council(actor, None, {"name": "塩尻市地域IoT推進協議会（デモ）", "municipality": "202151",
                                                     "description": "（デモ）市・大学・業界団体・金融機関による協議会"},
                                       is_demo=True, source=history.DEMO)
        for kind, role in (("academia", "chair"), ("industry", "secretariat"), ("finance", "member"),
                           ("startup", "member")):
            actions.add_council_member(actor, council, orgs[kind], role, source=history.DEMO)
        councils += 1
    today = timezone.localdate()
    specs = [
        ("202151", {"sector": "health", "title": "独居高齢者の見守り（デモ）", "problem": "（デモ）山間の集落で安否確認の人手が足りない",
                    "requirements": "（デモ）電源の乏しい場所でも動くセンサーと通知", "budget_min": 500_000,
                    "budget_max": 3_000_000, "deadline": today + dt.timedelta(days=45), "small_orders": True,
                    "no_track_record": True, "pilot_first": True}),
        ("204072", {"sector": "tourism", "title": "星空観光の混雑予測（デモ）", "problem": "（デモ）駐車場の混雑",
                    "requirements": "（デモ）来訪者数の予測と案内", "budget_max": 2_000_000,
                    "deadline": today + dt.timedelta(days=60), "pilot_first": True}),
        ("202151", {"sector": "public_private", "title": "公共施設の予約と鍵の受け渡し（デモ）",
                    "problem": "（デモ）公民館の予約が電話と窓口だけで、鍵の受け渡しに職員が休日も出ている",
                    "requirements": "（デモ）オンライン予約とスマートロックの連携、現金以外の支払い",
                    "budget_max": 1_500_000, "deadline": today, "small_orders": True}),
    ]
    # The demo company's proposals (written by their organisation's users); the second is selected at once, so
    # the published outcome (課題の結果, マイページ's outcomes) can be seen with the demo logins.
    proposals = {
        "独居高齢者の見守り（デモ）": ({"summary": "（デモ）省電力センサーとLPWAによる見守り",
                                   "approach": "（デモ）3か月の実証から", "cost": 1_800_000,
                                   "team": "（デモ）技術者2名・保健師1名"}, None),
        "公共施設の予約と鍵の受け渡し（デモ）": ({"summary": "（デモ）予約サイトとスマートロックの連携",
                                         "approach": "（デモ）2施設で始めて全館へ", "cost": 1_200_000,
                                         "team": "（デモ）技術者1名・窓口担当1名"}, 1_150_000),
    }
    company = User.objects.filter(username=DEMO_COMPANY_USER).first()
    for code, data in specs:
        place = places.get(code)
        if place is None or Challenge.objects.filter(title=data["title"]).exists():
            continue
        challenge = actions.save_challenge(actor, place, None, data, is_demo=True, source=history.DEMO)
        challenges += 1
        if company is None or data["title"] not in proposals:
            continue
        answer, outcome_amount = proposals[data["title"]]
        proposal = actions.submit_proposal(company, challenge, answer, is_demo=True, source=history.DEMO)
        if outcome_amount is not None:
            actions.select_proposal(actor, proposal, amount=outcome_amount, version=challenge.version,
                                    source=history.DEMO)
    for title, fmt, days, extra in (
        ("地域IoT実装 オンライン説明会（デモ）", "online", 14, {"online_url": "https://example.jp/demo/meet"}),
        ("スマート農業 現地見学会（デモ）", "onsite", 30, {"venue": "塩尻市内の農場（デモ）", "capacity": 20}),
        ("観光DX ハイブリッド勉強会（デモ）", "hybrid", 21, {"venue": "阿智村の会場（デモ）",
                                                     "online_url": "https://example.jp/demo/hybrid", "capacity": 40}),
    ):
        if Event.objects.filter(title=title).exists():
            continue
        day = today + dt.timedelta(days=days)
        actions.save_event(actor, None, {"title": title, "organiser": f"organisation:{orgs['industry'].pk}",
                                         "format": fmt, "starts_at": f"{day.isoformat()}T14:00",
                                         "ends_at": f"{day.isoformat()}T16:00", "sectors": ["agriculture", "tourism"],
                                         **extra}, is_demo=True, source=history.DEMO)
        events += 1
    roles = _plan_roles(actor, orgs)
    return f"協議会 {councils}件・課題 {challenges}件・イベント {events}件・計画での役割 {roles}件"


# The demo plan of 塩尻市 (chiiki.funding.demo) and who carries it: organisation kind, role, what it does.
DEMO_PLAN_TITLE = "【デモ】塩尻市 ぶどう畑のスマート農業"
PLAN_ROLES = [("industry", "operator", "（デモ）運用・保守の窓口"), ("academia", "partner", "（デモ）効果の検証"),
              ("finance", "funder", "（デモ）地域の事業者への融資")]


def _plan_roles(actor, orgs) -> int:
    from chiiki.funding.models import ImplementationPlan

    plan = ImplementationPlan.objects.filter(title=DEMO_PLAN_TITLE, municipality_id="202151").first()
    if plan is None:  # the funding demo has not been loaded
        return 0
    made = 0
    for kind, role, note in PLAN_ROLES:
        if PlanParticipation.objects.filter(plan=plan, organisation=orgs[kind], role=role).exists():
            continue
        actions.add_plan_participation(actor, plan, orgs[kind], {"role": role, "note": note}, is_demo=True,
                                       source=history.DEMO)
        made += 1
    return made
