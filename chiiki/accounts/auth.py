"""How API callers authenticate: a bearer token (accounts.ApiToken) or a signed-in session."""

from ninja.security import HttpBearer, SessionAuth

from .models import ApiToken


class ApiTokenAuth(HttpBearer):
    def authenticate(self, request, token):
        # chiiki.accounts.middleware.ApiTokenMiddleware has already checked the bearer token on /api/.
        user = getattr(request, "api_token_user", None) or ApiToken.authenticate(token)
        if user is not None:
            request.user = user
        return user


class SignedInSession(SessionAuth):
    """A signed-in session, with its CSRF check. A caller without a session is unauthenticated (401), not a
    CSRF failure (403): ninja's SessionAuth checks CSRF before it knows there is nobody to check it for."""

    def __call__(self, request):
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


# Writes accept a bearer token or a signed-in session (with its CSRF check).
WRITE_AUTH = [ApiTokenAuth(), SignedInSession()]
