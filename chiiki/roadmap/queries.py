"""Reads of the roadmap: sectors with their models, and the national KPI target (data/kpis.csv)."""

import csv
from pathlib import Path

from django.conf import settings

from .models import Sector

KPI_ID = "DIGIDEN-1500"


def sectors_with_models():
    return Sector.objects.prefetch_related("models")


def kpi_target(path: Path | None = None) -> dict | None:
    """The national KPI row (data/kpis.csv); None when the file is not there."""
    path = path or Path(settings.BASE_DIR) / "data" / "kpis.csv"
    if not path.exists():
        return None
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get("id") == KPI_ID:
                return {
                    "id": row["id"], "name": row["name"], "target": int(row["target_value"]),
                    "target_fiscal_year": int(row["target_fiscal_year"]), "unit": row.get("unit", ""),
                    "baseline": int(row["baseline_value"]) if row.get("baseline_value") else None,
                    "baseline_date": row.get("baseline_date", ""), "source": row.get("source", ""),
                }
    return None
