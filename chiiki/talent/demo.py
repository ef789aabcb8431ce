"""Demo talent data (load_demo): a deterministic pool of about 200 fictional talents and requests in every state
for the demo municipalities (長野県: 長野市, 塩尻市, 阿智村), written through the actions with source=demo.

Names are generated as 「デモ人材 001」…; nobody real. The demo advisor and company accounts get a profile of their
own, and the demo advisor is asked for requests in the states where a talent acts. Idempotent: when the demo pool
exists (the demo advisor's profile is there) nothing is written.
"""

import datetime as dt
import random

from django.db import transaction

from chiiki import access
from chiiki.accounts.models import User
from chiiki.core import history
from chiiki.core.fiscal import current_fiscal_year
from chiiki.regions.models import Municipality, Prefecture
from chiiki.roadmap.models import Sector

from . import actions, rules
from .models import ApplicationRound, Capability, Kind, Status, TalentProfile

POOL = 200
SEED = "chiiki-talent-demo"
DEMO_MUNICIPALITIES = ["202011", "202151", "204072"]
HOME_WEIGHTS = {"20": 6, "13": 8, "15": 2, "19": 2, "21": 2, "10": 1, "14": 3, "23": 2, "27": 2}  # 長野と近県・大都市
KIND_WEIGHTS = {Kind.REGIONAL_IT_ADVISOR: 5, Kind.REGIONAL_POWER_ADVISOR: 2, Kind.ICT_TALENT: 3,
                Kind.PROGRAMMING_INSTRUCTOR: 2, Kind.CARE_ICT: 2, Kind.ENTREPRENEUR: 1, Kind.COMPANY_STAFF: 2}
KIND_SECTOR = {Kind.PROGRAMMING_INSTRUCTOR: "education", Kind.CARE_ICT: "health"}

# (municipality, sector, title, vision, required, desired, final state)
REQUESTS = [
    ("202011", "health", "見守りセンサーを導入できる人", "一人暮らしの高齢者が住み慣れた家で安心して暮らせる市にする",
     ["CAP-HLT-07"], ["CAP-COM-03"], Status.COMPLETED),
    ("202011", "disaster", "住民への災害情報の伝え方を多重化できる人", "災害時に全ての住民へ確実に情報が届く",
     ["CAP-DIS-03"], ["CAP-DIS-06"], Status.RATED),
    ("202011", "public_private", "オープンデータを公開し使ってもらえる人", "市のデータを市民と企業が使いこなす",
     ["CAP-PPP-01"], ["CAP-PPP-09"], Status.REPORTED),
    ("202151", "education", "小学校のプログラミング授業を計画できる人", "全小学校でプログラミングの授業が自走する",
     ["CAP-EDU-01"], ["CAP-EDU-03"], Status.DISPATCHING),
    ("202151", "work", "サテライトオフィスを誘致できる人", "空き店舗に都市の企業が集まり若者が戻る",
     ["CAP-WRK-03"], ["CAP-WRK-04"], Status.ACCEPTED),
    ("202151", "public_private", "AIチャットボットを窓口に入れられる人", "夜間・休日でも住民の疑問に答えられる",
     ["CAP-PPP-04"], ["CAP-COM-04"], Status.ASKED),
    ("204072", "tourism", "星空観光の情報を一元化できる人", "星空の村として海外からも選ばれる",
     ["CAP-TOU-01"], ["CAP-TOU-04"], Status.PROPOSED),
    ("204072", "agriculture", "ICTで鳥獣被害を減らせる人", "獣害で耕作をやめる農家をなくす",
     ["CAP-AGR-07"], [], Status.RECEIVED),
    ("204072", "health", "オンライン診療を始められる人", "通院の難しい高齢者も診療を受けられる",
     ["CAP-HLT-10"], ["CAP-HLT-12"], Status.SUBMITTED),
    ("204072", "business", "地域のキャッシュレス決済を広げられる人", "観光客が村内のどの店でも支払える",
     ["CAP-BIZ-04"], ["CAP-BIZ-02"], Status.DRAFT),
    ("202151", "agriculture", "ほ場の水管理を自動化できる人", "高齢の農家が水見回りから解放される",
     ["CAP-AGR-02"], [], Status.DECLINED),
    ("202011", "tourism", "多言語の観光案内を入れられる人", "外国人観光客が一人で歩ける",
     ["CAP-TOU-04"], [], Status.WITHDRAWN),
    ("204072", "public_private", "スマートシティの都市OSを設計できる人", "村の全データが一つの基盤でつながる",
     ["CAP-PPP-06"], [], Status.REJECTED),
]
# The order of moves from 下書き to each state.
PATH = [Status.SUBMITTED, Status.RECEIVED, Status.PROPOSED, Status.ASKED, Status.ACCEPTED, Status.DISPATCHING,
        Status.REPORTED, Status.RATED, Status.COMPLETED]
