"""Writes on accounts: issuing and revoking API tokens (with history)."""

import hashlib
import json

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q

from chiiki import access
from chiiki.core import history
from chiiki.core.errors import Invalid
from chiiki.core.models import ChangeRecord
from chiiki.core.text import control_character_problem
from chiiki.history.queries import model_label

from .models import ApiToken


def _token_state(token: ApiToken) -> dict:
    return history.snapshot(token, ["user_id", "name", "prefix", "revoked"])


def issue_token(actor, user, name: str = "", *, source: str = "web") -> tuple[ApiToken, str]:
    """A new token for user; returns (token, key). The key is shown once and never stored."""
    access.require(actor, "api_token.create", user)
    problem = control_character_problem(name)
    if problem:
        raise Invalid([("name", f"用途に{problem}")])
    limit = ApiToken._meta.get_field("name").max_length
    if len(name.strip()) > limit:
        raise Invalid([("name", f"用途は{limit}文字以内で入力してください。")])
    with transaction.atomic():
        token, key = ApiToken.issue(user, name=name.strip())
        history.record(actor, "create", token, None, _token_state(token), source=source,
                       object_repr=f"APIトークン {token.prefix}…（{user.username}）")
        history.bump("accounts")
    return token, key


def revoke_token(actor, token: ApiToken, *, source: str = "web") -> ApiToken:
    """Revoke a token (idempotent: revoking a revoked token changes nothing)."""
    access.require(actor, "api_token.revoke", token)
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
        if token.revoked:
            return token
        before = _token_state(token)
        token.revoked = True
        token.save(update_fields=["revoked"])
        history.record(actor, "update", token, before, _token_state(token), source=source,
                       object_repr=f"APIトークン {token.prefix}…（{token.user.username}）")
        history.bump("accounts")
    return token


# ---- Users (the admin site) --------------------------------------------------------------------------------

USER_FIELDS = ["username", "last_name", "first_name", "email", "role", "prefecture_id", "municipality_id",
               "organisation", "is_active", "is_staff", "is_superuser"]


def user_state(user) -> dict:
    """What history keeps of a user: role, affiliation and status (never the password hash)."""
    return history.snapshot(user, USER_FIELDS)


def user_fingerprint(user) -> str:
    """The user as an admin's form read it (user_state, hashed): a save from an older form is refused."""
    if user.pk is None:
        return ""
    state = json.dumps(user_state(user), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(state.encode()).hexdigest()


def _user_repr(user) -> str:
    return f"利用者 {user.username}"


def record_user_saved(actor, user, before: dict | None, *, password_changed: bool = False,
                      source: str = history.ADMIN_SITE) -> None:
    """History of a user created or changed on the admin site (Django's form has already saved it)."""
    access.require(actor, "site.admin")
    after = user_state(user)
    if password_changed:
        after = after | {"password": "（変更）"}
    if before == after:
        return
    history.record(actor, history.CREATE if before is None else history.UPDATE, user, before, after,
                   source=source, object_repr=_user_repr(user))
    history.bump("accounts")


# The links to an account that the linked row's own history keeps (talent.link_account records a profile's `user_id`,
# funding.register_company a company's `owner_id`): deleting the account empties them (on_delete=SET_NULL) as an
# edit of that row, and the data area whose cached pages show the link. Who created, submitted or last updated a
# row (created_by and the like) is in no row's history: those columns empty silently, like history's own actor.
LINKS = {("talent.TalentProfile", "user"): "talent", ("funding.Company", "owner"): "funding"}


def _unlink(actor, user, anonymous: str, source: str) -> None:
    for (label, name), area in LINKS.items():
        model = apps.get_model(label)
        field = model._meta.get_field(name)
        attname = field.attname
        rows = list(model.objects.select_for_update().filter(**{attname: user.pk}).order_by("pk"))
        if not rows:
            continue
        history.record_many(history.change_record(
            actor, history.UPDATE, row, {attname: user.pk}, {attname: None}, source=source,
            object_repr=f"{row}（{field.verbose_name}）") for row in rows)
        changes = {attname: None}
        if any(f.name == "version" for f in model._meta.concrete_fields):
            changes["version"] = F("version") + 1  # a form open on the row is stale now (409)
        model.objects.filter(pk__in=[row.pk for row in rows]).update(**changes)
        history.bump(area)


def delete_user(actor, user, *, source: str = history.ADMIN_SITE) -> None:
    """Delete a user and their API tokens. History keeps every change, with the person's name taken out."""
    access.require(actor, "site.admin")
    if user.pk == getattr(actor, "pk", None):
        raise PermissionDenied("自分自身は削除できません")
    anonymous = f"削除された利用者 #{user.pk}"
    with transaction.atomic():
        tokens = list(ApiToken.objects.select_for_update().filter(user=user))
        for token in tokens:
            history.record(actor, history.DELETE, token, _token_state(token), None, source=source,
                           object_repr=f"APIトークン {token.prefix}…（{anonymous}）")
        history.record(actor, history.DELETE, user, {"role": user.role, "prefecture_id": user.prefecture_id,
                                                     "municipality_id": user.municipality_id}, None,
                       source=source, object_repr=f"利用者（{anonymous}）")
        _unlink(actor, user, anonymous, source)
        # Their organisation membership, event registrations and saved searches go with the account.
        history.record_deleted_with(actor, user, source=source, skip=(ApiToken,),
                                    object_repr=lambda row: f"{row._meta.verbose_name}（{anonymous}）")
        # Records of rows that named them (a membership, a registration, even one cancelled long ago) were titled
        # with their user name.
        for record in ChangeRecord.objects.filter(Q(before__user=user.pk) | Q(after__user=user.pk)).exclude(
                model=user._meta.label_lower).only("model"):
            record.object_repr = f"{model_label(record.model)}（{anonymous}）"
            record.save(update_fields=["object_repr"])
        # Whoever they were is no longer kept: what they did and what was done to them stays, without the name.
        ChangeRecord.objects.filter(actor=user).update(actor_label=anonymous)
        ChangeRecord.objects.filter(model=ApiToken._meta.label_lower,
                                    object_id__in=[str(t.pk) for t in tokens]).update(
            object_repr=f"APIトークン（{anonymous}）")
        for record in ChangeRecord.objects.filter(model=user._meta.label_lower, object_id=str(user.pk)):
            record.object_repr = f"利用者（{anonymous}）"
            record.before = _anonymised(record.before)
            record.after = _anonymised(record.after)
            record.save(update_fields=["object_repr", "before", "after"])
        ApiToken.objects.filter(user=user).delete()
        user.delete()
        history.bump("accounts")


def _anonymised(state: dict | None) -> dict | None:
    if not state:
        return state
    return {k: ("（削除）" if k in ("username", "last_name", "first_name", "email") else v) for k, v in state.items()}
