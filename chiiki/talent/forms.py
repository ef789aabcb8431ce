"""Forms of the talent pages: they only collect values; the actions validate and write (errors come back as
Invalid and are put on the fields here)."""

from django import forms

from chiiki.regions.models import Prefecture
from chiiki.roadmap.models import Sector

from . import rules
from .models import Capability, Format, Kind, Level, VisitMode


def _capability_choices():
    """The vocabulary grouped by sector (共通 last), in its own order: a checkbox list of 80 items needs headings."""
    names = dict(Sector.objects.order_by("order").values_list("code", "name"))
    groups: dict[str, list] = {}
    for c in Capability.objects.all():
        groups.setdefault(c.sector, []).append((c.pk, c.label))
    order = [*names, *sorted(set(groups) - set(names))]
    return [(names.get(code, "共通" if code == "common" else code), groups[code]) for code in order if code in groups]


# The usual eight regions, by prefecture code: 47 checkboxes in one run are 47 Tab stops.
REGIONS = [("北海道・東北", "01", "07"), ("関東", "08", "14"), ("中部", "15", "23"), ("近畿", "24", "30"),
           ("中国", "31", "35"), ("四国", "36", "39"), ("九州・沖縄", "40", "47")]


def _prefecture_groups():
    choices = _prefecture_choices()
    return [(name, group) for name, first, last in REGIONS
            if (group := [(code, label) for code, label in choices if first <= code <= last])]


class CheckboxList(forms.CheckboxSelectMultiple):
    """Several choices without Ctrl held (a list box replaces them all with one at a bare arrow key): a checkbox for
    each, reached with Tab and ticked with Space, posted under the same name as the list box was. Grouped choices fold
    into one <details> per group (one Tab stop while closed, Enter opens it); a group with a ticked item is open, and
    so is the first one of a field sent back empty with an error, for focus to land in it."""

    template_name = "talent/widgets/checkbox_list.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        groups = [(group, options, sum(1 for o in options if o["selected"])) for group, options, _i in widget["optgroups"]]
        empty_and_invalid = (widget["attrs"].get("aria-invalid") == "true") and not any(n for _g, _o, n in groups)
        widget["groups"] = [{"name": group, "options": options, "ticked": ticked,
                             "open": ticked > 0 or (empty_and_invalid and i == 0)}
                            for i, (group, options, ticked) in enumerate(groups)]
        return context


def _prefecture_choices(blank=False):
    choices = [(p.code, p.name) for p in Prefecture.objects.order_by("code")]
    return ([("", "選択してください")] if blank else []) + choices


def _sector_choices(blank=False):
    return ([("", "選択してください")] if blank else []) + list(Sector.objects.order_by("order").values_list("code", "name"))


class ActionForm(forms.Form):
    """A form whose action raised Invalid: put each reason on its field (unknown fields on the form)."""

    def add_problems(self, problems):
        for name, reason in problems:
            self.add_error(name if name in self.fields else None, reason)


MULTIPLE_HELP = "複数選べます。分野の見出しを Enter で開き、Tab で移動してスペースで選ぶ・外す。"


