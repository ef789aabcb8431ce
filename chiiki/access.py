"""The one place where permission rules live.

- can(user, action, obj)      → bool
- require(user, action, obj)  → raises Http404 if the user may not even see obj, PermissionDenied (403) if
                                they may see it but not do `action`.
- require_view(user, obj)     → Http404 unless can_view(user, obj).
- scope_*(user, queryset)      → the rows the user may see/edit (history, owned, managed municipalities,
                                public-or-managed drafts, talent requests, datasets, pledges).
- staff_municipality_id / staff_prefecture_id(user) → the place a signed-in officer belongs to.
- manages_a_place(user) → whether `manages` says yes for some place (admin, prefecture or municipal officer).

Actions are strings "<area>.<verb>" in RULES, each a function (user, obj) -> bool. Objects are model instances
(a Municipality for most edits). Anonymous and inactive users count as the public; superusers as national admins.
Every rule is tested for every role in chiiki/accounts/tests/test_access.py: add a row there with a new rule.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from chiiki.accounts.models import Role
from chiiki.regions.models import Municipality, Prefecture


class _System:
    """The actor of management commands run by an operator without --user: full rights.

    An explicit sentinel (never None) so that a missing user can never be mistaken for the system.
    History records it as 「システム」.
    """

    is_authenticated = False
    is_active = True
    pk = None

    def __repr__(self):
        return "SYSTEM"


SYSTEM = _System()


def _active(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_admin(user) -> bool:
    if user is SYSTEM:
        return True
    return _active(user) and (user.role == Role.NATIONAL_ADMIN or user.is_superuser)


def role_of(user) -> str:
    """'public' for anonymous users."""
    if not _active(user):
        return "public"
    if user.is_superuser:
        return Role.NATIONAL_ADMIN
    return user.role


def staff_municipality_id(user) -> str | None:
    """The municipality a signed-in municipal officer belongs to (None for everyone else)."""
    if _active(user) and user.role == Role.MUNICIPAL_STAFF and user.municipality_id:
        return user.municipality_id
    return None


def staff_prefecture_id(user) -> str | None:
    """The prefecture a signed-in prefecture officer belongs to (None for everyone else)."""
    if _active(user) and user.role == Role.PREFECTURE_STAFF and user.prefecture_id:
        return user.prefecture_id
    return None


def manages_a_place(user) -> bool:
    """True for the national admin and for officers of a prefecture or municipality: the users `manages` can say
    yes to for some place (the links to management pages are shown to them only)."""
    return is_admin(user) or staff_municipality_id(user) is not None or staff_prefecture_id(user) is not None


def _municipality_of(obj):
    if isinstance(obj, Municipality):
        return obj
    return getattr(obj, "municipality", None)


def _prefecture_code_of(obj):
    if isinstance(obj, Prefecture):
        return obj.code
    municipality = _municipality_of(obj)
    if municipality is not None:
        return municipality.prefecture_id
    return getattr(obj, "prefecture_id", None)


def manages(user, obj) -> bool:
    """True if the user is responsible for obj's municipality (or prefecture)."""
    if not _active(user):
        return False
    if is_admin(user):
        return True
    if user.role == Role.PREFECTURE_STAFF:
        return user.prefecture_id is not None and _prefecture_code_of(obj) == user.prefecture_id
    if user.role == Role.MUNICIPAL_STAFF:
        municipality = _municipality_of(obj)
        return municipality is not None and user.municipality_id == municipality.pk
    return False


def _prefecture_staff_manages(user, obj) -> bool:
    """Admins, and prefecture staff for their own prefecture (not municipal staff): bulk operations."""
    if is_admin(user):
        return True
    return (_active(user) and user.role == Role.PREFECTURE_STAFF and user.prefecture_id is not None
            and _prefecture_code_of(obj) == user.prefecture_id)


def _signed_in(user, obj) -> bool:
    return _active(user)


