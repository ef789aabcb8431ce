"""The progress import as the core pipeline runs it (web upload, API and `import_progress` alike)."""

from chiiki.core.imports import Importer

from . import actions, importer, queries
from .forms import ImportForm
from .models import Stage


def _help() -> dict:
    return {"header": importer.IMPORT_HEADER, "stages": [(s.value, s.label) for s in Stage],
            "sectors": queries.sectors()}


PROGRESS = Importer(
    key="progress", title="進捗の一括取込", action=actions.import_progress, permission="progress.import_any",
    namespace="progress", help_template="progress/_import_help.html", help_context=_help,
    done_url="progress:index", back_url="progress:index", back_label="見える化", form_class=ImportForm,
    header_aliases=importer.HEADER_ALIASES, streaming=True,
)
