"""Writes on accounts: issuing and revoking API tokens (with history)."""

from django.db import transaction

from chiiki import access
from chiiki.core import history

from .models import ApiToken


def _token_state(token: ApiToken) -> dict:
    return history.snapshot(token, ["user_id", "name", "prefix", "revoked"])


def issue_token(actor, user, name: str = "", *, source: str = "web") -> tuple[ApiToken, str]:
    """A new token for user; returns (token, key). The key is shown once and never stored."""
    access.require(actor, "api_token.create", user)
    with transaction.atomic():
        token, key = ApiToken.issue(user, name=name.strip()[:100])
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