def _self_or_admin(user, obj) -> bool:
    """obj is a user: admins act for anyone, everyone else only for themselves."""
    return is_admin(user) or (_active(user) and obj is not None and obj.pk == user.pk)


def _member_of(user, organisation) -> bool:
    """promotion: the user belongs to this organisation (OrganisationMember)."""
    if not _active(user) or organisation is None:
        return False
    membership = getattr(user, "organisation_membership", None)  # the reverse one-to-one raises AttributeError
    return membership is not None and membership.organisation_id == organisation.pk


def _event_editor(user, event) -> bool:
    """promotion: an event is edited by whoever registered it and by those who speak for its organiser — the
    officers managing the organising prefecture or municipality, the organising organisation's members — so that a
    colleague can add the recording after the event when the one who registered it has moved on."""
    if is_admin(user):
        return True
    if not _active(user) or event is None:
        return False
    if getattr(event, "created_by_id", None) == user.pk:
        return True
    place = getattr(event, "organiser_municipality", None) or getattr(event, "organiser_prefecture", None)
    if place is not None:
        return manages(user, place)
    return _member_of(user, getattr(event, "organiser_organisation", None))


def _event_participant(user, event) -> bool:
    """promotion: an online event's join link (on its page, in the API and in the registrant's own calendar file)
    is for those registered and those who edit the event; anyone else would join past the capacity and out of
    the organiser's list of participants."""
    if _event_editor(user, event):
        return True
    if not _active(user) or event is None or event.pk is None:
        return False
    return event.registrations.filter(user_id=user.pk).exists()


def scope_proposals(user, queryset):
    """promotion: proposals the user may read before an outcome is published — their organisation's, the
    municipality concerned (its own staff), everything for admins."""
    if is_admin(user):
        return queryset
    if not _active(user):
        return queryset.none()
    visible = Q(organisation__members__user=user)
    if user.role == Role.MUNICIPAL_STAFF and user.municipality_id:
        visible |= Q(challenge__municipality_id=user.municipality_id)
    return queryset.filter(visible)


def scope_reviewed_challenges(user, queryset):
    """promotion: challenges whose proposals the user reviews before the outcome (the query form of
    "promotion.proposals_review"). Which challenges have proposals is as confidential as the proposals."""
    if is_admin(user):
        return queryset
    if _active(user) and user.role == Role.MUNICIPAL_STAFF and user.municipality_id:
        return queryset.filter(municipality_id=user.municipality_id)
    return queryset.none()


def _site_admin(user, obj) -> bool:
    """The Django admin: superusers, and national admins who were also given staff status."""
    return _active(user) and (user.is_superuser or (user.role == Role.NATIONAL_ADMIN and user.is_staff))


# ---- 人材 (chiiki.talent) ----------------------------------------------------------------------------------------


def _talent_self(user, profile) -> bool:
    """The person a talent profile belongs to (the linked advisor/company account)."""
    return _active(user) and profile is not None and profile.user_id is not None and profile.user_id == user.pk


def _talent_dispatched_to(user, profile) -> bool:
    """Staff of a municipality whose dispatch with this person the person accepted (承諾 and later)."""
    if not (_active(user) and profile is not None and profile.pk and user.role == Role.MUNICIPAL_STAFF
            and user.municipality_id):
        return False
    from chiiki.talent.models import APPROVED_STATES, TalentRequest  # lazily: apps import access

    return TalentRequest.objects.filter(talent=profile, municipality_id=user.municipality_id,
                                        status__in=APPROVED_STATES).exists()


