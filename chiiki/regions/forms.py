from django import forms

from chiiki.core import editing

from .models import Municipality

FLAG_CHOICES = [("", "未登録"), ("true", "該当"), ("false", "非該当")]
_FLAG_VALUES = {"": None, "true": True, "false": False}


class MunicipalityAttributesForm(forms.Form):
    """財政力指数 and the 過疎/離島/中山間 flags; blank = 未登録 (unknown)."""

    fiscal_strength_index = forms.DecimalField(
        label="財政力指数", required=False, min_value=0, max_value=9.99, decimal_places=2, max_digits=4,
        help_text="小数第2位まで（例: 0.45）。空欄は「未登録」",
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    depopulated = forms.ChoiceField(label="過疎地域", choices=FLAG_CHOICES, required=False)
    remote_island = forms.ChoiceField(label="離島地域", choices=FLAG_CHOICES, required=False)
    mountainous = forms.ChoiceField(label="中山間地域", choices=FLAG_CHOICES, required=False)
    # Text, not a number field: a missing or garbled version is refused in the words of every other editor.
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    @classmethod
    def for_municipality(cls, municipality: Municipality):
        def flag(value):
            return "" if value is None else ("true" if value else "false")

        return cls(initial={
            "fiscal_strength_index": municipality.fiscal_strength_index,
            "depopulated": flag(municipality.depopulated),
            "remote_island": flag(municipality.remote_island),
            "mountainous": flag(municipality.mountainous),
            "version": municipality.version,
        })

    def clean_version(self) -> int:
        try:
            return editing.parse_version(self.cleaned_data["version"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def attributes(self) -> dict:
        data = self.cleaned_data
        return {
            "fiscal_strength_index": data["fiscal_strength_index"],
            **{name: _FLAG_VALUES[data[name] or ""] for name in ("depopulated", "remote_island", "mountainous")},
        }
