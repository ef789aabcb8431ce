"""The demo accounts (development only): one user per role, shared by `load_demo` and the login page's list."""

from dataclasses import dataclass

from django.conf import settings

from .models import Role, User

DEMO_PASSWORD = "chiiki-demo-2026"  # noqa: S105 — printed for everyone on purpose; never loaded in production

# Dotted paths to load(*, stdout, actor) -> one-line summary; idempotent. Apps append theirs.
DEMO_LOADERS = [
    "chiiki.progress.demo.load",
    "chiiki.opendata.demo.load",  # opendata (issue 15)
    "chiiki.pdca.demo.load",  # pdca: KPI, reviews with actions, proposals
    "chiiki.cases.demo.load",  # pdca: demo cases (marked デモ)
    "chiiki.talent.demo.load",  # talent (人材)
    "chiiki.funding.demo.load",  # funding
    "chiiki.promotion.demo.load",  # promotion (after funding: organisations take roles in its demo plans)
]

DEMO_PREFECTURE = "20"  # 長野県


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    last_name: str
    first_name: str
    prefecture: str | None = None
    municipality: str | None = None  # 6-digit 団体コード (checked against the register)
    organisation: str = ""
    is_staff: bool = False


# Three municipalities of different sizes in one prefecture: a core city, a city and a village.
DEMO_USERS = [
    DemoUser("demo-admin", Role.NATIONAL_ADMIN, "総務", "太郎", organisation="総務省 情報流通行政局（デモ）", is_staff=True),
    DemoUser("demo-pref", Role.PREFECTURE_STAFF, "長野", "県子", prefecture=DEMO_PREFECTURE,
             organisation="長野県 企画振興部（デモ）"),
    DemoUser("demo-nagano", Role.MUNICIPAL_STAFF, "長野", "市郎", municipality="202011"),  # 長野市 中核市
    DemoUser("demo-shiojiri", Role.MUNICIPAL_STAFF, "塩尻", "花子", municipality="202151"),  # 塩尻市 市
    DemoUser("demo-achi", Role.MUNICIPAL_STAFF, "阿智", "星子", municipality="204072"),  # 阿智村 村
    DemoUser("demo-advisor", Role.ADVISOR, "助言", "一郎", organisation="地域情報化アドバイザー（デモ）"),
    DemoUser("demo-company", Role.COMPANY, "企業", "次郎", organisation="株式会社チイキIoT（デモ）"),
]


def demo_logins() -> list[dict]:
    """The demo accounts to list on the login page: only with DEBUG on (never under production settings) and only
    once `load_demo` has created them."""
    if not settings.DEBUG:
        return []
    users = {u.username: u for u in User.objects.filter(username__in=[d.username for d in DEMO_USERS], is_active=True)
             .select_related("prefecture", "municipality")}
    rows = []
    for spec in DEMO_USERS:
        user = users.get(spec.username)
        if user is None:
            continue
        place = user.municipality.name if user.municipality_id else (user.prefecture.name if user.prefecture_id
                                                                       else user.organisation)
        rows.append({"username": user.username, "role": user.get_role_display(), "affiliation": place})
    return rows
