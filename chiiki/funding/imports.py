"""The funding-line import as the core pipeline runs it (web upload and API alike)."""

from chiiki.core.imports import Importer

from .importing import HELP_COLUMNS, import_funding_lines
from .models import FundingState, SourceKind


def _help() -> dict:
    return {"columns": HELP_COLUMNS, "kinds": SourceKind.choices, "states": FundingState.choices}


FUNDING_LINES = Importer(
    key="funding-lines", title="財源の一括取込", action=import_funding_lines, permission="funding.import",
    namespace="funding", url_name="lines_import", help_template="funding/_import_help.html", help_context=_help,
    done_url="funding:lines", back_url="funding:lines", back_label="財源の一覧", hidden_to_public=True,
)