RULES = {
    # The national register
    "municipality.edit_attributes": manages,  # 財政力指数, 過疎, 離島 …
    "municipality.view_history": manages,
    "register.import": lambda user, obj: is_admin(user),  # population, area
    # 見える化
    "progress.edit": manages,
    "progress.delete": lambda user, obj: is_admin(user),  # a wrong record (history keeps it)
    "progress.import": _prefecture_staff_manages,  # per row: the row's municipality
    "progress.import_any": lambda user, obj: is_admin(user) or (
        _active(user) and user.role == Role.PREFECTURE_STAFF and user.prefecture_id is not None),
    # 支援メニュー
    "programs.manage": lambda user, obj: is_admin(user),
    "programs.save_search": _signed_in,
    # オープンデータ (opendata, issue 15): obj is a Dataset (or, to create one, its owner: a Municipality, a
    # Prefecture, or None for the national government). 庁内限定 datasets: Dataset.is_published → can_view.
    "opendata.manage": manages,
    "opendata.view_usage": manages,
    "opendata.register_use": _signed_in,
    "opendata.moderate_use": manages,
    # pdca: KPIs, annual reviews and their actions (obj: the scope's Prefecture, None = national);
    # 制度の見直し proposals (anyone signed in proposes, national admins decide)
    "pdca.manage": _prefecture_staff_manages,
    "pdca.propose": _signed_in,
    "pdca.judge_proposal": lambda user, obj: is_admin(user),
    # 事例ライブラリ (pdca, issue 14): obj is the case's municipality; the import checks each row's municipality too
    "cases.edit": manages,
    "cases.import": lambda user, obj: is_admin(user) or (
        _active(user) and user.role == Role.PREFECTURE_STAFF and user.prefecture_id is not None),
    # promotion: 推進体制 (首長のコミットメント is recorded by the municipality; weights and designation by the admin)
    "promotion.record_commitment": manages,
    "promotion.manage": lambda user, obj: is_admin(user),
    "promotion.organisation_create": _signed_in,  # the creating company user becomes its member
    "promotion.organisation_edit": lambda user, obj: is_admin(user) or _member_of(user, obj),
    "promotion.council_manage": manages,  # obj: the council's municipality or prefecture (or the council)
    "promotion.challenge_manage": manages,  # obj: the municipality posting (or the challenge)
    # Proposals before the outcome: the municipality concerned (its own staff, not the prefecture) and the admin.
    "promotion.proposals_review": lambda user, obj: is_admin(user) or (
        _active(user) and user.role == Role.MUNICIPAL_STAFF and _municipality_of(obj) is not None
        and user.municipality_id == _municipality_of(obj).pk),
    "promotion.proposal_submit": lambda user, obj: _active(user) and user.role == Role.COMPANY,
    # Editing or withdrawing a proposal: a company user of the organisation that sent it (obj: the proposal).
    "promotion.proposal_change": lambda user, obj: (
        _active(user) and user.role == Role.COMPANY and obj is not None and _member_of(user, obj.organisation)),
    "promotion.event_create": _signed_in,
    "promotion.event_edit": _event_editor,
    "promotion.event_register": _signed_in,
    "promotion.event_join": _event_participant,
    "promotion.plan_roles": manages,  # obj: the implementation plan (funding); its editors name the organisations
    # 人材 (chiiki.talent): obj is a TalentProfile, a TalentRequest or a Municipality (docs/decisions/0016)
    "talent.manage": lambda user, obj: is_admin(user),  # vocabulary, rounds, roster import, 受付・依頼・完了
    "talent.create_profile": lambda user, obj: is_admin(user) or (
        _active(user) and user.role in (Role.ADVISOR, Role.COMPANY)),
    "talent.edit_profile": lambda user, obj: is_admin(user) or _talent_self(user, obj),
    "talent.view_contact": lambda user, obj: is_admin(user) or _talent_self(user, obj) or _talent_dispatched_to(
        user, obj),
    "talent.request": lambda user, obj: is_admin(user) or (  # write, submit, withdraw, rate: obj's municipality
        _active(user) and user.role in (Role.MUNICIPAL_STAFF, Role.PREFECTURE_STAFF) and manages(user, obj)),
    "talent.respond": lambda user, obj: is_admin(user) or _talent_self(user, getattr(obj, "talent", None)),
    "talent.analytics": lambda user, obj: is_admin(user) or (_active(user) and user.role == Role.PREFECTURE_STAFF),
    # funding: 実装計画 (obj: a plan, or the Municipality/Prefecture a new plan is for) and crowdfunding campaigns
    # (obj: a campaign or its Municipality). A wide-area plan has no municipality: its prefecture's staff manage it.
    "funding.plan_edit": manages,
    "funding.campaign_edit": manages,
    "funding.import": lambda user, obj: is_admin(user) or (_active(user) and (
        (user.role == Role.PREFECTURE_STAFF and user.prefecture_id is not None)
        or (user.role == Role.MUNICIPAL_STAFF and user.municipality_id is not None))),  # per row: plan_edit
    # 企業版ふるさと納税: plans/projects of the recipient (obj: a RevitalisationPlan/Project or its owner); companies
    # pledge for the company they registered (obj: the Company); the recipient confirms receipt (obj: the pledge).
    "funding.revitalisation_edit": manages,
    "funding.company_register": lambda user, obj: is_admin(user) or (_active(user) and user.role == Role.COMPANY),
    "funding.pledge": lambda user, obj: is_admin(user) or (
        _active(user) and user.role == Role.COMPANY and (obj is None or getattr(obj, "owner_id", None) == user.pk)),
    "funding.pledge_receive": lambda user, obj: obj is not None and manages(user, obj.project),
    "funding.pledge_cancel": lambda user, obj: obj is not None and (
        manages(user, obj.project) or (_active(user) and obj.company.owner_id == user.pk)),
    "funding.pledge_view": lambda user, obj: obj is not None and (
        manages(user, obj.project) or (_active(user) and obj.company.owner_id == user.pk)),
    "funding.non_grant_import": lambda user, obj: is_admin(user),
    "funding.tax_settings": lambda user, obj: is_admin(user),
    # Site administration
    "history.view_all": lambda user, obj: is_admin(user),
    "site.admin": _site_admin,  # /django-admin/
    # Whole-database backup and restore: operator commands only (access.SYSTEM), never a role on the site.
    "database.backup": lambda user, obj: False,
    "database.restore": lambda user, obj: False,
    # API tokens: obj is the token's user (create) or the token (revoke)
    "api_token.create": _self_or_admin,
    "api_token.revoke": lambda user, obj: is_admin(user) or (
        _active(user) and obj is not None and obj.user_id == user.pk),
}


