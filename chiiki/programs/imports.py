"""The catalog import (CSV/XLSX in the catalog's file format) as the core pipeline runs it."""

from chiiki.core.imports import Importer

from . import actions

CATALOG = Importer(
    key="programs", title="支援メニューの取込", action=actions.import_catalog, permission="programs.manage",
    namespace="programs", url_name="manage_import", help_template="programs/_import_help.html",
    done_url="programs:manage", back_url="programs:manage", back_label="カタログの管理", hidden_to_public=True,
)
