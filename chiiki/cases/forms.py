"""The case form: carries and renders input; actions/validation decide (their problems are attached back)."""

from django import forms

from chiiki.core.errors import Invalid
from chiiki.roadmap.models import Sector

from .models import CaseStatus, FundingKind


class CaseForm(forms.Form):
    municipality = forms.CharField(label="団体コード", required=False, max_length=6, help_text="例: 202151（5桁でも可）")
    partners = forms.CharField(label="連携団体コード（省略可）", required=False, help_text="複数は ; で区切る")
    title = forms.CharField(label="事例名", required=False, max_length=200)
    summary = forms.CharField(label="概要", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    sectors = forms.MultipleChoiceField(label="分野", required=False, widget=forms.CheckboxSelectMultiple, choices=[])
    sector_models = forms.CharField(label="分野別モデル（省略可）", required=False, help_text="例: 防災情報の一斉配信。複数は ; で区切る")
    funding_kinds = forms.MultipleChoiceField(label="財源", required=False, widget=forms.CheckboxSelectMultiple,
                                              choices=FundingKind.choices)
    programs = forms.CharField(label="活用した支援制度のID（省略可）", required=False, help_text="支援メニューのID。複数は ; で区切る")
    sharing_economy = forms.BooleanField(label="シェアリングエコノミーの事例", required=False)
    outcomes = forms.CharField(label="成果（1行に「指標|単位|前|後|年度」）", required=False,
                               widget=forms.Textarea(attrs={"rows": 3}), help_text="例: 避難情報の登録者数|人|1200|5400|2025")
    cost = forms.CharField(label="事業費（円、省略可）", required=False)
    operator = forms.CharField(label="運営主体", required=False, max_length=200)
    lessons = forms.CharField(label="教訓・工夫", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    contact_organisation = forms.CharField(label="問い合わせ先", required=False, max_length=200)
    source_url = forms.CharField(label="出典URL", required=False, max_length=500)
    status = forms.ChoiceField(label="公開状況", required=False, choices=CaseStatus.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, initial=0)

    conflict = None  # set by editing.keep_typed after a Conflict

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sectors"].choices = list(Sector.objects.order_by("order").values_list("code", "name"))

    def attach(self, exc: Invalid) -> None:
        for field, reason in exc.problems:
            self.add_error(field if field in self.fields else None, reason)

    @staticmethod
    def initial_of(case) -> dict:
        return {"municipality": case.municipality_id,
                "partners": ";".join(case.partners.values_list("code", flat=True)), "title": case.title,
                "summary": case.summary, "sectors": case.sectors, "sector_models": ";".join(case.sector_models),
                "funding_kinds": case.funding_kinds,
                "programs": ";".join(case.programs.values_list("public_id", flat=True)),
                "sharing_economy": case.sharing_economy,
                "outcomes": "\n".join(f"{o['indicator']}|{o['unit']}|{o['before']}|{o['after']}|{o['fiscal_year']}"
                                      for o in case.outcomes),
                "cost": case.cost if case.cost is not None else "", "operator": case.operator,
                "lessons": case.lessons, "contact_organisation": case.contact_organisation,
                "source_url": case.source_url, "status": case.status, "version": case.version}
