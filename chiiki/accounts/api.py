"""Who am I, and my API tokens: /api/v1/me…"""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from chiiki import access
from chiiki.core.schemas import ErrorOut

from . import actions, queries
from .auth import WRITE_AUTH
from .models import ApiToken, Role

router = Router(tags=["アカウント"])


class PlaceOut(Schema):
    code: str
    name: str


class MeOut(Schema):
    username: str
    role: str
    role_label: str
    prefecture: PlaceOut | None
    municipality: PlaceOut | None
    organisation: str = Field(..., description="所属組織の名称（組織の登録簿にあればその名称）")
    organisation_id: int | None = Field(None, description="組織の登録簿（/api/v1/organisations）のID")


class AbilityOut(Schema):
    text: str
    url: str | None


class AbilitiesOut(Schema):
    authenticated: bool
    username: str | None
    role: str
    abilities: list[AbilityOut]


class TokenOut(Schema):
    id: int
    prefix: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool




def _place(obj) -> dict | None:
    return None if obj is None else {"code": obj.code, "name": obj.name}


def _me(user) -> dict:
    return {
        "username": user.get_username(),
        "role": access.role_of(user),
        "role_label": Role(access.role_of(user)).label,
        "prefecture": _place(user.prefecture),
        "municipality": _place(user.municipality),
        "organisation": user.linked_organisation.name if user.linked_organisation else user.organisation,
        "organisation_id": user.linked_organisation.pk if user.linked_organisation else None,
    }


@router.get("/me", auth=WRITE_AUTH, response={200: MeOut, 401: ErrorOut}, summary="認証中のユーザー")
def me(request):
    """トークン（`Authorization: Bearer …`）またはログイン中のセッションのユーザーを返します。"""
    return _me(request.user)


@router.get("/me/abilities", response=AbilitiesOut, summary="このユーザーができること")
def abilities(request):
    """認証なしでも呼べます（未認証なら `role: "public"`）。トークンを付けると、そのトークンのユーザーについて答えます。"""
    user = request.user
    signed_in = access.role_of(user) != "public"
    return {
        "authenticated": signed_in,
        "username": user.get_username() if signed_in else None,
        "role": access.role_of(user),
        "abilities": [{"text": c.text, "url": c.url} for c in queries.capabilities(user)] if signed_in else [],
    }


@router.get("/me/tokens", auth=WRITE_AUTH, response={200: list[TokenOut], 401: ErrorOut}, summary="自分のAPIトークン一覧")
def list_tokens(request):
    """ハッシュやトークン本体は返しません。"""
    return list(queries.tokens_of(request.user))


@router.post("/me/tokens/{token_id}/revoke", auth=WRITE_AUTH,
             response={200: TokenOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}, summary="APIトークンを失効させる")
def revoke_token(request, token_id: int):
    """自分のトークン（事務局は全員のもの）を失効させます。他人のトークンは 404 です。履歴に記録されます。"""
    token = get_object_or_404(ApiToken.objects.select_related("user"), pk=token_id)
    return actions.revoke_token(request.user, token, source="api")
