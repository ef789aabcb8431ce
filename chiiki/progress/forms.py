from django import forms

from chiiki.core.fiscal import InvalidFiscalYear, parse_fiscal_year
from chiiki.core.imports import ImportForm as BaseImportForm


class ImportForm(BaseImportForm):
    fiscal_year = forms.CharField(label="年度（年度の列がない場合）", required=False,
                                  help_text="例: 2026、令和8年度、R8。ファイルに年度の列があればそちらが優先されます。")

    def clean_fiscal_year(self):
        raw = self.cleaned_data["fiscal_year"].strip()
        if not raw:
            return None
        try:
            return parse_fiscal_year(raw)
        except InvalidFiscalYear as exc:
            raise forms.ValidationError(str(exc)) from None
