"""議会向け 1ページ報告 (issue 14 §4): one A4 page per municipality, rendered server-side with WeasyPrint.

What it says: the municipality's stage in every sector beside the share of implemented municipalities in its
prefecture and its peer group (same kind and population class), its overall score, the capabilities that are
capability apps provide (plans and money from funding, advisors from talent, open data from opendata; an app
that is not installed says 「この機能はまだありません」), and two similar cases. Fonts: Noto Sans CJK through fontconfig; WeasyPrint embeds the subset it uses.

The PDF is cached on the data versions of everything it shows, so a repeated request costs a cache read and a
write anywhere makes the next one fresh; the response says no-cache so the anonymous page cache (keyed on the
progress versions only) never keeps a copy.
"""

import hashlib

from django.apps import apps
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone

from chiiki.core.cache import versions
from chiiki.core.fiscal import fiscal_year_label
from chiiki.progress import queries as progress_queries
from chiiki.progress.models import IMPLEMENTED_STAGES

from .measures import UNAVAILABLE

# The data-version areas the apps bump (their actions.AREA): plans and money are both "funding".
DEPENDS_ON = ("progress", "regions", "roadmap", "cases", "funding", "talent", "opendata")
CAPABILITIES = [("chiiki.funding", "今年度の実装計画と財源"), ("chiiki.talent", "受け入れた人材（アドバイザー等）"),
                ("chiiki.opendata", "標準スキーマに準拠したオープンデータ")]
# app → function(municipality, year) -> list of short Japanese lines for its row of the report, registered with
# `provide(...)` at the end of this module; an app that is not installed keeps 「この機能はまだありません」.
PROVIDERS: dict = {}


def provide(app: str, lines) -> None:
    if app not in dict(CAPABILITIES):
        raise KeyError(app)
    PROVIDERS[app] = lines


def _capability_rows(municipality, year) -> list[dict]:
    rows = []
    for app, label in CAPABILITIES:
        provider = PROVIDERS.get(app) if apps.is_installed(app) else None
        rows.append({"label": label, "lines": list(provider(municipality, year)) if provider else None})
    return rows


def _share(members, sector) -> float:
    if not members:
        return 0.0
    return round(sum(1 for e in members if e["stages"].get(sector) in IMPLEMENTED_STAGES) / len(members) * 100, 1)


def context(municipality, year: int) -> dict:
    table = progress_queries.scores(year)
    me = table[municipality.code]
    prefecture = [e for e in table.values() if e["prefecture"] == me["prefecture"]]
    peers = [e for e in table.values() if e["peer_group"] == me["peer_group"]]
    rows = [{"name": s["name"], "stage": progress_queries.STAGE_LABELS[me["stages"][s["code"]]],
             "implemented": me["stages"][s["code"]] in IMPLEMENTED_STAGES,
             "prefecture_share": _share(prefecture, s["code"]), "peer_share": _share(peers, s["code"])}
            for s in progress_queries.sectors()]
    similar = []
    if apps.is_installed("chiiki.cases"):
        from chiiki.cases.queries import similar_cases

        similar = similar_cases(municipality, sectors=None, limit=2)
    return {
        "place": municipality, "year": year, "year_label": fiscal_year_label(year), "rows": rows,
        "score": me["score"], "prefecture_score": round(sum(e["score"] for e in prefecture) / len(prefecture), 1),
        "peer_score": round(sum(e["score"] for e in peers) / len(peers), 1), "peer_count": len(peers),
        "prefecture_count": len(prefecture), "peer_label": progress_queries.peer_group_label(me["peer_group"]),
        "implemented_count": len(me["implemented"]), "similar": similar,
        "capabilities": _capability_rows(municipality, year),
        "unavailable": UNAVAILABLE, "formula": progress_queries.SCORE_FORMULA,
        "has_demo": progress_queries.has_demo_records(), "generated": timezone.localdate(),
    }


def render_pdf(municipality, year: int) -> bytes:
    from weasyprint import HTML  # imported on use: loading Pango costs ~0.3 s, only the report needs it

    html = render_to_string("pdca/report.html", context(municipality, year))
    return HTML(string=html, base_url=None).write_pdf()


def pdf(municipality, year: int) -> bytes:
    key = "pdca:report:" + hashlib.sha256(
        f"{municipality.code}:{year}:{versions(DEPENDS_ON)}:{timezone.localdate()}".encode()).hexdigest()[:32]
    body = cache.get(key)
    if body is None:
        body = render_pdf(municipality, year)
        cache.set(key, body, timeout=3600)
    return body


# ---- the capability rows: short lines from each app's own queries ---------------------------------------------

MAX_PLANS, TITLE_CHARS = 3, 40  # the page must stay one A4 page: three plans, short titles, count the rest


def _yen(amount: int) -> str:
    return f"{amount:,}円"


def _plan_lines(municipality, year) -> list[str]:
    from django.db.models import Q, Sum

    from chiiki.funding.models import FundingLine, FundingState, ImplementationPlan, PlanStatus

    plans = list(ImplementationPlan.objects.filter(
        Q(municipality=municipality) | Q(participants=municipality),
        status__in=[PlanStatus.PUBLISHED, PlanStatus.COMPLETED], years__fiscal_year=year)
        .distinct().order_by("start_year", "pk").prefetch_related("years"))
    if not plans:
        return []
    lines = []
    for plan in plans[:MAX_PLANS]:
        fys = sorted(y.fiscal_year for y in plan.years.all())
        title = plan.title if len(plan.title) <= TITLE_CHARS else plan.title[:TITLE_CHARS - 1] + "…"
        lines.append(f"「{title}」（{fys[0]}〜{fys[-1]}年度、{len(fys)}年度）")
    if len(plans) > MAX_PLANS:
        lines.append(f"ほか{len(plans) - MAX_PLANS}件")
    money = dict(FundingLine.objects.filter(plan_year__plan__in=plans, plan_year__fiscal_year=year,
                                            state__in=[FundingState.CONFIRMED, FundingState.RECEIVED])
                 .order_by().values_list("state").annotate(s=Sum("amount")))
    lines.append(f"今年度の財源 採択・確定 {_yen(money.get(FundingState.CONFIRMED, 0))}、"
                 f"受領 {_yen(money.get(FundingState.RECEIVED, 0))}")
    return lines


def _talent_lines(municipality, year) -> list[str]:
    """The 年度's dispatches from 承諾 on (the public record, talent.queries.dispatch_record), the completed ones
    counted apart: a dispatch still under way is an advisor received all the same."""
    from chiiki.talent.models import Status
    from chiiki.talent.queries import dispatch_record

    dispatches = list(dispatch_record(fiscal_year=year, municipality=municipality).order_by("pk"))
    if not dispatches:
        return []
    done = sum(1 for d in dispatches if d.status == Status.COMPLETED)
    names = "、".join(f"「{d.title}」" for d in dispatches[:2]) + ("ほか" if len(dispatches) > 2 else "")
    return [f"今年度の派遣 {len(dispatches)}件（うち完了 {done}件）: {names}"]


def _opendata_lines(municipality, year) -> list[str]:
    from chiiki.opendata.models import Dataset, Visibility
    from chiiki.opendata.queries import conforming_standard_datasets

    public = Dataset.objects.filter(municipality=municipality, visibility=Visibility.PUBLIC).count()
    if not public:
        return []
    conforming = conforming_standard_datasets().filter(municipality=municipality).count()
    return [f"公開データセット {public}件（うち標準に準拠 {conforming}件）"]


provide("chiiki.funding", _plan_lines)
provide("chiiki.talent", _talent_lines)
provide("chiiki.opendata", _opendata_lines)
