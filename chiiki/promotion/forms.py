"""Forms of the promotion pages. They carry and render what people type (labels, widgets, help); actions.py
validates it — the same checks and Japanese messages as the API — and views put its Invalid problems back on the
fields (chiiki/core/forms.py)."""

from django import forms
from django.utils import timezone

from chiiki import access
from chiiki.core.errors import Invalid
from chiiki.core.forms import ActionForm, OpenChoiceField, OpenMultipleChoiceField, row_id
from chiiki.regions.models import Municipality, Prefecture

from . import actions, queries
from .models import ORGANISATION_ORDER, CouncilRole, EventFormat, Organisation, OrganisationKind, PlanRole

NONE = [("", "（なし）")]


def sector_choices():
    return [(s["code"], s["name"]) for s in queries.sectors()]


def prefecture_choices():
    return list(Prefecture.objects.order_by("code").values_list("code", "name"))


def _text(label, *, maxlength=None, **kwargs):
    attrs = {"maxlength": maxlength} if maxlength else {}
    return forms.CharField(label=label, required=False, widget=forms.TextInput(attrs=attrs), **kwargs)


def _typed(label, input_type, **kwargs):
    return forms.CharField(label=label, required=False, widget=forms.TextInput(attrs={"type": input_type}), **kwargs)


def _url(label, **kwargs):
    return forms.CharField(label=label, required=False, widget=forms.URLInput, **kwargs)


def _textarea(label, rows=5, **kwargs):
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


def _number(label, **kwargs):
    return forms.CharField(label=label, required=False, widget=forms.NumberInput(attrs={"min": 0}), **kwargs)


def _sectors(label="分野"):
    return OpenMultipleChoiceField(label=label, required=False, widget=forms.CheckboxSelectMultiple)


def _version():
    # Raw text: the action reads it (editing.require_version) and says what is wrong with it.
    return forms.CharField(required=False, widget=forms.HiddenInput)


class CommitmentForm(ActionForm):
    declared_on = _typed("表明日", "date")
    title = _text("表明の内容", maxlength=200)
    document_url = _url("文書のURL")
    required_fields = ("declared_on", "title", "document_url")


class WeightsForm(ActionForm):
    """One number per weight, labelled as the action names them in its messages."""

    version = _version()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in actions.WEIGHT_LABELS.items():
            self.fields[name] = _number(label)
            self.fields[name].widget.attrs["required"] = True

    @staticmethod
    def initial_of(weights) -> dict:
        return {**{name: getattr(weights, name) for name in actions.WEIGHT_FIELDS}, "version": weights.version}


