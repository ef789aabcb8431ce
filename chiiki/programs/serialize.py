"""Programs as plain data: the API's search items and detail (program_item, program_detail), and the
eligibility rules in Japanese for the detail page (rules_text)."""

import functools
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from .eligibility import describe_rate_tiers
from .models import AREA_FLAGS, ENTITY_KINDS, Kind, SupportType
from .search import Hit, snapshot, statuses, successor_of
from .windows import parse_windows


def _absolute(request, path: str) -> str:
    if request is None:
        return settings.SITE_URL + path
    return request.build_absolute_uri(path)


@functools.lru_cache(maxsize=1)
def _detail_template() -> str:
    return reverse("programs:detail", args=["__ID__"])


def _detail_path(public_id: str) -> str:
    # One reverse() per process instead of one per item (public ids are URL-safe: A-Z, 0-9, -)
    return _detail_template().replace("__ID__", public_id)


def sector_codes(program, sector_names=None) -> list[str]:
    if program.all_sectors:
        if sector_names is None:
            sector_names = snapshot().sector_names
        return list(sector_names)
    return list(program.sectors)


def program_item(hit, request=None, sector_names=None) -> dict:
    p = hit.program
    item = {
        "id": p.public_id, "name": p.name, "provider": p.provider, "provider_type": p.provider_type,
        "kind": p.kind, "kind_label": Kind(p.kind).label, "support_type": p.support_type,
        "support_type_label": SupportType(p.support_type).label, "sectors": sector_codes(p, sector_names),
        "all_sectors": p.all_sectors, "summary": p.summary,
        "status": hit.status.code, "status_label": hit.status.label,
        "next_deadline": hit.status.next_deadline, "next_deadline_estimated": hit.status.deadline_estimated,
        "next_opening": hit.status.next_opening,
        "url": _absolute(request, _detail_path(p.public_id)),
        "score": round(hit.score, 4) if hit.score is not None else None,
        "fit": None,
        "ended_fiscal_year": p.ended_fiscal_year,
        "successor": None,
    }
    if hit.successor is not None:
        item["successor"] = {"id": hit.successor.public_id, "name": hit.successor.name,
                             "url": _absolute(request, _detail_path(hit.successor.public_id))}
    if hit.fit is not None:
        item["fit"] = {"fit": hit.fit.fit, "label": hit.fit.label, "reasons": hit.fit.reasons, "rate": hit.fit.rate,
                       "prerequisites": hit.fit.prerequisites}
    return item


def _dec(value):
    return float(value) if isinstance(value, Decimal) else value


def rules_of(program) -> dict:
    return {
        "entity_kinds": program.entity_kinds,
        "entity_check_kinds": program.entity_check_kinds,
        "population_min": program.population_min,
        "population_max": program.population_max,
        "fiscal_index_lt": _dec(program.fiscal_index_lt),
        "fiscal_index_le": _dec(program.fiscal_index_le),
        "area_conditions": program.area_conditions,
        "area_logic": program.area_logic,
        "excluded_prefectures": program.excluded_prefectures,
        "excluded_fiscal_index_ge": _dec(program.excluded_fiscal_index_ge),
        "excluded_area_label": program.excluded_area_label,
        "rate_tiers": program.rate_tiers,
    }


def rules_text(program) -> list[str]:
    """The eligibility rules in Japanese, for the detail page."""
    lines = []
    if program.entity_kinds:
        lines.append("対象団体: " + "・".join(ENTITY_KINDS.get(k, k) for k in program.entity_kinds))
    if program.entity_check_kinds:
        lines.append("要確認: " + "・".join(ENTITY_KINDS.get(k, k) for k in program.entity_check_kinds)
                     + f"（{program.entity_check_note}）")
    if program.population_min is not None:
        lines.append(f"人口{program.population_min:,}人以上")
    if program.population_max is not None:
        lines.append(f"人口{program.population_max:,}人以下")
    fiscal = ""
    if program.fiscal_index_lt is not None:
        fiscal = f"財政力指数{format(program.fiscal_index_lt.normalize(), 'f')}未満"
    elif program.fiscal_index_le is not None:
        fiscal = f"財政力指数{format(program.fiscal_index_le.normalize(), 'f')}以下"
    area = ""
    if program.area_conditions:
        area = "条件不利地域（" + "・".join(AREA_FLAGS[f] for f in program.area_conditions) + "など）"
    if fiscal and area:
        lines.append(f"{fiscal}{'又は' if program.area_logic == 'any' else 'かつ'}{area}")
    elif fiscal or area:
        lines.append(fiscal or area)
    if program.excluded_prefectures:
        label = program.excluded_area_label or "除外地域"
        bound = program.excluded_fiscal_index_ge
        lines.append(f"除外: {label}" + (f"（対象都道府県に所在し財政力指数{format(bound.normalize(), 'f')}以上を目安）"
                                          if bound is not None else ""))
    if program.rate_tiers:
        lines.append(f"補助率の区分: {describe_rate_tiers(program.rate_tiers)}")
    return lines


def program_detail(program, request=None) -> dict:
    snap = snapshot()
    status = statuses(snap, timezone.localdate()).get(program.pk)
    item = program_item(Hit(program, status, successor=successor_of(snap, program)), request)
    try:
        windows = parse_windows(program.windows)
    except ValueError:
        windows = []
    item.update({
        "subsidy_rate": program.subsidy_rate, "cap_yen": program.cap_yen, "min_project_yen": program.min_project_yen,
        "max_years": program.max_years, "eligibility": program.eligibility, "source_url": program.source_url,
        "rules": rules_of(program), "prerequisites": program.prerequisites, "stages": program.stages,
        "package_roles": program.package_roles,
        "windows": [{"kind": w.kind, "label": w.label(), "opens": w.opens, "closes": w.closes} for w in windows],
        "terms_year": program.terms_year, "last_verified": program.last_verified, "version": program.version,
    })
    return item