class RequestForm(ActionForm):
    wish = forms.CharField(label="どんな人を探していますか（○○ができる人）", required=False, max_length=200,
                           help_text="例: 見守りセンサーを導入できる人。入力すると下の「できること」の候補を示します。")
    title = forms.CharField(label="求める人（○○ができる人）", max_length=200)
    sector = forms.ChoiceField(label="分野")
    vision = forms.CharField(label="目指す姿", widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="事業で地域がどうなるか。目指す姿のない依頼は人材と結び付けられません。")
    required = forms.MultipleChoiceField(label="必須のできること", widget=CheckboxList, help_text=MULTIPLE_HELP)
    desired = forms.MultipleChoiceField(label="あれば望ましいできること", required=False, widget=CheckboxList,
                                        help_text=MULTIPLE_HELP)
    format = forms.ChoiceField(label="実施形態", choices=Format.choices, initial=Format.MIXED)
    preferred_from = forms.DateField(label="希望時期（から）", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    preferred_to = forms.DateField(label="希望時期（まで）", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    plan = forms.ChoiceField(label="この依頼が支える実装計画（あれば）", required=False,
                             help_text="この団体の実装計画と、参加している広域の計画から選べます。")
    plan_url = forms.URLField(label="実装計画のURL（ほかのサイトで公開している場合）", required=False,
                              assume_scheme="https")
    organisation = forms.CharField(label="推薦する団体（団体以外が受ける場合）", required=False, max_length=200)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, municipality=None, user=None, kept_plan_id=None, **kwargs):
        """`kept_plan_id`: the plan the request names now, which stays a choice even when this user may not see it
        (someone else named their draft): saving keeps it rather than dropping it unseen."""
        super().__init__(*args, **kwargs)
        from .actions import plans_for

        plans = plans_for(municipality, user) if municipality is not None and user is not None else []
        choices = [(str(plan.pk), f"{plan.title}（{plan.start_year}年度〜、{plan.get_status_display()}）")
                   for plan in plans]
        if kept_plan_id and str(kept_plan_id) not in dict(choices):
            choices.append((str(kept_plan_id), f"閲覧できない実装計画（#{kept_plan_id}）: このまま残します"))
        self.fields["plan"].choices = [("", "（選ばない）")] + choices
        caps = _capability_choices()
        self.fields["required"].choices = caps
        self.fields["desired"].choices = caps
        self.fields["sector"].choices = _sector_choices(blank=True)
        for name in ("title", "vision"):
            self.fields[name].error_messages["required"] = f"{self.fields[name].label}を入力してください"
        for name in ("sector", "required"):  # a select and checkboxes: chosen, not typed
            self.fields[name].error_messages["required"] = f"{self.fields[name].label}を選んでください"

    def data_for_action(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("wish", "version")}


class ProfileForm(ActionForm):
    display_name = forms.CharField(label="表示名", max_length=100)
    kind = forms.ChoiceField(label="種別", choices=Kind.choices)
    capabilities = forms.MultipleChoiceField(label="できること", widget=CheckboxList, help_text=MULTIPLE_HELP)
    level = forms.TypedChoiceField(label="自己評価（選んだ「できること」すべてに）", choices=Level.choices, coerce=int,
                                   initial=Level.ABLE)
    evidence = forms.CharField(label="根拠（実績・資格など）", required=False, max_length=300)
    sectors = forms.MultipleChoiceField(label="分野", required=False, widget=forms.CheckboxSelectMultiple)
    home_prefecture = forms.ChoiceField(label="活動拠点の都道府県", required=False)
    prefectures_served = forms.MultipleChoiceField(label="対応できる都道府県", required=False, widget=CheckboxList)
    online_available = forms.BooleanField(label="オンラインで対応できる", required=False)
    uturn_prefectures = forms.MultipleChoiceField(label="I・Uターンの希望先（あれば）", required=False, widget=CheckboxList)
    available_days = forms.DecimalField(label="今年度に対応できる日数", min_value=0, max_value=366, initial=0)
    available_hours = forms.DecimalField(label="今年度に対応できる時間（オンライン）", min_value=0, max_value=2000, initial=0)
    public_profile = forms.CharField(label="公開プロフィール", required=False, widget=forms.Textarea(attrs={"rows": 4}),
                                     help_text="だれでも見られます。連絡先は書かないでください。")
    email = forms.EmailField(label="メールアドレス（非公開）", required=False)
    phone = forms.CharField(label="電話番号（非公開）", required=False, max_length=30)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, skills=(), **kwargs):
        super().__init__(*args, **kwargs)
        # One level and evidence per capability the profile already lists (newly chosen ones take the general
        # level and evidence above until the next edit).
        self.skill_rows = []
        for skill in skills:
            level_name, evidence_name = f"level_{skill.capability_id}", f"evidence_{skill.capability_id}"
            self.fields[level_name] = forms.TypedChoiceField(
                label=f"{skill.capability.label}の自己評価", choices=Level.choices, coerce=int, initial=skill.level,
                required=False, empty_value=skill.level)
            self.fields[evidence_name] = forms.CharField(label=f"{skill.capability.label}の根拠", required=False,
                                                         max_length=300, initial=skill.evidence)
            self.skill_rows.append((skill.capability, self[level_name], self[evidence_name]))
        self.fields["level"].label = "自己評価（新しく選んだできること）" if skills else self.fields["level"].label
        self.fields["evidence"].label = "根拠（新しく選んだできること）" if skills else self.fields["evidence"].label
        self.fields["capabilities"].choices = _capability_choices()
        self.fields["sectors"].choices = _sector_choices()
        self.fields["home_prefecture"].choices = _prefecture_choices(blank=True)
        self.fields["prefectures_served"].choices = _prefecture_groups()
        self.fields["uturn_prefectures"].choices = _prefecture_groups()
        self.fields["display_name"].error_messages["required"] = "表示名を入力してください"
        self.fields["capabilities"].error_messages["required"] = "できることを1つ以上選んでください"

    @staticmethod
    def initial_of(profile) -> dict:
        skills = list(profile.skills.all())
        return {"display_name": profile.display_name, "kind": profile.kind,
                "capabilities": [s.capability_id for s in skills],
                "level": skills[0].level if skills else Level.ABLE, "evidence": skills[0].evidence if skills else "",
                "sectors": profile.sectors, "home_prefecture": profile.home_prefecture_id or "",
                "prefectures_served": list(profile.prefectures_served.values_list("pk", flat=True)),
                "online_available": profile.online_available,
                "uturn_prefectures": list(profile.uturn_prefectures.values_list("pk", flat=True)),
                "available_days": profile.available_days, "available_hours": profile.available_hours,
                "public_profile": profile.public_profile, "email": profile.email, "phone": profile.phone,
                "version": profile.version}

    def data_for_action(self, profile=None) -> dict:
        data = dict(self.cleaned_data)
        skills = []
        for c in data.pop("capabilities"):
            if f"level_{c}" in self.data:  # the row was on the page (not a client that never saw it)
                skills.append({"capability": c, "level": data[f"level_{c}"], "evidence": data[f"evidence_{c}"]})
            else:
                skills.append({"capability": c, "level": data["level"], "evidence": data["evidence"]})
        kept = {s.capability_id: s for s in profile.skills.all()} if profile else {}
        for skill in skills:  # a client without the per-row fields keeps what was there
            if skill["capability"] in kept and f"level_{skill['capability']}" not in self.data:
                skill["level"] = kept[skill["capability"]].level
                skill["evidence"] = skill["evidence"] or kept[skill["capability"]].evidence
        data = {k: v for k, v in data.items() if not k.startswith(("level_", "evidence_"))}
        data["skills"] = skills
        data["uturn_intention"] = bool(data.get("uturn_prefectures"))
        return data


