"""Helpers for PDCA tests: progress written through the progress import action, KPIs through pdca actions."""

import pytest
from django.core.cache import cache

from chiiki.access import SYSTEM
from chiiki.core.fiscal import current_fiscal_year
from chiiki.progress.imports import PROGRESS
from chiiki.progress.tests.conftest import csv_file

from .. import actions

YEAR = current_fiscal_year()


def seed(rows):
    """rows: (code, sector, year, stage) written as the system through the progress import."""
    lines = [f"{c},{s},{y},{st},," for c, s, y, st in rows]
    report = PROGRESS.run(SYSTEM, csv_file(lines), "seed.csv")
    assert report.ok and report.committed, report.errors


def make_kpi(code="K-ANY", *, measure="progress_implemented_any", target="10", target_year=YEAR + 2, sectors=(),
             prefecture=None, actor=SYSTEM, **extra):
    kpi, _ = actions.save_kpi(actor, None, {
        "code": code, "name": extra.pop("name", f"KPI {code}"), "unit": extra.pop("unit", "団体"),
        "target_value": target, "target_fiscal_year": target_year, "measure": measure, "sectors": list(sectors),
        "prefecture": prefecture, **extra}, version=0)
    return kpi


def bearer(user):
    from chiiki.accounts.models import ApiToken

    _token, key = ApiToken.issue(user, "test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()
