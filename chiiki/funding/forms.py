"""Forms of the funding pages. They collect what people type; the actions validate it (one code path with the
API), and views put the actions' Japanese reasons back on the fields."""

import re

from django import forms

from chiiki import access
from chiiki.core.codes import InvalidCode, typed_code
from chiiki.core.dates import parse_date
from chiiki.core.errors import Invalid
from chiiki.core.fiscal import InvalidFiscalYear, parse_fiscal_year
from chiiki.core.forms import ActionForm, OpenChoiceField
from chiiki.programs.models import SupportProgram
from chiiki.regions.models import Municipality, Prefecture
from chiiki.roadmap.models import Sector, SectorModel

from .models import Campaign, FundingState, OperatorKind, Phase, PlanStatus, SourceKind
from .queries import PUBLIC
from .validation import MAX_KPIS

TEXTAREA = forms.Textarea(attrs={"rows": 3})


def owner_choices(user) -> list[tuple[str, str]]:
    """Whom the user may make a plan for: "m:<code>" municipalities, "p:<code>" prefectures (wide-area plans)."""
    choices = [(f"m:{m.code}", f"{m.prefecture.name}{m.name}") for m in access.scope_managed_municipalities(
        user, Municipality.objects.select_related("prefecture").order_by("code"))]
    prefectures = Prefecture.objects.order_by("code")
    choices += [(f"p:{p.code}", f"{p.name}（広域計画）") for p in prefectures if access.can(user, "funding.plan_edit", p)]
    return choices


def owner_of(value: str):
    kind, _, code = (value or "").partition(":")
    if kind == "m":
        return Municipality.objects.select_related("prefecture").filter(pk=code).first()
    if kind == "p":
        return Prefecture.objects.filter(pk=code).first()
    return None


class PlanForm(forms.Form):
    owner = forms.ChoiceField(label="策定団体", choices=())
    participants = forms.CharField(label="参加団体（広域計画のとき）", required=False, max_length=2000,
                                   help_text="団体コードを空白または読点で区切って入力（例: 132012 134023）")
    title = forms.CharField(label="計画名", max_length=200)
    sector = forms.ChoiceField(label="主な分野", choices=())
    sector_models = forms.MultipleChoiceField(label="分野別モデル", required=False, choices=(),
                                              widget=forms.CheckboxSelectMultiple,
                                              help_text="主な分野のモデルから選びます（ほかの分野のモデルは選べません）")
    further_sectors = forms.MultipleChoiceField(label="その他の分野", required=False, choices=(),
                                                widget=forms.CheckboxSelectMultiple)
    vision = forms.CharField(label="目指す姿", required=False, widget=TEXTAREA)
    start_year = forms.CharField(label="開始年度", help_text="例: 2026、令和8年度、R8")
    operator_kind = forms.ChoiceField(label="支援終了後の運営主体", choices=OperatorKind.choices)
    operator_name = forms.CharField(label="運営主体の名称", required=False, max_length=200)
    operator_corporate_number = forms.CharField(label="運営主体の法人番号", required=False, max_length=20,
                                                help_text="13桁（任意）")
    kpis = forms.CharField(label="KPI", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="1行に1つ「指標, 基準値, 目標値, 年度」（基準値・年度は省略可）。例: 端末の利用率, 40%, 90%, 2028。"
                                     "5,000人 のような桁区切りはそのまま書けます。値に「,」「、」を含むときは \"…\" で囲みます")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        sectors = [(s.code, s.name) for s in Sector.objects.all()]
        self.fields["sector"].choices = [("", "選択してください"), *sectors]
        self.fields["further_sectors"].choices = sectors
        self.fields["sector_models"].choices = [
            (m.name, f"{m.sector.name}: {m.name}") for m in SectorModel.objects.select_related("sector")]
        if editing:
            del self.fields["owner"]
            del self.fields["participants"]
        else:
            owners = owner_choices(user)
            self.fields["owner"].choices = [("", "選択してください"), *owners]
            if len(owners) == 1:  # the officer's own municipality: nothing to choose
                self.fields["owner"].initial = owners[0][0]
        # One message per field, in the words the view and the actions use (not Django's 「このフィールドは必須です。」)
        for name, message in (("owner", "策定団体を選んでください"), ("title", "計画名を入力してください"),
                              ("sector", "分野を選んでください"), ("start_year", "開始年度を入力してください"),
                              ("operator_kind", "運営主体の種類を選んでください")):
            if name in self.fields:
                self.fields[name].error_messages["required"] = message


