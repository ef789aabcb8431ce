"""Forms of the PDCA pages: they only carry and render the input; actions.py validates it (one rule for the web,
the API and the reference file), and its Invalid problems are attached back to the fields."""

from django import forms

from chiiki.core.errors import Invalid
from chiiki.regions.models import Prefecture
from chiiki.roadmap.models import Sector

from . import measures
from .models import ActionStatus, ProposalStatus


def _prefecture_choices(allowed=None):
    choices = [("", "全国")]
    qs = Prefecture.objects.order_by("code")
    if allowed is not None:
        qs = qs.filter(code__in=allowed)
        choices = [] if None not in allowed else choices
    return choices + [(p.code, p.name) for p in qs]


class ActionErrorsMixin:
    def attach(self, exc: Invalid) -> None:
        for field, reason in exc.problems:
            self.add_error(field if field in self.fields else None, reason)


class KPIForm(ActionErrorsMixin, forms.Form):
    code = forms.CharField(label="KPI ID", required=False, max_length=40,
                           help_text="半角英数字・ハイフン（例: NAGANO-DX-2028）。作成後は変更できません")
    name = forms.CharField(label="KPI名", required=False, max_length=200)
    unit = forms.CharField(label="単位", required=False, max_length=20)
    measure = forms.ChoiceField(label="算定方法", required=False, choices=[])
    sectors = forms.MultipleChoiceField(label="対象分野", required=False, widget=forms.CheckboxSelectMultiple,
                                        choices=[])
    target_value = forms.CharField(label="目標値", required=False)
    target_fiscal_year = forms.CharField(label="目標年度", required=False, help_text="例: 2027、令和9年度")
    baseline_value = forms.CharField(label="基準値", required=False)
    baseline_date = forms.CharField(label="基準時点", required=False, help_text="例: 2023-03")
    source = forms.CharField(label="出典", required=False, max_length=300)
    prefecture = forms.ChoiceField(label="対象", required=False, choices=[])
    order = forms.CharField(label="表示順", required=False, initial="0")
    version = forms.IntegerField(widget=forms.HiddenInput, initial=0)

    def __init__(self, *args, prefectures=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure"].choices = [(m.key, m.label + ("" if m.available else f"（{measures.UNAVAILABLE}）"))
                                          for m in measures.MEASURES.values()]
        self.fields["sectors"].choices = list(Sector.objects.order_by("order").values_list("code", "name"))
        self.fields["prefecture"].choices = _prefecture_choices(prefectures)
        if editing:
            del self.fields["code"]


class ReviewForm(ActionErrorsMixin, forms.Form):
    fiscal_year = forms.CharField(label="対象年度", required=False, help_text="例: 2026、令和8年度")
    prefecture = forms.ChoiceField(label="対象", required=False, choices=[])
    title = forms.CharField(label="名称（省略可）", required=False, max_length=200)
    summary = forms.CharField(label="総括（省略可）", required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, prefectures=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prefecture"].choices = _prefecture_choices(prefectures)


class ActionForm(ActionErrorsMixin, forms.Form):
    title = forms.CharField(label="対応内容", required=False, max_length=300)
    owner_organisation = forms.CharField(label="担当組織", required=False, max_length=200)
    due_date = forms.CharField(label="期限", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kpi = forms.ChoiceField(label="関連KPI", required=False, choices=[])
    status = forms.ChoiceField(label="状況", required=False, choices=ActionStatus.choices)
    result = forms.CharField(label="結果", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, initial=0, required=False)

    def __init__(self, *args, review=None, **kwargs):
        super().__init__(*args, **kwargs)
        entries = review.entries.all() if review is not None else []
        self.fields["kpi"].choices = [("", "（なし）")] + [(e.kpi_id, e.kpi_name) for e in entries]


class ProposalForm(ActionErrorsMixin, forms.Form):
    title = forms.CharField(label="件名", required=False, max_length=200)
    problem = forms.CharField(label="課題（何が実装の妨げになっているか）", required=False,
                              widget=forms.Textarea(attrs={"rows": 5}))
    rule_concerned = forms.CharField(label="対象の制度・ルール", required=False, max_length=300)
    program = forms.CharField(label="関連する支援メニューのID（省略可）", required=False, max_length=60,
                              help_text="例: MIC-ICT-ADVISOR（支援メニューのページに表示されているID）")
    evidence_links = forms.CharField(
        label="根拠のリンク（1行に1件）", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="このサイトのページ（/progress/records/?… など）や公的な資料のURL")


class ProposalStatusForm(ActionErrorsMixin, forms.Form):
    status = forms.ChoiceField(label="状況", required=False, choices=ProposalStatus.choices)
    status_reason = forms.CharField(label="理由・対応の内容", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
