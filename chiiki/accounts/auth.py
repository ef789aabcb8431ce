"""How API callers authenticate: a bearer token (accounts.ApiToken) or a signed-in session."""

from ninja.security import HttpBearer, django_auth

from .models import ApiToken


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request, token):
        # chiiki.accounts.middleware.ApiTokenMiddleware has already checked the bearer token on /api/.
        user = getattr(request, "api_token_user", None) or ApiToken.authenticate(token)
        if user is not None:
            request.user = user
        return user


# Writes accept a bearer token or a signed-in session (with its CSRF check).
WRITE_AUTH = [ApiTokenAuth(), django_auth]