def can_view(user, obj) -> bool:
    """Whether obj is visible to the user at all. Register rows and published data are public."""
    if user is SYSTEM:
        return True
    owner_id = getattr(obj, "owner_id", None)
    if owner_id is not None:
        return is_admin(user) or (_active(user) and user.pk == owner_id)
    if getattr(obj, "is_published", True) is False:
        return manages(user, obj) or is_admin(user)
    return True


def can(user, action: str, obj=None) -> bool:
    try:
        rule = RULES[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None
    if user is SYSTEM:
        return True
    return bool(rule(user, obj))


def require(user, action: str, obj=None) -> None:
    if obj is not None and not can_view(user, obj):
        raise Http404("見つかりません")
    if not can(user, action, obj):
        raise PermissionDenied("この操作を行う権限がありません")


def require_view(user, obj) -> None:
    if not can_view(user, obj):
        raise Http404("見つかりません")


# Records whose object only the municipality concerned (and the admin) may read: a prefecture's staff see the
# rest of their municipalities' history, not these (a proposal to a challenge: "promotion.proposals_review").
MUNICIPALITY_ONLY_HISTORY = ("promotion.proposal",)


def scope_history(user, queryset):
    """Change records the user may read: admins all, prefecture staff their prefecture (except the records in
    MUNICIPALITY_ONLY_HISTORY), municipal staff theirs."""
    if is_admin(user):
        return queryset
    if not _active(user):
        return queryset.none()
    if user.role == Role.PREFECTURE_STAFF and user.prefecture_id:
        return (queryset.filter(Q(prefecture_id=user.prefecture_id) | Q(municipality__prefecture_id=user.prefecture_id))
                .exclude(model__in=MUNICIPALITY_ONLY_HISTORY))
    if user.role == Role.MUNICIPAL_STAFF and user.municipality_id:
        return queryset.filter(municipality_id=user.municipality_id)
    return queryset.none()


def scope_owned(user, queryset):
    """Rows with an `owner` that the user may see: their own (admins all)."""
    if is_admin(user):
        return queryset
    if not _active(user):
        return queryset.none()
    return queryset.filter(owner=user)


def scope_managed_municipalities(user, queryset):
    """Municipalities the user may edit."""
    if is_admin(user):
        return queryset
    if not _active(user):
        return queryset.none()
    if user.role == Role.PREFECTURE_STAFF and user.prefecture_id:
        return queryset.filter(prefecture_id=user.prefecture_id)
    if user.role == Role.MUNICIPAL_STAFF and user.municipality_id:
        return queryset.filter(pk=user.municipality_id)
    return queryset.none()


def scope_public_or_managed(user, queryset, public: Q, *, prefecture: str = "prefecture_id",
                            municipality: str = "municipality_id"):
    """The rows anyone may see (`public`) and the others of the places the user manages: admins all; prefecture
    staff those whose `prefecture` lookup is their prefecture; municipal staff those whose `municipality` lookup is
    their municipality (drafts of cases and plans, 庁内限定 datasets)."""
    if is_admin(user):
        return queryset
    if (code := staff_prefecture_id(user)) is not None:
        return queryset.filter(public | Q(**{prefecture: code}))
    if (code := staff_municipality_id(user)) is not None:
        return queryset.filter(public | Q(**{municipality: code}))
    return queryset.filter(public)


def scope_talent_requests(user, queryset):
    """talent (issue 12): the requests the user may see: admins all; prefecture staff their prefecture's;
    municipal staff their own municipality's; anyone else signed in the requests they were asked for (never
    drafts)."""
    from chiiki.talent.models import Status

    if is_admin(user):
        return queryset
    if not _active(user):
        return queryset.none()
    if (code := staff_prefecture_id(user)) is not None:
        return queryset.filter(municipality__prefecture_id=code)
    if (code := staff_municipality_id(user)) is not None:
        return queryset.filter(municipality_id=code)
    return queryset.filter(talent__user=user).exclude(status=Status.DRAFT)


def scope_datasets(user, queryset):
    """opendata (issue 15): the datasets the user may see: every public one, and the 庁内限定 ones of the owners
    the user manages (admins all; prefecture staff their prefecture's and its municipalities')."""
    from chiiki.opendata.models import Visibility

    return scope_public_or_managed(user, queryset, Q(visibility=Visibility.PUBLIC))


def scope_pledges(user, queryset):
    """funding (issue 11): 企業版ふるさと納税 pledges the user may see, as the rule "funding.pledge_view" says: a
    company user's own, those to a project the user manages (the recipient municipality, its prefecture), all for
    admins."""
    if _active(user) and not is_admin(user) and user.role == Role.COMPANY:
        return queryset.filter(company__owner=user)
    return scope_managed_pledges(user, queryset)


def scope_managed_pledges(user, queryset):
    """funding: pledges to a project the user manages (access.manages of the project: the plan's municipality, or
    the plan's prefecture for prefecture staff), all for admins — the query form of "funding.pledge_receive"."""
    if is_admin(user):
        return queryset
    if (code := staff_prefecture_id(user)) is not None:
        return queryset.filter(project__plan__prefecture_id=code)
    if (code := staff_municipality_id(user)) is not None:
        return queryset.filter(project__plan__municipality_id=code)
    return queryset.none()