MOVE = {Status.SUBMITTED: "submit", Status.RECEIVED: "receive", Status.PROPOSED: "propose", Status.ASKED: "ask",
        Status.ACCEPTED: "accept", Status.REPORTED: "report", Status.RATED: "rate", Status.COMPLETED: "complete"}


def _weighted(rng, weights):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _profile_data(rng, number, capabilities, prefectures):
    kind = _weighted(rng, KIND_WEIGHTS)
    sector = KIND_SECTOR.get(kind) or rng.choice([c.sector for c in capabilities if c.sector != "common"])
    own = [c for c in capabilities if c.sector == sector]
    common = [c for c in capabilities if c.sector == "common"]
    picked = rng.sample(own, min(len(own), rng.randint(1, 4))) + rng.sample(common, rng.randint(0, 2))
    home = _weighted(rng, HOME_WEIGHTS)
    served = sorted({home, *rng.sample(prefectures, rng.randint(0, 3))})
    uturn = [rng.choice(["20", "32", "15"])] if kind == Kind.ICT_TALENT and rng.random() < 0.6 else []
    return {"display_name": f"デモ人材 {number:03d}", "kind": kind, "sectors": [sector], "home_prefecture": home,
            "prefectures_served": served, "online_available": rng.random() < 0.7, "uturn_prefectures": uturn,
            "uturn_intention": bool(uturn), "available_days": str(rng.choice([3, 6, 9, 12, 15])),
            "available_hours": str(rng.choice([0, 10, 20, 30])),
            "public_profile": f"（デモ）{Kind(kind).label}として{Sector.objects.get(pk=sector).name}分野の支援に取り組んでいます。",
            "email": f"demo-talent-{number:03d}@example.invalid", "phone": "",
            "skills": [{"capability": c.pk, "level": rng.randint(1, 3), "evidence": "（デモ）"} for c in picked]}


def load(*, stdout=None, actor=access.SYSTEM) -> str:
    places = {m.code: m for m in Municipality.objects.filter(code__in=DEMO_MUNICIPALITIES)}
    capabilities = list(Capability.objects.all())
    if len(places) < len(DEMO_MUNICIPALITIES) or not capabilities:
        return "人材デモデータ: 団体またはできることが未登録のため作成しませんでした（先に load_reference を実行してください）"
    advisor = User.objects.filter(username="demo-advisor").first()
    company = User.objects.filter(username="demo-company").first()
    if advisor is not None and TalentProfile.objects.filter(user=advisor).exists():
        return "人材デモデータ: 作成済みのため変更しませんでした"
    rng = random.Random(SEED)
    prefectures = list(Prefecture.objects.order_by("code").values_list("code", flat=True))
    year = current_fiscal_year()
    with transaction.atomic():
        for number, month in enumerate(range(4, 13), start=1):
            if not ApplicationRound.objects.filter(fiscal_year=year, number=number).exists():
                actions.save_round(actor, year, number, dt.date(year, month, 20), version=0, source=history.DEMO)
        pool = [actions.create_profile(actor, _profile_data(rng, n, capabilities, prefectures), is_demo=True,
                                       source=history.DEMO) for n in range(1, POOL + 1)]
        own = _own_profiles(actor, advisor, company)
        made = [_request(actor, rng, places, spec, own.get("advisor"), pool, year) for spec in REQUESTS]
    return f"人材デモデータ: 人材{len(pool) + len(own)}人・派遣依頼{len(made)}件・募集回（{year}年度）を作成しました"


