"""Forms: the admin program editor, saving a search, the navigator.

ProgramForm shows people Japanese choices (select boxes, checkboxes, a table of subsidy-rate tiers) and turns
them back into the catalog file's row (form.row()), which actions.save_program parses like an imported file: one
code path, and an edited program exports the same row a file would hold.
"""

import re
from decimal import Decimal

from django import forms

from chiiki.progress.models import Stage
from chiiki.roadmap.models import Sector

from .alerts import CLOSING_DAYS
from .catalog import COLUMNS, parse_ended_year
from .eligibility import CONDITION_FLAGS, FISCAL_BOUNDS, PREFECTURE_NAMES, parse_rate_tiers
from .models import (
    AREA_FLAGS,
    ENTITY_KINDS,
    AreaLogic,
    Kind,
    PackageRole,
    ProviderType,
    SupportProgram,
    SupportType,
)
from .windows import parse_windows

TIERS = 4  # rows in the rate-tier table; the catalog's programs use at most three
ALL_SECTORS = "all"

HELP = {
    "id": "英大文字・数字・ハイフン（例: MIC-ICT-ADVISOR）。URLとAPIで使います。",
    "subsidy_rate": "例: 1/2、定額、10/10（上限あり）",
    "eligibility": "募集要領などの対象の記述をそのまま",
    "entity_check_note": "「要確認の団体区分」を選んだときに、確認が要る理由",
    "fiscal_index_lt": "この値未満の団体が対象（どちらか一方を入力）",
    "fiscal_index_le": "この値以下の団体が対象（どちらか一方を入力）",
    "excluded_fiscal_index_ge": "除外地域の都道府県に所在し、この値以上の団体を除外の目安にします",
    "prerequisites": "1行に1つ（例: 地域再生計画の認定）",
    "windows": "1行に1つ。通年なら「通年」、期間は「2026-04-01〜2026-05-31」、毎月締切は「毎月 4月〜12月」"
               "（毎月10日締切なら「毎月 4月〜12月 10日」）",
    "terms_year": "募集要領の年度（西暦、例: 2026）",
    "ended_fiscal_year": "募集を終えた（制度が廃止・再編された）ときだけ、最後に募集した年度を西暦4桁で（例: 2024）。"
                         "この年度を過ぎると検索と支援メニューナビで「募集終了」になり、推薦されません",
    "successor": "この支援メニューを引き継いだ支援メニュー（ページと検索結果に案内を表示します）",
}


NUMBER = {"invalid": "数値で入力してください", "min_value": "%(limit_value)s以上の値を入力してください",
          "max_value": "%(limit_value)s以下の値を入力してください",
          "max_decimal_places": "小数点以下は%(max)s桁までで入力してください"}
WHOLE_NUMBER = {**NUMBER, "invalid": "整数で入力してください"}


def _checkboxes(choices, label, **extra):
    return forms.MultipleChoiceField(label=label, choices=choices, required=False,
                                     widget=forms.CheckboxSelectMultiple, **extra)


# ---- 募集期間: Japanese text ↔ the catalog's `always; 2026-04-01..2026-05-31; monthly:4-12:10` ----------------

def windows_to_text(value: str) -> str:
    lines = []
    for part in (p.strip() for p in (value or "").split(";") if p.strip()):
        if part == "always":
            lines.append("通年")
        elif part.startswith("monthly:"):
            months, _, day = part.removeprefix("monthly:").partition(":")
            first, _, last = months.partition("-")
            lines.append(f"毎月 {first}月〜{last}月" + (f" {day}日" if day else ""))
        else:
            lines.append(part.replace("..", "〜"))
    return "\n".join(lines)


def windows_from_text(text: str) -> str:
    parts = []
    for line in (ln.strip() for ln in (text or "").splitlines() if ln.strip()):
        line = line.replace("～", "〜").replace("~", "〜")
        if line in ("通年", "随時"):
            parts.append("always")
        elif m := re.fullmatch(r"毎月\s*(\d{1,2})月?\s*〜\s*(\d{1,2})月?(?:\s*(\d{1,2})日?)?", line):
            parts.append(f"monthly:{m.group(1)}-{m.group(2)}" + (f":{m.group(3)}" if m.group(3) else ""))
        elif m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\s*(?:〜|\.\.)\s*(\d{4}-\d{2}-\d{2})", line):
            parts.append(f"{m.group(1)}..{m.group(2)}")
        else:
            parts.append(line)  # passed on as typed: save_program's parser names the line it cannot read
    return ";".join(parts)


class ProgramForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, current: dict | None = None, **kwargs):
        """current: the program's catalog row as stored, so an unchanged tier keeps its stored wording."""
        super().__init__(*args, **kwargs)
        self.current = current or {}
        labels = {c.name: c.label for c in COLUMNS}
        text = {"name", "provider", "subsidy_rate", "entity_check_note", "excluded_area_label"}
        for name in ("id", "name", "provider"):
            self.fields[name] = forms.CharField(label=labels[name])
        self.fields["provider_type"] = forms.ChoiceField(label=labels["provider_type"], choices=ProviderType.choices)
        self.fields["kind"] = forms.ChoiceField(label=labels["kind"], choices=Kind.choices)
        self.fields["support_type"] = forms.ChoiceField(label=labels["support_type"], choices=SupportType.choices)
        sectors = [(ALL_SECTORS, "すべての分野（分野を問わない）")] + list(
            Sector.objects.order_by("order").values_list("code", "name"))
        self.fields["sectors"] = _checkboxes(sectors, labels["sectors"])
        self.fields["summary"] = forms.CharField(label=labels["summary"], widget=forms.Textarea(attrs={"rows": 3}))
        self.fields["subsidy_rate"] = forms.CharField(label=labels["subsidy_rate"], required=False)
        for name in ("cap_yen", "min_project_yen", "population_min", "population_max"):
            self.fields[name] = forms.IntegerField(label=labels[name], required=False, min_value=0,
                                                   error_messages=WHOLE_NUMBER)
        self.fields["max_years"] = forms.IntegerField(label=labels["max_years"], required=False, min_value=0,
                                                     error_messages=WHOLE_NUMBER)
        self.fields["eligibility"] = forms.CharField(label=labels["eligibility"], required=False,
                                                     widget=forms.Textarea(attrs={"rows": 3}))
        self.fields["source"] = forms.URLField(label=labels["source"], required=False, assume_scheme="https")
        kinds = list(ENTITY_KINDS.items())
        self.fields["entity_kinds"] = _checkboxes(kinds, labels["entity_kinds"],
                                                  help_text="選ばなければ団体区分を問いません")
        self.fields["entity_check_kinds"] = _checkboxes(kinds, labels["entity_check_kinds"])
        self.fields["entity_check_note"] = forms.CharField(label=labels["entity_check_note"], required=False)
        for name in ("fiscal_index_lt", "fiscal_index_le", "excluded_fiscal_index_ge"):
            self.fields[name] = forms.DecimalField(label=labels[name], required=False, min_value=0,
                                                   max_value=Decimal("9.99"), decimal_places=2, error_messages=NUMBER)
        self.fields["area_conditions"] = _checkboxes(list(AREA_FLAGS.items()), labels["area_conditions"],
                                                     help_text="いずれかに該当すれば対象")
        self.fields["area_logic"] = forms.ChoiceField(label=labels["area_logic"], choices=AreaLogic.choices,
                                                      widget=forms.RadioSelect, initial=AreaLogic.ALL)
        self.fields["excluded_prefectures"] = _checkboxes(
            list(PREFECTURE_NAMES.items()), labels["excluded_prefectures"])
        self.fields["excluded_area_label"] = forms.CharField(label=labels["excluded_area_label"], required=False)
        self.fields["prerequisites"] = forms.CharField(label=labels["prerequisites"], required=False,
                                                       widget=forms.Textarea(attrs={"rows": 3}))
        self.fields["stages"] = _checkboxes(Stage.choices, labels["stages"])
        self.fields["package_roles"] = _checkboxes(PackageRole.choices, labels["package_roles"])
        self.fields["windows"] = forms.CharField(label=labels["windows"], required=False,
                                                 widget=forms.Textarea(attrs={"rows": 2}))
        self.fields["terms_year"] = forms.IntegerField(label=labels["terms_year"], required=False,
                                                       min_value=1990, max_value=2100, error_messages=WHOLE_NUMBER)
        self.fields["last_verified"] = forms.DateField(label=labels["last_verified"], required=False,
                                                       widget=forms.DateInput(attrs={"type": "date"}),
                                                       error_messages={"invalid": "日付を入力してください（例: 2026-04-01）"})
        # Text, not IntegerField: the catalog's parser gives the one message for a bad 年度 (form and file alike).
        self.fields["ended_fiscal_year"] = forms.CharField(label=labels["ended_fiscal_year"], required=False,
                                                           max_length=10)
        # Choices are read per form: the catalog changes.
        others = SupportProgram.objects.order_by("public_id").values_list("public_id", "name")
        self.fields["successor"] = forms.ChoiceField(
            label=labels["successor"], required=False,
            choices=[("", "なし"), *((pid, f"{name}（{pid}）") for pid, name in others
                                     if pid != self.current.get("id"))])
        for index in range(1, TIERS + 1):
            self.fields[f"tier{index}_rate"] = forms.CharField(label=f"区分{index}の補助率", required=False,
                                                               max_length=40)
            self.fields[f"tier{index}_fiscal_bound"] = forms.ChoiceField(
                label=f"区分{index}の財政力指数の条件", required=False,
                choices=[("", "条件なし"), *((k, f"財政力指数が次の値{v}") for k, v in FISCAL_BOUNDS.items())])
            self.fields[f"tier{index}_fiscal_value"] = forms.DecimalField(
                label=f"区分{index}の財政力指数の値", required=False, min_value=0, max_value=Decimal("9.99"),
                decimal_places=2, error_messages=NUMBER)
            self.fields[f"tier{index}_flags"] = _checkboxes(list(CONDITION_FLAGS.items()), f"区分{index}の地域の条件")
        for name, field in self.fields.items():
            if name in HELP:
                field.help_text = HELP[name]
            if name in text:
                field.widget.attrs.setdefault("size", 40)
        if not self.is_bound and self.initial:
            self.initial = self.initial_from_row(self.initial)

    # ---- catalog row ↔ form values ---------------------------------------------------------------------------

    @staticmethod
    def initial_from_row(row: dict) -> dict:
        """A catalog row (catalog.row_of) → the form's initial values."""
        initial = dict(row)
        lists = {"entity_kinds", "entity_check_kinds", "area_conditions", "excluded_prefectures", "stages",
                 "package_roles"}
        for name in lists:
            initial[name] = [v for v in (row.get(name) or "").split(";") if v]
        initial["sectors"] = [v for v in (row.get("sectors") or "").split(";") if v]
        initial["prerequisites"] = "\n".join(v for v in (row.get("prerequisites") or "").split("|") if v)
        initial["windows"] = windows_to_text(row.get("windows") or "")
        try:
            tiers = parse_rate_tiers(row.get("rate_tiers") or "")
        except ValueError:
            tiers = []
        for index, (rate, conditions) in enumerate(tiers[:TIERS], start=1):
            initial[f"tier{index}_rate"] = rate
            initial[f"tier{index}_flags"] = [c for c in conditions if c in CONDITION_FLAGS]
            for condition in conditions:
                bound, _, value = condition.partition("=")
                if bound in FISCAL_BOUNDS:
                    initial[f"tier{index}_fiscal_bound"], initial[f"tier{index}_fiscal_value"] = bound, value
        return initial

    def clean_sectors(self):
        sectors = self.cleaned_data.get("sectors") or []
        if not sectors:
            raise forms.ValidationError("分野を1つ以上選ぶか、「すべての分野」を選んでください")
        if ALL_SECTORS in sectors and len(sectors) > 1:
            raise forms.ValidationError("「すべての分野」とほかの分野は同時に選べません")
        return sectors

    def clean_ended_fiscal_year(self):
        text = (self.cleaned_data.get("ended_fiscal_year") or "").strip()
        try:
            parse_ended_year(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return text

    def clean_windows(self):
        text = self.cleaned_data.get("windows") or ""
        for line in (ln.strip() for ln in text.splitlines() if ln.strip()):
            try:
                parse_windows(windows_from_text(line))
            except ValueError as exc:  # the parser's reason (in Japanese) says what to change
                raise forms.ValidationError(f"募集期間を読み取れません: 「{line}」（{exc}）。{HELP['windows']}") from None
        return text

    def clean(self):
        cleaned = super().clean()
        for index in range(1, TIERS + 1):
            rate = (cleaned.get(f"tier{index}_rate") or "").strip()
            bound, value = cleaned.get(f"tier{index}_fiscal_bound"), cleaned.get(f"tier{index}_fiscal_value")
            flags = cleaned.get(f"tier{index}_flags") or []
            if bound and value is None:
                self.add_error(f"tier{index}_fiscal_value", "財政力指数の条件を選んだときは値を入力してください")
            if value is not None and not bound:
                self.add_error(f"tier{index}_fiscal_bound", "値に対する条件（以下／未満）を選んでください")
            if (bound or flags) and not rate:
                self.add_error(f"tier{index}_rate", "条件を付けた区分には補助率を入力してください")
            if rate and any(c in rate for c in ":|+"):
                self.add_error(f"tier{index}_rate", "補助率に「:」「|」「+」は使えません")
        return cleaned

    def rate_tiers(self) -> str:
        stored = {}
        for part in (self.current.get("rate_tiers") or "").split("|"):
            try:
                for rate, conditions in parse_rate_tiers(part):
                    stored[(rate, frozenset(conditions))] = part.strip()
            except ValueError:
                continue
        tiers = []
        for index in range(1, TIERS + 1):
            rate = (self.cleaned_data.get(f"tier{index}_rate") or "").strip()
            if not rate:
                continue
            conditions = []
            bound, value = self.cleaned_data.get(f"tier{index}_fiscal_bound"), \
                self.cleaned_data.get(f"tier{index}_fiscal_value")
            if bound and value is not None:
                conditions.append(f"{bound}={format(value.normalize(), 'f')}")
            conditions += self.cleaned_data.get(f"tier{index}_flags") or []
            tiers.append(stored.get((rate, frozenset(conditions))) or
                         rate + (":" + "+".join(conditions) if conditions else ""))
        return "|".join(tiers)

    def row(self) -> dict[str, str]:
        """The catalog row for actions.save_program (the same text an imported file would hold)."""
        data = self.cleaned_data
        row = {}
        for column in COLUMNS:
            value = data.get(column.name)
            if isinstance(value, list):
                value = ";".join(value)
            elif isinstance(value, Decimal):
                value = format(value.normalize(), "f")
            elif value is None:
                value = ""
            row[column.name] = str(value)
        row["last_verified"] = data["last_verified"].isoformat() if data.get("last_verified") else ""
        row["prerequisites"] = "|".join(ln.strip() for ln in (data.get("prerequisites") or "").splitlines()
                                        if ln.strip())
        row["windows"] = windows_from_text(data.get("windows") or "")
        row["rate_tiers"] = self.rate_tiers()
        return row

    def tier_rows(self):
        """The rate-tier table for the template: one list of bound fields per tier."""
        return [(index, self[f"tier{index}_rate"], self[f"tier{index}_fiscal_bound"],
                 self[f"tier{index}_fiscal_value"], self[f"tier{index}_flags"]) for index in range(1, TIERS + 1)]

    def main_fields(self):
        skip = {"version"} | {f"tier{i}_{part}" for i in range(1, TIERS + 1)
                              for part in ("rate", "fiscal_bound", "fiscal_value", "flags")}
        return [self[name] for name in self.fields if name not in skip]


class SaveSearchForm(forms.Form):
    name = forms.CharField(label="名前", max_length=100, required=False)
    params = forms.CharField(label="検索条件", widget=forms.HiddenInput, required=False, max_length=1000)
    alerts = forms.BooleanField(label=f"新着と締切（{CLOSING_DAYS}日以内）をメールで受け取る", required=False,
                                help_text="通知は明示的に有効にした場合のみ、1日1通にまとめて送ります。"
                                          "メール内のリンクからいつでも停止できます。")