class DesignateForm(ActionForm):
    code = forms.CharField(label="団体コード", required=False, widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    fiscal_year = _text("指定年度")
    sectors = _sectors("対象分野")
    package_name = _text("パッケージ名（任意）", maxlength=100)
    story = _textarea("取組の紹介", rows=6)
    required_fields = ("code", "fiscal_year", "story")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sectors"].choices = sector_choices()


class OrganisationForm(ActionForm):
    name = _text("名称")
    kind = OpenChoiceField(label="種別", required=False, choices=OrganisationKind.choices)
    corporate_number = _text("法人番号（任意）", help_text="13桁（検査用数字を確認します）。法人でない団体は空欄")
    prefecture = OpenChoiceField(label="所在都道府県（任意）", required=False)
    sectors = _sectors()
    website = _url("ウェブサイト（任意）")
    version = _version()
    required_fields = ("name", "kind")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prefecture"].choices = NONE + prefecture_choices()
        self.fields["sectors"].choices = sector_choices()

    @staticmethod
    def initial_of(org) -> dict:
        return {**{n: getattr(org, n) for n in ("name", "kind", "corporate_number", "website", "version")},
                "prefecture": org.prefecture_id or "", "sectors": [s.code for s in org.sectors.all()]}


class CouncilForm(ActionForm):
    name = _text("名称")
    prefecture = OpenChoiceField(label="都道府県（任意）", required=False,
                                 help_text="市区町村の協議会では市区町村の都道府県になります")
    municipality = OpenChoiceField(label="市区町村（任意）", required=False,
                                   help_text="都道府県の協議会では「（なし）」のまま")
    description = _textarea("概要（任意）")
    website = _url("ウェブサイト（任意）")
    required_fields = ("name",)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # Only the prefectures whose councils the user may register: picking another one would be refused after
        # the whole form was typed.
        choices = prefecture_choices()
        if user is not None and not access.is_admin(user):
            choices = [(code, name) for code, name in choices
                       if access.can(user, "promotion.council_manage", Prefecture(code=code))
                       or (user.municipality_id and user.municipality.prefecture_id == code)]
        self.fields["prefecture"].choices = NONE + choices
        # Municipalities by name, not 団体コード (which a prefecture officer does not know), and only those the user
        # manages: the prefecture's for its officer, one's own for municipal staff, all (by prefecture) for the admin.
        self.fields["municipality"].choices = NONE + municipality_choices(user)
        # The national admin's list holds every municipality: static/js/select-filter.js adds a box to type a name in.
        self.fields["municipality"].widget.attrs["data-select-filter"] = "市区町村名で絞り込み"

    def clean(self):
        """A municipality or prefecture the user may not register a council for was refused with a bare 403 after
        the whole form was typed: say so beside the field (422), as for a code that names no municipality."""
        data = super().clean()
        if self.user is None or self.errors:
            return data
        problems = []
        municipality = actions.council_municipality(problems, data.get("municipality"))
        prefecture = Prefecture.objects.filter(pk=data.get("prefecture") or "").first()
        if municipality is not None:
            if not access.can(self.user, "promotion.council_manage", municipality):
                self.add_error("municipality", f"{municipality.full_name}の協議会は登録できません。"
                                               "担当する市区町村から選んでください")
        elif not problems and prefecture is not None \
                and not access.can(self.user, "promotion.council_manage", prefecture):
            if access.scope_managed_municipalities(self.user, Municipality.objects.all()).exists():
                self.add_error("municipality", f"{prefecture.name}の協議会は都道府県の担当者が登録します。"
                                               "市区町村を選んでください")
            else:
                self.add_error("prefecture", f"{prefecture.name}の協議会は登録できません")
        return data


def municipality_choices(user) -> list:
    """[(prefecture name, [(code, "名称（コード）"), …]), …] of the municipalities the user manages: a <select> with
    one group per prefecture, in 団体コード order (the order of the official lists), chosen with the arrow keys or
    the phone's own picker."""
    if user is None:
        return []
    rows = access.scope_managed_municipalities(
        user, Municipality.objects.select_related("prefecture").order_by("prefecture_id", "code"))
    groups = {}
    for m in rows:
        groups.setdefault(m.prefecture.name, []).append((m.code, f"{m.name}（{m.code}）"))
    return list(groups.items())


class ChallengeForm(ActionForm):
    municipality = forms.CharField(required=False, widget=forms.HiddenInput)
    sector = OpenChoiceField(label="分野", required=False)
    title = _text("課題名")
    problem = _textarea("解決したい課題")
    requirements = _textarea("解決策に求めること")
    budget_min = _number("予算の下限（円）（任意）")
    budget_max = _number("予算の上限（円）（任意）")
    deadline = _typed("提案の締切", "date")
    small_orders = forms.BooleanField(label="少額・分割発注", required=False)
    no_track_record = forms.BooleanField(label="実績要件なし", required=False)
    pilot_first = forms.BooleanField(label="実証から開始", required=False)
    required_fields = ("sector", "title", "problem", "requirements", "deadline")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = sector_choices()


class ChallengeEditForm(ChallengeForm):
    version = _version()

    @staticmethod
    def initial_of(challenge) -> dict:
        return {**{n: getattr(challenge, n) for n in ("title", "problem", "requirements", "budget_min", "budget_max",
                                                      "small_orders", "no_track_record", "pilot_first", "version")},
                "sector": challenge.sector_id, "deadline": challenge.deadline.isoformat()}


class WithdrawChallengeForm(ActionForm):
    reason = _textarea("取下げの理由")
    version = _version()
    required_fields = ("reason",)

    @staticmethod
    def initial_of(challenge) -> dict:
        return {"version": challenge.version}


class ProposalForm(ActionForm):
    summary = _textarea("概要")
    approach = _textarea("進め方")
    cost = _number("見積額（円）")
    team = _textarea("体制")
    required_fields = ("summary", "approach", "cost", "team")


class OwnProposalForm(ProposalForm):
    """The proposing organisation's edit of its proposal (`auto_id="own-%s"`, apart from a new proposal's form)."""

    version = _version()

    @staticmethod
    def initial_of(proposal) -> dict:
        return {"summary": proposal.summary, "approach": proposal.approach, "cost": proposal.cost,
                "team": proposal.team, "version": proposal.version}


class _ProposalButtonForm(ActionForm):
    """A button on one proposal: nothing is typed, so after a conflict the form says what changed (CHANGED_FIRST)
    instead of the shared "your input was kept" message, and carries the proposal's version now."""

    version = _version()  # the proposal's
    CHANGED_FIRST = ""

    @staticmethod
    def initial_of(proposal) -> dict:
        return {"version": proposal.version}

    def submit(self, save, stored=None):
        saved = super().submit(save, stored)
        if self.conflict:
            self.conflict = self.CHANGED_FIRST
        return saved


class WithdrawProposalForm(_ProposalButtonForm):
    """The 取り下げる button: a refusal (deadline passed, stale version) is said beside it."""

    CHANGED_FIRST = "この提案は別の画面で変更されました。いまの内容を確かめてから、もう一度操作してください。"


class SelectProposalForm(ActionForm):
    """One per proposal on the challenge page; `auto_id="%s-<proposal>"` keeps each proposal's fields apart."""

    amount = _number("契約金額（円）")
    proposal = forms.CharField(required=False, widget=forms.HiddenInput)
    version = _version()  # the challenge's
    required_fields = ("amount",)

    @staticmethod
    def initial_of(challenge) -> dict:
        # After a conflict only the version moves: the other person's amount may belong to another proposal.
        return {"version": challenge.version}


class ShortlistForm(_ProposalButtonForm):
    """A proposal's 候補にする / 候補から外す button, one per proposal (`auto_id="shortlist-%s-<proposal>"`): a refusal
    (the outcome published, a stale or missing version) comes back on the proposal it was pressed for."""

    proposal = forms.CharField(required=False, widget=forms.HiddenInput)
    CHANGED_FIRST = "ほかの人が先にこの提案の状態を変更しました。いまの状態を確かめてから、もう一度操作してください。"


class _NamesOrganisation(ActionForm):
    """A form that names one registered organisation; the action takes the row (organisation_of)."""

    organisation = OpenChoiceField(label="組織", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        named = Organisation.objects.order_by(*ORGANISATION_ORDER).values_list("pk", "name")
        self.fields["organisation"].choices = [("", "選んでください"), *named]

    @staticmethod
    def organisation_of(data) -> Organisation:
        number = row_id(data.get("organisation"))
        org = Organisation.objects.filter(pk=number).first() if number is not None else None
        if org is None:
            raise Invalid([("organisation", "組織を選んでください")])
        return org


class CouncilMemberForm(_NamesOrganisation):
    role = OpenChoiceField(label="役割", required=False, choices=CouncilRole.choices, initial=CouncilRole.MEMBER)
    required_fields = ("organisation", "role")


class PlanOrganisationForm(_NamesOrganisation):
    """On the funding plan page (templatetags/promotion_plan.py), whose other forms use Django's own ids."""

    role = OpenChoiceField(label="役割", required=False, choices=PlanRole.choices)
    note = _text("担う内容（任意）", maxlength=200)
    required_fields = ("organisation", "role")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="plan-org-%s", **kwargs)


class PlanOrganisationRemoveForm(forms.Form):
    """The 外す button of a row: nothing typed, but a stale version is refused (409) with the rows as they are now."""

    version = _version()


def organiser_choices(user) -> list[tuple[str, str]]:
    """Whom the user may name as an event's organiser: "organisation:<id>", "prefecture:<code>",
    "municipality:<code>" (the action checks the one sent)."""
    choices = []
    if access.is_admin(user):
        choices += [(f"organisation:{o.pk}", o.name) for o in Organisation.objects.order_by(*ORGANISATION_ORDER)]
    else:
        membership = getattr(user, "organisation_membership", None)
        if membership is not None:
            choices.append((f"organisation:{membership.organisation_id}", membership.organisation.name))
    if user.prefecture_id and not user.municipality_id and access.manages(user, user.prefecture):
        choices.append((f"prefecture:{user.prefecture_id}", user.prefecture.name))
    if user.municipality_id and access.manages(user, user.municipality):
        choices.append((f"municipality:{user.municipality_id}", user.municipality.full_name))
    return choices


class EventForm(ActionForm):
    title = _text("名称")
    organiser = OpenChoiceField(label="主催", required=False)
    sectors = _sectors()
    format = OpenChoiceField(label="開催形式", required=False, choices=EventFormat.choices)
    starts_at = _typed("開始日時（日本時間）", "datetime-local")
    ends_at = _typed("終了日時（日本時間）", "datetime-local")
    online_url = _url("オンライン参加のURL（任意）")
    venue = _text("会場（任意）")
    capacity = _number("定員（任意）", help_text="空欄は制限なし")
    description = _textarea("内容（任意）")
    recording_url = _url("録画のURL（開催後）（任意）")
    materials_url = _url("資料のURL（開催後）（任意）")
    version = _version()
    required_fields = ("title", "organiser", "format", "starts_at", "ends_at")

    def __init__(self, *args, user, event=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = organiser_choices(user)
        current = self.initial.get("organiser")
        if event is not None and current not in {value for value, _label in choices}:
            choices.append((current, event.organiser_name))  # kept when its editor may not pick it any more
        self.fields["organiser"].choices = choices
        self.fields["sectors"].choices = sector_choices()

    @staticmethod
    def initial_of(e) -> dict:
        organiser = (f"organisation:{e.organiser_organisation_id}" if e.organiser_organisation_id else
                     f"municipality:{e.organiser_municipality_id}" if e.organiser_municipality_id else
                     f"prefecture:{e.organiser_prefecture_id}")
        return {**{n: getattr(e, n) for n in ("title", "format", "online_url", "venue", "description", "capacity",
                                              "recording_url", "materials_url", "version")},
                "organiser": organiser, "sectors": [s.code for s in e.sectors.all()],
                "starts_at": timezone.localtime(e.starts_at).strftime("%Y-%m-%dT%H:%M"),
                "ends_at": timezone.localtime(e.ends_at).strftime("%Y-%m-%dT%H:%M")}