class VisitForm(ActionForm):
    date = forms.DateField(label="日付", widget=forms.DateInput(attrs={"type": "date"}))
    hours = forms.DecimalField(label="時間", min_value=0, max_value=24, decimal_places=1)
    mode = forms.ChoiceField(label="形態", choices=VisitMode.choices)
    participants = forms.IntegerField(label="参加者数", min_value=0, initial=0)
    note = forms.CharField(label="内容", required=False, max_length=300)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The date picker stops at today (Japan time), the day add_visit accepts up to; add_visit stays the check.
        self.fields["date"].widget.attrs["max"] = rules.today().isoformat()


class ReportForm(ActionForm):
    done = forms.CharField(label="実施内容", widget=forms.Textarea(attrs={"rows": 3}))
    handed_over_to = forms.CharField(label="ノウハウの引継ぎ（誰に何を引き継いだか）", widget=forms.Textarea(attrs={"rows": 3}))
    gained = forms.MultipleChoiceField(label="団体の職員が自らできるようになったこと", required=False, widget=CheckboxList)
    next_steps = forms.CharField(label="今後の取組", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gained"].choices = _capability_choices()


class RateForm(ActionForm):
    rating = forms.TypedChoiceField(label="評価", choices=[(i, f"{i}") for i in range(5, 0, -1)], coerce=int,
                                    widget=forms.RadioSelect, error_messages={
                                        "required": "評価は1〜5で選んでください",
                                        "invalid_choice": "評価は1〜5で選んでください"})
    comment = forms.CharField(label="コメント", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)


REASON_LABELS = {"decline": "辞退の理由", "reject": "不採択の理由", "withdraw": "取下げの理由"}


class ReasonForm(ActionForm):
    """The 理由 line of 辞退・不採択・取下げ on the request page. Required (but withdraw) is checked by the action, so an
    empty one comes back beside the field in Japanese (the form is novalidate, not the browser's bubble). Ids carry the
    move's name: the page holds one such form per move."""

    reason = forms.CharField(label="理由", required=False)

    def __init__(self, *args, move: str, **kwargs):
        super().__init__(*args, auto_id=f"id_{move}_%s", **kwargs)
        # Named after its move: the admin sees the 不採択 and 取下げ lines one above the other.
        self.fields["reason"].label = REASON_LABELS.get(move, "理由")
        if move != "withdraw":
            self.fields["reason"].widget.attrs["required"] = True  # marks it 必須 (components/field.html)


class CapabilityForm(ActionForm):
    label = forms.CharField(label="できること", max_length=120)
    synonyms = forms.CharField(label="同義語（; で区切る）", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class AccountForm(ActionForm):
    username = forms.CharField(label="結び付けるアカウントのユーザー名（空欄で解除）", required=False, max_length=150,
                               help_text="役割がアドバイザーまたは企業のアカウント。そのアカウントで本人がプロフィールを編集できます。")
    version = forms.IntegerField(widget=forms.HiddenInput)


class RoundForm(ActionForm):
    fiscal_year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    number = forms.IntegerField(label="回", min_value=1, max_value=12)
    deadline = forms.DateField(label="締切日（15時締切）", widget=forms.DateInput(attrs={"type": "date"}))
    # 0: the editor saw no such round (a new one); otherwise the version of the round being changed.
    version = forms.IntegerField(widget=forms.HiddenInput, initial=0, min_value=0)
