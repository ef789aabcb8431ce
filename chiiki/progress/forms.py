from django import forms

from chiiki.core.fiscal import InvalidFiscalYear, parse_fiscal_year

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(label="ファイル（CSV または XLSX）",
                           help_text="UTF-8（BOM付き可）または Shift_JIS（CP932）のCSV、もしくはXLSX。20MBまで。")
    fiscal_year = forms.CharField(label="年度（年度の列がない場合）", required=False,
                                  help_text="例: 2026、令和8年度、R8。ファイルに年度の列があればそちらが優先されます。")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("ファイルが大きすぎます（20MBまで）")
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
