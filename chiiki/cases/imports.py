"""The case import (CSV/XLSX, all or nothing) as the core pipeline runs it; the export writes the same columns."""

from chiiki.core.imports import Importer

from . import actions
from .validation import COLUMNS

CASES = Importer(
    key="cases", title="事例の一括取込", action=actions.import_cases, permission="cases.import", namespace="cases",
    help_template="cases/_import_help.html", done_url="cases:index", back_url="cases:index", back_label="事例ライブラリ",
    hidden_to_public=True, help_context=lambda: {"columns": [h for _f, h in COLUMNS]},
)
