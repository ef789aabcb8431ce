"""Reads for the accounts pages: what a user may do, what is waiting for them (マイページ), and their tokens."""

import datetime as dt
from urllib.parse import urlencode

from django.db.models import Count, F, Func, Q, Subquery
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from chiiki import access
from chiiki.core.dates import japanese_date
from chiiki.core.fiscal import current_fiscal_year, fiscal_year_label
from chiiki.core.imports import UPLOAD_TTL
from chiiki.core.models import ImportUpload
from chiiki.core.mypage import Capability, Todo, TodoSection
from chiiki.funding import mypage as funding_mypage
from chiiki.history.queries import scoped_records
from chiiki.pdca import mypage as pdca_mypage
from chiiki.programs.imports import CATALOG
from chiiki.programs.models import SavedSearch
from chiiki.programs.search import SearchRequest, run_search
from chiiki.progress.imports import PROGRESS
from chiiki.progress.models import ProgressRecord
from chiiki.promotion import mypage as promotion_mypage
from chiiki.regions.imports import AREA, FISCAL_INDICES, POPULATION
from chiiki.regions.models import Municipality
from chiiki.roadmap.models import Sector
from chiiki.talent import mypage as talent_mypage

from .models import ApiToken, User

# The apps that add their own part to マイページ (each module: todo_sections(user, today), capabilities(user)).
CONTRIBUTORS = (funding_mypage, talent_mypage, promotion_mypage, pdca_mypage)
IMPORTERS = {importer.key: importer for importer in (PROGRESS, CATALOG, POPULATION, AREA, FISCAL_INDICES)}
DEADLINE_DAYS = 30


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
    municipality = user.municipality if access.staff_municipality_id(user) else None
    prefecture = user.prefecture if access.staff_prefecture_id(user) else None

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

    for app in CONTRIBUTORS:
        items += app.capabilities(user)

    if access.can(user, "site.admin"):
        items.append(Capability("管理画面（ユーザー・APIトークン・変更履歴）を利用できます", "/django-admin/"))
    if access.can(user, "api_token.create", user):
        items.append(Capability("APIトークンを発行し、プログラムからAPIを利用できます（APIトークン）",
                                _url("accounts:tokens")))
    return items


def mypage_user(user) -> User:
    """The user with all that マイページ reads about them (affiliation, talent profile, organisation) in one
    query; reached lazily, each would be a query of its own, some of them twice."""
    return (User.objects.select_related("municipality", "prefecture", "talent_profile",
                                        "organisation_membership__organisation").get(pk=user.pk))


# ---- マイページ: what is waiting for the user -----------------------------------------------------------------


def todo_sections(user, today: dt.date | None = None) -> list[TodoSection]:
    """The to-do list for the user's role: municipal staff — sectors not updated this 年度; prefecture staff —
    municipalities that have not reported this 年度 (and the previous one, while any are left); everyone —
    saved-search deadlines within 30 days and imports left unfinished; then what each app has waiting for the user (CONTRIBUTORS: shown only when something
    is waiting). Sections that cannot apply to the user are left out."""
    today = today or timezone.localdate()
    year = current_fiscal_year()
    sections = []
    if access.staff_municipality_id(user):
        sections.append(_sectors_not_updated(user.municipality, year))
    if access.staff_prefecture_id(user):
        sections += _municipalities_not_reported(user.prefecture, year)
    if access.can(user, "programs.save_search"):
        sections.append(_deadlines(user, today))
    for app in CONTRIBUTORS:
        sections += app.todo_sections(user, today)
    uploads = _unfinished_imports(user)
    if uploads.items:
        sections.append(uploads)
    return sections


def _sectors_not_updated(municipality: Municipality, year: int) -> TodoSection:
    updated = ProgressRecord.objects.filter(municipality=municipality, fiscal_year=year).values("sector_id")
    entry = reverse("progress:entry", args=[municipality.code]) + f"?fiscal_year={year}"
    items = [Todo(f"{sector.name}", entry + f"#entry-{sector.code}")
             for sector in Sector.objects.exclude(code__in=updated).order_by("order", "code")]
    return TodoSection("sectors", f"{fiscal_year_label(year)}にまだ更新していない分野", items,
                       f"{fiscal_year_label(year)}の進捗はすべての分野で更新済みです。")


MAX_LISTED = 50


