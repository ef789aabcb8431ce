"""The national admin's roster import (CSV/XLSX, all or nothing) as the core pipeline runs it."""

from chiiki.core.imports import Importer

from . import actions

ROSTER = Importer(
    key="talent-roster", title="人材名簿の取込", action=actions.import_roster, permission="talent.manage",
    namespace="talent", url_name="import", help_template="talent/_import_help.html", done_url="talent:profiles",
    back_url="talent:profiles", back_label="人材", hidden_to_public=True,
)