class YearForm(forms.Form):
    fiscal_year = forms.CharField(label="年度", help_text="例: 2026、令和8年度")
    phase = forms.ChoiceField(label="段階", choices=Phase.choices)
    activities = forms.CharField(label="取組内容", required=False, widget=TEXTAREA)
    total_cost = forms.CharField(label="事業費（円）", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class LineForm(forms.Form):
    source_kind = forms.ChoiceField(label="財源の種類", choices=SourceKind.choices)
    program = forms.ChoiceField(label="支援メニュー（国の支援メニューのとき）", required=False, choices=())
    campaign = forms.ChoiceField(label="クラウドファンディング（任意）", required=False, choices=())
    donation_project = forms.ChoiceField(label="企業版ふるさと納税の事業（任意）", required=False, choices=())
    label = forms.CharField(label="内訳・名称", required=False, max_length=200)
    amount = forms.CharField(label="金額（円）")
    state = forms.ChoiceField(label="状態", choices=FundingState.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, choices: dict | None = None, plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name, values in (line_choices(plan) if choices is None else choices).items():
            self.fields[name].choices = values


def line_choices(plan) -> dict:
    """The select options of a plan's line forms, read once per page (a plan page has a form per line)."""
    from .models import RevitalisationProject

    campaigns, projects = Campaign.objects.none(), RevitalisationProject.objects.none()
    if plan is not None:
        if plan.municipality_id:
            campaigns = Campaign.objects.filter(municipality_id=plan.municipality_id)
        projects = RevitalisationProject.objects.filter(plan__prefecture_id=plan.prefecture_id,
                                                        plan__municipality_id=plan.municipality_id)
    return {"program": [("", "—"), *SupportProgram.objects.order_by("public_id").values_list("public_id", "name")],
            "campaign": [("", "—"), *((str(c.pk), c.title) for c in campaigns)],
            "donation_project": [("", "—"), *((str(p.pk), p.name) for p in projects)]}


class ParticipantsForm(forms.Form):
    participants = forms.CharField(label="参加団体の団体コード", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="状態", choices=PlanStatus.choices)
    reason = forms.CharField(label="理由（中止のときは必須）", required=False, max_length=500)
    version = forms.IntegerField(widget=forms.HiddenInput)


class PlanFilterForm(forms.Form):
    prefecture = forms.ChoiceField(label="都道府県", required=False, choices=())
    municipality = forms.CharField(label="団体コード", required=False)
    sector = forms.ChoiceField(label="分野", required=False, choices=())
    status = forms.ChoiceField(label="状態", required=False,
                               choices=[("", "すべて"), *PlanStatus.choices, (PUBLIC, "公開・完了")])
    started_by = forms.CharField(label="開始年度（まで）", required=False, max_length=20)
    min_years = forms.IntegerField(label="年度数（以上）", required=False, min_value=1, max_value=50)
    published_by = forms.CharField(label="公開した年度（まで）", required=False, max_length=20,
                                   help_text="その年度末（3月31日）までに初めて公開した計画")
    flag = forms.ChoiceField(label="リスク", required=False, choices=())

    def __init__(self, *args, **kwargs):
        from .flags import LABELS

        super().__init__(*args, **kwargs)
        self.fields["prefecture"].choices = [("", "すべて"), *Prefecture.objects.order_by("code").values_list(
            "code", "name")]
        self.fields["sector"].choices = [("", "すべて"), *((s.code, s.name) for s in Sector.objects.all())]
        self.fields["flag"].choices = [("", "指定しない"), *LABELS.items()]

    def _fiscal_year(self, name):
        raw = self.cleaned_data[name]
        try:
            return parse_fiscal_year(raw) if raw else None
        except InvalidFiscalYear as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_municipality(self):
        try:
            return typed_code(self.cleaned_data["municipality"])
        except InvalidCode as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_started_by(self):
        return self._fiscal_year("started_by")

    def clean_published_by(self):
        return self._fiscal_year("published_by")


class CampaignForm(forms.Form):
    municipality = forms.ChoiceField(label="実施団体", choices=())
    title = forms.CharField(label="プロジェクト名", max_length=200)
    use_of_funds = forms.CharField(label="寄附金の使い道", widget=TEXTAREA)
    target_amount = forms.CharField(label="目標金額（円）")
    # Read as the action reads them (2026/6/1 too, in its words): a date it would save is not refused here.
    start_date = forms.CharField(label="募集開始日", widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.CharField(label="募集終了日", widget=forms.DateInput(attrs={"type": "date"}))
    model = forms.ChoiceField(label="方式", choices=(), help_text="All-in: 目標に届かなくても寄附を受けて実施／All-or-Nothing: 目標達成時のみ実施")
    minimum_donation = forms.CharField(label="最低寄附額（円）", required=False, initial=2000)
    gift_description = forms.CharField(label="返礼品（任意）", required=False, max_length=200)
    gift_tier = forms.CharField(label="返礼品の対象寄附額（円）", required=False)
    gift_cost = forms.CharField(label="返礼品の調達費（円）", required=False, help_text="対象寄附額の3割以下")
    donation_url = forms.URLField(label="寄附ページ（外部）のURL", max_length=500, assume_scheme="https")
    plan = forms.ChoiceField(label="実装計画（任意）", required=False, choices=())
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user=None, campaign=None, **kwargs):
        from .models import CampaignModel, ImplementationPlan

        super().__init__(*args, **kwargs)
        for name in ("start_date", "end_date"):
            self.fields[name].error_messages["required"] = "日付を入力してください"
        self.fields["donation_url"].error_messages.update({"required": "寄附ページのURLを入力してください",
                                                           "invalid": "寄附ページのURL（https://…）を入力してください"})
        # The same words as the action's (funding.actions), so a field refused twice is said once (_put_errors).
        for name, message in (("municipality", "実施団体を選んでください"), ("title", "プロジェクト名を入力してください"),
                              ("use_of_funds", "寄附金の使い道を入力してください"),
                              ("target_amount", "目標金額を入力してください"), ("model", "方式を選んでください")):
            self.fields[name].error_messages["required"] = message
        self.fields["model"].choices = CampaignModel.choices
        if campaign is not None:
            del self.fields["municipality"]
            codes = [campaign.municipality_id]
        else:
            managed = access.scope_managed_municipalities(user, Municipality.objects.select_related("prefecture")
                                                          .order_by("code"))
            self.fields["municipality"].choices = [("", "選択してください"),
                                                   *((m.code, f"{m.prefecture.name}{m.name}") for m in managed)]
            codes = [m.code for m in managed] if not access.is_admin(user) else None
        plans = ImplementationPlan.objects.exclude(municipality=None).order_by("municipality_id", "id")
        if codes is not None:
            plans = plans.filter(municipality_id__in=codes)
        self.fields["plan"].choices = [("", "—"), *((str(p.pk), f"{p.municipality_id} {p.title}") for p in plans[:500])]

    def _date(self, name: str):
        try:
            return parse_date(self.cleaned_data[name], label=self.fields[name].label)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_start_date(self):
        return self._date("start_date")

    def clean_end_date(self):
        return self._date("end_date")


KPI_SEPARATORS = ",、，"
KPI_FIELDS = 4
# A comma between a digit and exactly three digits, no space after: 5,000人 (a digit grouping, when the line has
# more fields than a KPI without it).
_GROUPING = re.compile(r"(?<=[0-9０-９])[,，](?=[0-9０-９]{3}(?![0-9０-９]))")


def _split_kpi_line(line: str, *, keep_grouping: bool) -> list[str]:
    fields, current, quoted, index = [], [], False, 0
    started = False  # the field holds more than spaces: a " there is text, not an opening quote
    while index < len(line):
        char = line[index]
        if quoted:
            if char == '"' and line[index + 1:index + 2] == '"':
                current.append('"')
                index += 1
            elif char == '"':
                quoted = False
            else:
                current.append(char)
        elif char == '"' and not started:
            quoted, current, started = True, [], True
        elif char in KPI_SEPARATORS and not (keep_grouping and _GROUPING.match(line, index)):
            fields.append("".join(current).strip())
            current, started = [], False
        else:
            current.append(char)
            started = started or not char.isspace()
        index += 1
    fields.append("".join(current).strip())
    return fields


def _kpi_fields(line: str) -> list[str]:
    """One line's fields: split at , 、 or ，, except inside "…" (a "" is a quote); 「指標, 0人, 5,000人, 2027」 has
    one field too many that way, so grouped digits are then read as one value."""
    fields = _split_kpi_line(line, keep_grouping=False)
    return _split_kpi_line(line, keep_grouping=True) if len(fields) > KPI_FIELDS else fields


# Checked before the box is read: 30 KPIs of the longest values the action takes, with their separators.
MAX_KPI_TEXT = MAX_KPIS * (200 + 100 + 100 + 20 + 20)


def kpis_from_text(text: str) -> list[dict]:
    """「指標, 基準値, 目標値, 年度」 per line (、 or , between; "…" around a value that holds one) → the KPI dicts
    the action validates."""
    text = text or ""
    if len(text) > MAX_KPI_TEXT:
        raise Invalid([("kpis", f"KPIの欄は{MAX_KPI_TEXT:,}文字までです（{len(text):,}文字あります）")])
    rows = []
    for line in text.splitlines():
        parts = _kpi_fields(line)
        if not any(parts):
            continue
        parts += [""] * (KPI_FIELDS - len(parts))
        rows.append({"indicator": parts[0], "baseline": parts[1], "target": parts[2], "fiscal_year": parts[3]})
    return rows


def _kpi_text(value) -> str:
    # One line per KPI: a line break in a value (saved through the API) is shown as a space, or the box would read
    # it back as another KPI and refuse every save of the page.
    text = " ".join(str(value or "").splitlines())
    if '"' in text or any(char in _GROUPING.sub("", text) for char in KPI_SEPARATORS):
        return '"' + text.replace('"', '""') + '"'
    return text


def kpis_to_text(kpis) -> str:
    """The KPIs as kpis_from_text reads them back, unchanged (a value holding a separator is quoted)."""
    return "\n".join(", ".join(_kpi_text(k.get(name)) for name in ("indicator", "baseline", "target", "fiscal_year"))
                     for k in kpis or [])


# ---- the forms on the detail pages: what was typed comes back with the action's reasons beside it -------------------

def _optional(label, widget=None):
    # Optional to Django: the action says what is required and what is wrong, in the same words as the API.
    return forms.CharField(label=label, required=False, widget=widget or forms.TextInput)


class CampaignReportForm(ActionForm):
    posted_on = _optional("報告日", forms.DateInput(attrs={"type": "date"}))
    text = _optional("報告", forms.Textarea(attrs={"rows": 3}))
    required_fields = ("posted_on", "text")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="report-%s", **kwargs)


class PledgeForm(ActionForm):
    amount = _optional("寄附額（円）", forms.TextInput(attrs={"inputmode": "numeric"}))
    fiscal_year = _optional("年度", forms.TextInput(attrs={"size": 8}))
    no_return_declared = forms.BooleanField(
        label="寄附の代償として経済的な見返り（補助金の交付、入札での便宜など）を受けないことを申告します", required=False)
    # Kept across a refusal: nothing was written under it, and a double submit of the retry is still one pledge.
    idempotency_key = forms.CharField(label="申出の識別キー", required=False, widget=forms.HiddenInput)
    required_fields = ("amount", "fiscal_year", "no_return_declared")

    def __init__(self, *args, **kwargs):
        from .corporate import MIN_PLEDGE

        super().__init__(*args, auto_id="pledge-%s", **kwargs)
        self.fields["amount"].label = f"寄附額（円、{MIN_PLEDGE:,}円以上）"


class ProjectAddForm(ActionForm):
    name = _optional("事業名", forms.TextInput(attrs={"maxlength": 200}))
    sector = OpenChoiceField(label="分野", required=False)
    target_amount = _optional("寄附の目標額（円）", forms.TextInput(attrs={"inputmode": "numeric"}))
    description = _optional("事業の概要", forms.Textarea(attrs={"rows": 2}))
    required_fields = ("name", "sector", "target_amount")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="ap-%s", **kwargs)
        self.fields["sector"].choices = [(s.code, s.name) for s in Sector.objects.all()]


class PledgeStateForm(forms.Form):
    """The 受領/取消 buttons: nothing typed, but a stale version is refused (409) with the pledge as it is now."""

    state = forms.CharField(required=False, widget=forms.HiddenInput)
    version = forms.CharField(required=False, widget=forms.HiddenInput)


class TaxSettingForm(ActionForm):
    credit_end_year = _optional("適用期限（年度）", forms.TextInput(attrs={"size": 8}))
    version = forms.CharField(required=False, widget=forms.HiddenInput)
    required_fields = ("credit_end_year",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="t-%s", **kwargs)

    @staticmethod
    def initial_of(setting) -> dict:
        return {"credit_end_year": setting.credit_end_year, "version": setting.version}