def _municipalities_not_reported(prefecture, year: int) -> list[TodoSection]:
    """Municipalities with a sector not yet reported in the 年度: one reported sector does not take a municipality
    off the list (its staff see the rest as their own to-do). The same rule as the records list each count links to
    (progress.queries.list_cells(unreported=True): a sector without a record of that 年度 itself).

    Early in a 年度 the survey still being chased is the previous one: while any municipality has not reported it,
    its count comes first, linked to its list (only the count: two lists of up to 50 made the page too long on a
    phone, and the list page links each municipality's entry page). Both years in one query."""
    years = {"current": year, "previous": year - 1}
    reported = {alias: Count("progress_records__sector", filter=Q(progress_records__fiscal_year=y), distinct=True)
                for alias, y in years.items()}
    every = Subquery(Sector.objects.order_by().values(n=Func("code", function="COUNT")))  # in the same query
    rows = list(Municipality.objects.filter(prefecture=prefecture).annotate(**reported, every=every)
                .filter(Q(current__lt=F("every")) | Q(previous__lt=F("every")))
                .order_by("code").values("code", "name", "every", *years))
    sections = []
    for alias, y in years.items():
        missing = [(row["code"], row["name"], row[alias], row["every"]) for row in rows if row[alias] < row["every"]]
        if alias == "previous" and not missing:
            continue
        listed = missing[:MAX_LISTED] if alias == "current" else []
        items = [Todo(name, reverse("progress:entry", args=[code]) + f"?fiscal_year={y}",
                      f"未報告 {every - count}分野" + ("（全分野）" if count == 0 else f"（報告済み {count}分野）"))
                 for code, name, count, every in listed]
        sections.append(TodoSection(
            "unreported" if alias == "current" else "unreported-previous",
            f"{fiscal_year_label(y)}の進捗を報告し終えていない市区町村（{len(missing)}団体）", items,
            f"{prefecture.name}のすべての市区町村が{fiscal_year_label(y)}の進捗をすべての分野で報告済みです。",
            more=len(missing) - len(listed), unit="団体",
            more_url=reverse("progress:records") + "?" + urlencode(
                {"fiscal_year": y, "prefecture": prefecture.code, "unreported": 1, "per": "municipality"})))
    return sections[::-1]


def _deadlines(user, today: dt.date) -> TodoSection:
    horizon = today + dt.timedelta(days=DEADLINE_DAYS)
    found: dict[str, tuple] = {}
    saved_searches = list(SavedSearch.objects.filter(owner=user))
    for saved in saved_searches:
        result = run_search(SearchRequest.from_querystring(saved.params), user=user, today=today, page_size=100_000)
        for hit in result.all_items:
            deadline = hit.status.next_deadline
            if (hit.status.code == "open" and deadline and not hit.status.always and today <= deadline <= horizon
                    and hit.public_id not in found):
                found[hit.public_id] = (deadline, hit.program, saved.name, hit.status.deadline_note)
    items = [Todo(program.name, program.get_absolute_url(),
                  f"締切 {japanese_date(deadline)}{note}（あと{(deadline - today).days}日）・保存した検索「{name}」")
             for deadline, program, name, note in sorted(found.values(), key=lambda v: (v[0], v[1].public_id))]
    done = (f"保存した検索条件に、{DEADLINE_DAYS}日以内に締切のある支援メニューはありません。"
            if saved_searches
            else f"検索条件を保存すると、{DEADLINE_DAYS}日以内の締切をここに表示します。")
    return TodoSection("deadlines", f"{DEADLINE_DAYS}日以内に締切がある支援メニュー（保存した検索条件）", items, done)


def _unfinished_imports(user) -> TodoSection:
    """Uploads previewed but never committed (a commit deletes its upload): still open, or expired."""
    expiry = timezone.now() - UPLOAD_TTL
    items = []
    for upload in ImportUpload.objects.filter(user=user).order_by("-created_at").only(
            "token", "importer", "filename", "created_at", "problems"):
        importer = IMPORTERS.get(upload.importer)
        title = importer.title if importer else upload.importer
        if upload.created_at < expiry:
            items.append(Todo(f"{title}: {upload.filename}", importer.url() if importer else None,
                              f"{japanese_date(upload.created_at)} にアップロード・確認の期限切れ（取り込まれていません。もう一度アップロードしてください）"))
        else:
            state = "問題があり取り込まれていません" if upload.problems else "確認済み・まだ取り込んでいません"
            items.append(Todo(f"{title}: {upload.filename}",
                              importer.url("preview", upload.token) if importer else None,
                              f"{japanese_date(upload.created_at)} にアップロード・{state}"))
    return TodoSection("imports", "取込が終わっていないファイル", items)


def can_see_history(user) -> bool:
    """Whether the 変更履歴 page has anything for the user (advisors and companies see no records)."""
    return scoped_records(user).exists()


def tokens_of(user):
    return ApiToken.objects.filter(user=user).order_by("revoked", "-created_at")
