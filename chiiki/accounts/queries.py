"""Reads for the accounts pages: what a user may do, and their tokens."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from chiiki import access

from .models import ApiToken, Role


@dataclass(frozen=True)
class Capability:
    text: str
    url: str | None = None


def _url(name: str, *args) -> str | None:
    """The URL of a page if that page exists (other apps add theirs over time)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def capabilities(user) -> list[Capability]:
    """What the user may do, derived from the rules in chiiki.access (never restated here)."""
    items: list[Capability] = []
    admin = access.is_admin(user)
    municipality = user.municipality if user.role == Role.MUNICIPAL_STAFF else None
    prefecture = user.prefecture if user.role == Role.PREFECTURE_STAFF else None

    if admin:
        items.append(Capability("全国の市区町村の進捗を更新できます", _url("progress:entry_index")))
        items.append(Capability("進捗データを一括取込（CSV/Excel）できます", _url("progress:import")))
    elif prefecture is not None and access.can(user, "progress.import", prefecture):
        items.append(Capability(f"{prefecture.name}内の市区町村の進捗を更新できます", _url("progress:entry_index")))
        items.append(Capability(f"{prefecture.name}内の進捗データを一括取込（CSV/Excel）できます",
                                _url("progress:import")))
    elif municipality is not None and access.can(user, "progress.edit", municipality):
        items.append(Capability(f"{municipality.name}の進捗を更新できます",
                                _url("progress:entry", municipality.code)))

    if admin:
        items.append(Capability("全国の団体の属性（財政力指数・過疎・離島・中山間）を編集できます", _url("regions:list")))
    elif prefecture is not None and access.can(user, "municipality.edit_attributes", prefecture):
        items.append(Capability(f"{prefecture.name}内の団体の属性（財政力指数・過疎など）を編集できます",
                                _url("regions:prefecture", prefecture.code)))
    elif municipality is not None and access.can(user, "municipality.edit_attributes", municipality):
        items.append(Capability(f"{municipality.name}の属性（財政力指数・過疎など）を編集できます",
                                _url("regions:municipality_edit", municipality.code)
                                or _url("regions:municipality", municipality.code)))

    if access.can(user, "register.import"):
        items.append(Capability("人口を公式統計（e-Stat など）から取り込めます", _url("regions:import_population")))
        items.append(Capability("面積を公式統計（国土地理院）から取り込めます", _url("regions:import_area")))
        items.append(Capability("財政指標（総務省 主要財政指標）を取り込めます", _url("regions:import_fiscal_indices")))
    if access.can(user, "programs.manage"):
        items.append(Capability("支援メニューを登録・編集できます", _url("programs:manage")))
    if access.can(user, "programs.save_search"):
        items.append(Capability("支援メニューの検索条件を保存し、締切・新着をメールで受け取れます（保存した検索条件）",
                                _url("programs:saved")))

    if access.can(user, "history.view_all"):
        items.append(Capability("すべての変更履歴を閲覧できます", _url("history:index")))
    elif prefecture is not None:
        items.append(Capability(f"{prefecture.name}と域内市区町村の変更履歴を閲覧できます", _url("history:index")))
    elif municipality is not None:
        items.append(Capability(f"{municipality.name}の変更履歴を閲覧できます", _url("history:index")))

    if access.can(user, "site.admin"):
        items.append(Capability("管理画面（ユーザー・APIトークン・変更履歴）を利用できます", "/django-admin/"))
    if access.can(user, "api_token.create", user):
        items.append(Capability("APIトークンを発行し、プログラムからAPIを利用できます", _url("api:openapi-view")))
    return items


def tokens_of(user):
    return ApiToken.objects.filter(user=user).order_by("revoked", "-created_at")
