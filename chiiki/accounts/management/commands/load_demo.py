"""python manage.py load_demo: one demo user per role, then every demo data loader (development only)."""

import unicodedata

from axes.models import AccessAttempt
from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from django.utils.module_loading import import_string

from chiiki.accounts.demo import DEMO_LOADERS, DEMO_PASSWORD, DEMO_PREFECTURE, DEMO_USERS
from chiiki.accounts.models import Role, User
from chiiki.core.commands import ChiikiCommand, actor_for, add_user_argument
from chiiki.regions.models import Municipality, Prefecture

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


class Command(ChiikiCommand):
    help = "デモ用ユーザー（役割ごとに1人）とデモデータを作成します。開発環境（DEBUG=True）専用です。"

    def add_arguments(self, parser):
        parser.add_argument("--site-url", default=settings.SITE_URL,
                            help="ログイン画面のURLの表示に使うサイトのURL（既定: SITE_URL。make run は実際のホストとポート）")
        add_user_argument(parser)

    def handle(self, *args, user=None, site_url=None, **options):
        if not settings.DEBUG:
            raise CommandError("本番設定（DEBUG=False）ではデモデータを読み込めません。開発環境でのみ実行してください。")
        actor = actor_for(user, "register.import")
        users = self._load_users()
        for dotted in DEMO_LOADERS:
            summary = import_string(dotted)(stdout=self.stdout, actor=actor)
            self.stdout.write(summary)
        rows = [[u.get_role_display(), u.username, DEMO_PASSWORD, self._affiliation(u)] for u in users]
        login_url = (site_url or settings.SITE_URL).rstrip("/") + reverse("accounts:login")
        self.stdout.write(self.style.SUCCESS(f"デモ用ログイン（{login_url}）:"))
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
