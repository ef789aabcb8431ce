"""The funding-line import as the core pipeline runs it (web upload and API alike)."""

from django import forms

from chiiki.core.imports import Importer, ImportForm

from .importing import (
    HELP_COLUMNS,
    NON_GRANT_COLUMNS,
    RECEIPT_ALIASES,
    RECEIPT_COLUMNS,
    import_funding_lines,
    import_non_grant,
    import_receipts,
)
from .models import Campaign, FundingState, SourceKind


def _help() -> dict:
    return {"columns": HELP_COLUMNS, "kinds": SourceKind.choices, "states": FundingState.choices}


FUNDING_LINES = Importer(
    key="funding-lines", title="財源の一括取込", action=import_funding_lines, permission="funding.import",
    namespace="funding", url_name="lines_import", help_template="funding/_import_help.html", help_context=_help,
    done_url="funding:lines", back_url="funding:lines", back_label="財源の一覧", hidden_to_public=True,
)


def _campaign_choices():
    return [(c.pk, f"{c.pk}: {c.municipality.name} {c.title}")
            for c in Campaign.objects.select_related("municipality").order_by("municipality_id", "-end_date", "id")]


class ReceiptImportForm(ImportForm):
    # Every campaign is listed (campaigns are public); the action refuses one the user may not edit.
    campaign = forms.TypedChoiceField(label="取り込み先のクラウドファンディング", coerce=int, choices=_campaign_choices,
                                      error_messages={"required": "取り込み先を選んでください",
                                                      "invalid_choice": "取り込み先を選んでください"})


RECEIPTS = Importer(
    key="funding-receipts", title="クラウドファンディングの受付の取込", action=import_receipts,
    permission="funding.import", namespace="funding", url_name="receipts_import",
    help_template="funding/_receipts_help.html", help_context=lambda: {"columns": RECEIPT_COLUMNS},
    done_url="funding:campaigns", back_url="funding:campaigns", back_label="クラウドファンディング",
    form_class=ReceiptImportForm, header_aliases=RECEIPT_ALIASES, hidden_to_public=True,
)


NON_GRANT = Importer(
    key="funding-non-grant", title="不交付団体の区分の取込（企業版ふるさと納税）", action=import_non_grant,
    permission="funding.non_grant_import", namespace="funding", url_name="non_grant_import",
    help_template="funding/_non_grant_help.html", help_context=lambda: {"columns": NON_GRANT_COLUMNS},
    done_url="funding:projects", back_url="funding:projects", back_label="企業版ふるさと納税", hidden_to_public=True,
)
