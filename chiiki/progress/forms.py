from django import forms
from django.conf import settings

from chiiki.core import tabular
from chiiki.core.fiscal import InvalidFiscalYear, parse_fiscal_year


class ImportForm(forms.Form):
    file = forms.FileField(label="ファイル（CSV または XLSX）")
    fiscal_year = forms.CharField(label="年度（年度の列がない場合）", required=False,
                                  help_text="例: 2026、令和8年度、R8。ファイルに年度の列があればそちらが優先されます。")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = ("UTF-8（BOM付き可）または Shift_JIS（CP932）のCSV、もしくはXLSX。"
                                         f"{tabular.format_size(settings.IMPORT_MAX_BYTES)}まで。")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        problem = tabular.size_problem(upload.size)  # the same limit read_table applies on every path
        if problem:
            raise forms.ValidationError(problem)
        if not upload.name.lower().endswith((".csv", ".txt", ".xlsx")):
            raise forms.ValidationError("CSV（.csv）または XLSX（.xlsx）ファイルを選んでください")
        return upload

    def clean_fiscal_year(self):
        raw = self.cleaned_data["fiscal_year"].strip()
        if not raw:
            return None
        try:
            return parse_fiscal_year(raw)
        except InvalidFiscalYear as exc:
            raise forms.ValidationError(str(exc)) from None
