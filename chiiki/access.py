"""The one place where permission rules live.

- can(user, action, obj)      → bool
- require(user, action, obj)  → raises Http404 if the user may not even see obj, PermissionDenied (403) if
                                they may see it but not do `action`.
- require_view(user, obj)     → Http404 unless can_view(user, obj).
- scope_history / scope_owned / scope_managed_municipalities(user, queryset) → the rows the user may see/edit.

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


def _site_admin(user, obj) -> bool:
    """The Django admin: superusers, and national admins who were also given staff status."""
    return _active(user) and (user.is_superuser or (user.role == Role.NATIONAL_ADMIN and user.is_staff))


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


def scope_history(user, queryset):
    """Change records the user may read: admins all, prefecture staff their prefecture, municipal staff theirs."""
    if is_admin(user):
        return queryset
    if not _active(user):
        return queryset.none()
    if user.role == Role.PREFECTURE_STAFF and user.prefecture_id:
        return queryset.filter(Q(prefecture_id=user.prefecture_id) | Q(municipality__prefecture_id=user.prefecture_id))
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
