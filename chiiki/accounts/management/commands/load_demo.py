"""python manage.py load_demo: one demo user per role, then every demo data loader (development only)."""

import unicodedata
from dataclasses import dataclass

from axes.models import AccessAttempt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import import_string

from chiiki.accounts.models import Role, User
from chiiki.core.commands import actor_for, add_user_argument
from chiiki.regions.models import Municipality, Prefecture

DEMO_PASSWORD = "chiiki-demo-2026"  # noqa: S105 — printed for everyone on purpose; never loaded in production

# Dotted paths to load(*, stdout, actor) -> one-line summary; idempotent. Apps append theirs.
DEMO_LOADERS = [
    "chiiki.progress.demo.load",
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

REFERENCE_MISSING = "参照データが読み込まれていません。先に `python manage.py load_reference` を実行してください。"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table that lines up with full-width characters too."""
    widths = [max(_width(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    rule = "+-" + "-+-".join("-" * w for w in widths) + "-+"
    lines = [rule, "| " + " | ".join(_pad(h, w) for h, w in zip(header, widths, strict=True)) + " |", rule]
    lines += ["| " + " | ".join(_pad(str(c), w) for c, w in zip(row, widths, strict=True)) + " |" for row in rows]
    lines.append(rule)
    return "\n".join(lines)


class Command(BaseCommand):
    help = "デモ用ユーザー（役割ごとに1人）とデモデータを作成します。開発環境（DEBUG=True）専用です。"

    def add_arguments(self, parser):
        add_user_argument(parser)

    def handle(self, *args, user=None, **options):
        if not settings.DEBUG:
            raise CommandError("本番設定（DEBUG=False）ではデモデータを読み込めません。開発環境でのみ実行してください。")
        actor = actor_for(user, "register.import")
        users = self._load_users()
        for dotted in DEMO_LOADERS:
            summary = import_string(dotted)(stdout=self.stdout, actor=actor)
            self.stdout.write(summary)
        rows = [[u.get_role_display(), u.username, DEMO_PASSWORD, self._affiliation(u)] for u in users]
        self.stdout.write(self.style.SUCCESS("デモ用ログイン（http://127.0.0.1:8000/accounts/login/）:"))
        self.stdout.write(format_table(["役割", "ユーザー名", "パスワード", "所属"], rows))

    def _load_users(self) -> list[User]:
        prefectures = {p.code: p for p in Prefecture.objects.filter(code=DEMO_PREFECTURE)}
        codes = [u.municipality for u in DEMO_USERS if u.municipality]
        municipalities = {m.code: m for m in Municipality.objects.filter(code__in=codes)}
        if not prefectures or not municipalities:
            raise CommandError(REFERENCE_MISSING)
        missing = [code for code in codes if code not in municipalities]
        if missing:
            raise CommandError(f"団体コード {', '.join(missing)} が登録されていません。{REFERENCE_MISSING}")
        wrong = [c for c in codes if municipalities[c].prefecture_id != DEMO_PREFECTURE]
        if wrong:
            raise CommandError(f"団体コード {', '.join(wrong)} が長野県の団体ではありません。参照データを確認してください。")

        users = []
        with transaction.atomic():
            for spec in DEMO_USERS:
                municipality = municipalities.get(spec.municipality) if spec.municipality else None
                prefecture = municipality.prefecture if municipality else prefectures.get(spec.prefecture)
                user, _ = User.objects.update_or_create(username=spec.username, defaults={
                    "role": spec.role, "last_name": spec.last_name, "first_name": spec.first_name,
                    "prefecture": prefecture if spec.role in (Role.PREFECTURE_STAFF, Role.MUNICIPAL_STAFF) else None,
                    "municipality": municipality, "organisation": spec.organisation,
                    "is_staff": spec.is_staff, "is_active": True, "email": f"{spec.username}@example.jp",
                })
                user.set_password(DEMO_PASSWORD)  # re-running resets the demo passwords
                user.save(update_fields=["password"])
                users.append(user)
        self._unlock(users)
        return users

    @staticmethod
    def _unlock(users):
        """Clear login lockouts of the demo users so the printed passwords work right away."""
        AccessAttempt.objects.filter(username__in=[u.username for u in users]).delete()

    @staticmethod
    def _affiliation(user) -> str:
        if user.municipality_id:
            return f"{user.municipality.full_name}（{user.municipality_id}）"
        if user.prefecture_id:
            return f"{user.prefecture.name}（{user.prefecture_id}）"
        return user.organisation
