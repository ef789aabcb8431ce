"""議会向け 1ページ報告 (issue 14 §4): one A4 page per municipality, rendered server-side with WeasyPrint.

What it says: the municipality's stage in every sector beside the share of implemented municipalities in its
prefecture and its peer group (same kind and population class), its overall score, the capabilities that are
not on the platform yet (plans and money, advisors, open data: 「この機能はまだありません」), and two similar
cases. Fonts: Noto Sans CJK through fontconfig; WeasyPrint embeds the subset it uses.

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

DEPENDS_ON = ("progress", "regions", "roadmap", "cases", "plans", "funding", "talent", "opendata")
CAPABILITIES = [("chiiki.plans", "今年度の実装計画と財源"), ("chiiki.talent", "受け入れた人材（アドバイザー等）"),
                ("chiiki.opendata", "標準スキーマに準拠したオープンデータ")]
# app → function(municipality, year) -> list of short Japanese lines for its row of the report. The capability
# apps register theirs with `provide(...)` (e.g. from their AppConfig.ready()); until then the row says
# 「この機能はまだありません」.
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