def _own_profiles(actor, advisor, company) -> dict:
    own = {}
    if advisor is not None:
        own["advisor"] = actions.create_profile(actor, {
            "display_name": "助言 一郎（デモ）", "kind": Kind.REGIONAL_IT_ADVISOR, "sectors": ["health", "education",
                                                                                     "public_private"],
            "home_prefecture": "20", "prefectures_served": ["20", "15"], "online_available": True,
            "available_days": "12", "available_hours": "20", "email": "demo-advisor@example.invalid",
            "public_profile": "（デモ）自治体の見守り・教育ICT・オープンデータを支援しています。",
            "skills": [{"capability": c, "level": 3} for c in (
                "CAP-HLT-07", "CAP-DIS-03", "CAP-PPP-01", "CAP-EDU-01", "CAP-WRK-03", "CAP-PPP-04", "CAP-AGR-02",
                "CAP-COM-03")]}, user=advisor, is_demo=True, source=history.DEMO)
    if company is not None:
        own["company"] = actions.create_profile(actor, {
            "display_name": "株式会社チイキIoT 派遣チーム（デモ）", "kind": Kind.COMPANY_STAFF, "sectors": ["business"],
            "home_prefecture": "13", "online_available": True, "available_days": "6",
            "email": "demo-company@example.invalid",
            "skills": [{"capability": "CAP-BIZ-04", "level": 3}, {"capability": "CAP-COM-12", "level": 2}]},
            user=company, is_demo=True, source=history.DEMO)
    return own


def _request(actor, rng, places, spec, advisor_profile, pool, year):
    code, sector, title, vision, required, desired, final = spec
    r = actions.create_request(actor, places[code], {
        "title": title, "vision": vision, "sector": sector, "required": required, "desired": desired,
        "format": rng.choice(["onsite", "online", "mixed"])}, fiscal_year=year, is_demo=True, source=history.DEMO)
    start = dt.datetime(year, 4, 10, 10, 0, tzinfo=rules.JST)
    talent = advisor_profile or pool[0]
    steps = {Status.DECLINED: PATH[:PATH.index(Status.ASKED) + 1], Status.WITHDRAWN: PATH[:2],
             Status.REJECTED: PATH[:2]}.get(final) or (PATH[:PATH.index(final) + 1] if final in PATH else [])
    for state in steps:
        r.refresh_from_db()
        if state == Status.DISPATCHING:
            _visits(actor, r, year, rng)
            continue
        kwargs = {}
        if state == Status.ASKED:
            kwargs["talent"] = talent
        if state == Status.REPORTED:
            kwargs["report"] = {"done": "（デモ）現状の聞き取りと導入手順の研修を行いました。",
                                "handed_over_to": "（デモ）担当課の職員2名に設定と運用の手順書を引き継ぎました。",
                                "gained": required, "next_steps": "（デモ）来年度に全域へ広げます。"}
        if state == Status.RATED:
            kwargs.update(rating=rng.randint(3, 5), comment="（デモ）職員だけで運用できるようになりました。")
        actions.transition(actor, r, MOVE[state], version=r.version, now=start, source=history.DEMO, **kwargs)
    r.refresh_from_db()
    if final in (Status.DECLINED, Status.WITHDRAWN, Status.REJECTED):
        name = {Status.DECLINED: "decline", Status.WITHDRAWN: "withdraw", Status.REJECTED: "reject"}[final]
        actions.transition(actor, r, name, version=r.version, reason="（デモ）日程が合わないため", source=history.DEMO)
    return r


def _visits(actor, r, year, rng):
    """Two visits in the first weeks of the 年度 (or on its first days when it has only just begun: never after
    today, which add_visit refuses)."""
    first = dt.date(year, 4, 20)
    today = rules.today()
    days = [first, first + dt.timedelta(days=14)] if today >= first + dt.timedelta(days=14) else [
        dt.date(year, 4, 1), min(dt.date(year, 4, 2), today)]
    for day, mode in zip(days, ("onsite", "online"), strict=True):
        r.refresh_from_db()
        actions.add_visit(actor, r, date=day, hours=rng.choice(["2", "3", "4"]), mode=mode,
                          participants=rng.randint(3, 12), note="（デモ）", version=r.version, source=history.DEMO)
