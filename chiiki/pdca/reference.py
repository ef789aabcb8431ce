"""Loading the national KPIs of data/kpis.csv as KPI rows (REFERENCE_LOADERS contract).

The file states facts (name, target, baseline, source); how a KPI is measured on the platform is our reading of
it: both national KPIs count local governments that implemented something, i.e. municipalities with at least one
sector at 実装済 or better (`progress_implemented_any`), unless the file names a `measure` column.
A KPI an admin has edited since the last load is kept unless `--force` is given.
"""

from pathlib import Path

from chiiki import access
from chiiki.core import history
from chiiki.core.commands import NullOut
from chiiki.core.errors import DataFileError, Invalid
from chiiki.core.tabular import read_reference_csv

from . import actions
from .models import KPI

KPIS_FILE = "kpis.csv"
COLUMNS = ["id", "name", "target_value", "target_fiscal_year", "unit", "baseline_value", "baseline_date", "source"]
DEFAULT_MEASURE = "progress_implemented_any"


def load_kpis(*, data_dir: Path, force: bool = False, stdout=None, progress: bool = False,
              actor=access.SYSTEM) -> str:
    stdout = stdout or NullOut()
    path = Path(data_dir) / KPIS_FILE
    rows = read_reference_csv(path, COLUMNS)
    created = updated = kept = 0
    for order, (number, row) in enumerate(rows):
        data = {"code": row["id"], "name": row["name"], "unit": row["unit"], "target_value": row["target_value"],
                "target_fiscal_year": row["target_fiscal_year"], "baseline_value": row["baseline_value"],
                "baseline_date": row["baseline_date"], "source": row["source"],
                "measure": row.get("measure") or DEFAULT_MEASURE, "sectors": [], "prefecture": None, "order": order}
        existing = KPI.objects.filter(pk=row["id"]).first()
        if existing is not None and not force:
            kept += 1
            continue
        try:
            _kpi, changed = actions.save_kpi(actor, existing, data, version=existing.version if existing else 0,
                                             source=history.REFERENCE)
        except Invalid as exc:
            field, reason = exc.problems[0]
            raise DataFileError(reason, path=path, row=number, column=field or None) from None
        if existing is None:
            created += 1
        elif changed:
            updated += 1
    summary = f"KPI: {len(rows)}件を確認、新規{created}件・更新{updated}件"
    if kept:
        summary += f"・登録済みのため維持{kept}件（--force で上書き）"
    return summary
