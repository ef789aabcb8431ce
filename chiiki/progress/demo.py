"""Demo progress (load_demo): a deterministic, plausible FY2022–FY2026 history for every municipality.

Cities tend to be further along than towns and villages; 防災 and 教育 lead, 医療・介護・健康 lags (as MIC's
surveys found). Each municipality × sector is seeded by its code, so every run produces the same data.
Records carry source=demo so every page can flag them. Idempotent: cells that already have records are left alone.
"""

import hashlib
import random

from django.db import transaction

from chiiki import access
from chiiki.core import history
from chiiki.regions.models import Municipality
from chiiki.roadmap.models import Sector

from . import cells
from .models import STAGE_ORDER, ProgressRecord, Source

MODEL_LABEL = ProgressRecord._meta.label_lower

FIRST_YEAR, LAST_YEAR = 2022, 2026
KIND_BASE = {"designated_city": 3.2, "core_city": 2.8, "special_ward": 2.7, "city": 2.2, "town": 1.6, "village": 1.3}
SECTOR_BIAS = {"disaster": 1.0, "education": 0.8, "health": -0.9, "work": 0.1, "tourism": 0.2, "agriculture": -0.1,
               "business": -0.2, "public_private": -0.3}


def _rng(code: str, sector: str) -> random.Random:
    seed = int.from_bytes(hashlib.sha256(f"chiiki-demo:{code}:{sector}".encode()).digest()[:8], "big")
    return random.Random(seed)


def trajectory(code: str, kind: str, sector: str) -> dict[int, str]:
    """年度 → stage, only for the years where the stage changed (the first year if not 未着手)."""
    rng = _rng(code, sector)
    final = KIND_BASE.get(kind, 1.5) + SECTOR_BIAS.get(sector, 0.0) + rng.gauss(0, 1.1)
    final_rank = max(0, min(len(STAGE_ORDER) - 1, round(final)))
    start_rank = max(0, final_rank - rng.choice((0, 1, 1, 2, 2, 3)))
    steps = final_rank - start_rank
    years = sorted(rng.sample(range(FIRST_YEAR + 1, LAST_YEAR + 1), min(steps, LAST_YEAR - FIRST_YEAR)))
    result = {}
    rank = start_rank
    if rank > 0:
        result[FIRST_YEAR] = STAGE_ORDER[rank]
    for index, year in enumerate(years):
        rank = start_rank + index + 1 if index < len(years) - 1 else final_rank
        result[year] = STAGE_ORDER[rank]
    return result


def load(*, stdout=None, actor=access.SYSTEM) -> str:
    places = list(Municipality.objects.values_list("code", "kind", "prefecture_id", "name"))
    sectors = list(Sector.objects.values_list("code", "name"))
    if not places or not sectors:
        return "進捗デモデータ: 団体または分野が未登録のため作成しませんでした（先に load_reference を実行してください）"
    existing = set(ProgressRecord.objects.values_list("municipality_id", "sector_id").distinct())
    records, entries = [], []
    for code, kind, prefecture, name in places:
        for sector, sector_name in sectors:
            if (code, sector) in existing:
                continue
            for year, stage in trajectory(code, kind, sector).items():
                records.append(ProgressRecord(municipality_id=code, sector_id=sector, fiscal_year=year, stage=stage,
                                              source=Source.DEMO, note="デモデータ", version=1))
                entries.append((prefecture, f"{name} {sector_name} {year}年度"))
    with transaction.atomic():
        ProgressRecord.objects.bulk_create(records, batch_size=2000)
        history.record_many([
            _entry(actor, record, prefecture, label)
            for record, (prefecture, label) in zip(records, entries, strict=True)
        ])
        if records:
            cells.refresh({record.municipality_id for record in records})
            history.bump("progress")
    return f"進捗デモデータ: {len(records)}件を作成（{FIRST_YEAR}–{LAST_YEAR}年度、{len(places)}団体 × {len(sectors)}分野）"


def _entry(actor, record, prefecture, label) -> dict:
    return history.entry(actor, history.CREATE, model=MODEL_LABEL, object_id=record.pk, object_repr=label,
                         municipality_id=record.municipality_id, prefecture_id=prefecture, before=None,
                         after={"stage": record.stage, "fiscal_year": record.fiscal_year, "sector": record.sector_id,
                                "source": record.source}, source=history.DEMO)
