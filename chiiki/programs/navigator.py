"""支援メニューナビ: every program relevant to a municipality × sector with its fit, and a 3-year package.

Reads the same catalog snapshot as the search (chiiki.programs.search); the page and the API call navigator().
Eligibility rules and the package's reasoning: docs/decisions/0006-programs-eligibility-and-windows.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone

from chiiki.core.fiscal import fiscal_year_label, fiscal_year_of

from .eligibility import CHECK, ELIGIBLE, FIT_ORDER, Fit
from .models import NATIONAL_SOURCE_KIND, PackageRole, SupportProgram
from .search import fits, snapshot, statuses, successor_of
from .windows import ENDED, STATUS_LABELS, STATUS_ORDER, Status


@dataclass
class NavigatorItem:
    program: SupportProgram
    fit: Fit
    status: Status
    sector_specific: bool
    successor: SupportProgram | None = None  # for an ended program: where to go instead


@dataclass
class PackageStep:
    year: int
    fiscal_year: int
    role: str
    title: str
    programs: list[SupportProgram]
    why: str


ROLE_TITLES = {role.value: str(role.label) for role in PackageRole}
KIND_PREFERENCE = {
    "people_knowhow": ["advisor", "consulting", "special_tax", "tax", "matching"],
    "implementation": ["subsidy", "grant", "fund"],
    "operation": ["tax", "crowdfunding", "grant", "special_tax"],
}
STEP_SIZE = 3


def navigator(municipality, sector: str, *, stage: str = "", support_type: str = "",
              today: dt.date | None = None) -> tuple[list[NavigatorItem], list[PackageStep]]:
    """Every program relevant to the sector (and stage/support type) with its fit, and the 3-year package."""
    today = today or timezone.localdate()
    snap = snapshot()
    if sector not in snap.sector_names:
        raise Http404(f"分野 {sector} は登録されていません")
    status_by_pk = statuses(snap, today)
    fit_by_pk = fits(snap, municipality)

    in_sector = [p for p in snap.programs if p.all_sectors or sector in p.sectors]
    items = [
        NavigatorItem(p, fit_by_pk[p.pk], status_by_pk[p.pk], not p.all_sectors, successor_of(snap, p))
        for p in in_sector
        if (not stage or not p.stages or stage in p.stages) and (not support_type or p.support_type == support_type)
    ]
    # Ended programs last: they are history (and the successor), whatever the municipality's fit.
    items.sort(key=lambda i: (i.status.code == ENDED, FIT_ORDER[i.fit.fit], not i.sector_specific,
                              STATUS_ORDER[i.status.code], i.program.public_id))

    # The package uses every eligible program of the sector (a package spans all stages and support types).
    eligible = [p for p in in_sector if fit_by_pk[p.pk].fit == ELIGIBLE]
    checks = [p for p in in_sector if fit_by_pk[p.pk].fit == CHECK]
    first_year = fiscal_year_of(today)
    used: set[int] = set()
    steps = []
    for year, role in enumerate(["people_knowhow", "implementation", "operation"], start=1):
        preference = KIND_PREFERENCE[role]

        def rank(p, preference=preference):
            kind_rank = preference.index(p.kind) if p.kind in preference else len(preference)
            return (p.all_sectors, kind_rank, STATUS_ORDER[status_by_pk[p.pk].code], p.public_id)

        fiscal_year = first_year + year - 1
        # A program whose applications ended before the step's 年度 is listed (marked 募集終了) but never recommended.
        candidates = [p for p in eligible if role in p.package_roles and p.pk not in used
                      and not _ended_before(p, fiscal_year)]
        temporary = []
        if role == "operation":
            # 自走 means money that stays: a time-limited national program here is what the plan risk check flags
            # (「一時的な国の財源に依存」), so it is named as a caution, never recommended.
            temporary = sorted((p for p in candidates if p.funding_source_kind == NATIONAL_SOURCE_KIND), key=rank)
            candidates = [p for p in candidates if p.funding_source_kind != NATIONAL_SOURCE_KIND]
        chosen = sorted(candidates, key=rank)[:STEP_SIZE]
        used.update(p.pk for p in chosen)
        label = fiscal_year_label(fiscal_year) + ("以降" if year == 3 else "")
        pending = [p for p in checks if role in p.package_roles and not _ended_before(p, fiscal_year)]
        steps.append(PackageStep(year, fiscal_year, role, ROLE_TITLES[role], chosen,
                                 _why(year, role, label, chosen, pending, municipality, temporary)))
    return items, steps


def item_counts(items, *, municipality, sector: str, stage: str = "", support_type: str = "") -> list[dict]:
    """The list's figures: each fit among the programs still taking part (not 募集終了), then the ended ones, each
    with the program search that lists exactly those rows (None where the search cannot: it has no 段階 filter)."""
    from urllib.parse import urlencode

    from django.urls import reverse

    from .eligibility import FIT_LABELS

    def url(**narrowing):
        if stage:
            return None
        params = [("eligible_for", municipality.code), ("sector", sector)] + (
            [("support_type", support_type)] if support_type else []) + list(narrowing.items())
        return reverse("programs:index") + "?" + urlencode(params)

    live = [i for i in items if i.status.code != ENDED]
    rows = [{"key": fit, "label": label, "count": sum(1 for i in live if i.fit.fit == fit), "url": url(fit=fit)}
            for fit, label in FIT_LABELS.items()]
    every_fit = ",".join(FIT_LABELS)
    rows.append({"key": ENDED, "label": STATUS_LABELS[ENDED], "count": len(items) - len(live),
                 "url": url(fit=every_fit, status=ENDED)})
    return rows


def _ended_before(program, fiscal_year: int) -> bool:
    return program.ended_fiscal_year is not None and program.ended_fiscal_year < fiscal_year


def _names(programs) -> str:
    return "、".join(f"「{p.name}」" for p in programs)


def _temporary_caution(temporary) -> str:
    from chiiki.funding.flags import LABELS, ONE_TIME_HEAVY, ONE_TIME_SHARE  # funding builds on this app

    if not temporary:
        return ""
    return (f"なお、{_names(temporary[:3])}も運用経費に使えますが、期間の限られた国の財源のため自走の財源には数えていません"
            f"（最終年度の財源の{round(ONE_TIME_SHARE * 100)}%以上を国の支援メニューに頼る計画は、"
            f"計画のリスク確認で「{LABELS[ONE_TIME_HEAVY]}」と示されます）。")


def _why(year: int, role: str, label: str, chosen, pending, municipality, temporary=()) -> str:
    if not chosen:
        text = f"{year}年目（{label}）: {municipality.name}が利用可能な{ROLE_TITLES[role]}の支援メニューは見つかりませんでした。"
        if pending:
            text += f"要確認の{_names(pending[:3])}は、条件を確認できれば候補になります。"
        return text + _temporary_caution(temporary)
    if role == "people_knowhow":
        body = (f"まず人材とノウハウを確保します。{_names(chosen)}で外部の専門家や人材の支援を受け、"
                "地域の課題整理・実装計画・推進体制を固めます（2年目の補助申請の準備になります）。")
    elif role == "implementation":
        details = []
        for p in chosen:
            facts = [f"補助率{p.subsidy_rate}" if p.subsidy_rate else "", f"上限{p.cap_yen // 10000:,}万円" if p.cap_yen else ""]
            facts = [f for f in facts if f]
            details.append(f"「{p.name}」" + (f"（{'・'.join(facts)}）" if facts else ""))
        body = (f"1年目の計画をもとに、{'、'.join(details)}で実装の初期投資を賄います。"
                "公募時期と事業費の要件を確認し、前年度のうちに申請準備を進めます。")
    else:
        body = (f"補助が終わった後も続けられるよう、{_names(chosen)}で運用・更新の財源を確保し、"
                "自走できる体制に移行します。" + _temporary_caution(temporary))
    return f"{year}年目（{label}）: {body}"
