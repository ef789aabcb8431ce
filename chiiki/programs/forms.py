"""Forms: the admin program editor (same columns as the catalog file), saving a search, the navigator."""

from django import forms

from chiiki.core import tabular

from .catalog import COLUMNS

LONG_TEXT = {"summary", "eligibility", "prerequisites"}


class ProgramForm(forms.Form):
    """One text field per catalog column; parsing and validation happen in actions.save_program (one code path)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for column in COLUMNS:
            widget = forms.Textarea(attrs={"rows": 3}) if column.name in LONG_TEXT else forms.TextInput
            self.fields[column.name] = forms.CharField(label=column.label, required=False, help_text=column.help,
                                                       widget=widget)

    def row(self) -> dict[str, str]:
        return {c.name: self.cleaned_data.get(c.name) or "" for c in COLUMNS}


class SaveSearchForm(forms.Form):
    name = forms.CharField(label="名前", max_length=100, required=False)
    params = forms.CharField(widget=forms.HiddenInput, required=False, max_length=1000)
    alerts = forms.BooleanField(label="新着と締切（14日以内）をメールで受け取る", required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV または XLSX ファイル")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        problem = tabular.size_problem(upload.size)  # the same limit read_table applies on every path
        if problem:
            raise forms.ValidationError(problem)
        return upload
