"""Bearer tokens on /api/: the token's user becomes request.user for every endpoint, reads included."""

from django.http import JsonResponse

from .models import ApiToken

API_PREFIX = "/api/"


class ApiTokenMiddleware:
    """Runs after AuthenticationMiddleware. A bearer token wins over a session cookie; a bad token is
    refused (401) rather than silently treated as anonymous, so clients notice a revoked token."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(API_PREFIX):
            scheme, _, key = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() == "bearer":
                user = ApiToken.authenticate(key.strip()) if key.strip() else None
                if user is None:
                    response = JsonResponse({"detail": "APIトークンが無効です（不明・失効済み、またはユーザーが無効）"},
                                            status=401, json_dumps_params={"ensure_ascii": False})
                    response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
                    return response
                request.user = user
                request.api_token_user = user
        return self.get_response(request)
