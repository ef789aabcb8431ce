from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from chiiki.accounts import actions


class Command(BaseCommand):
    help = "APIトークンを発行し、一度だけ表示します（保存されるのはハッシュのみ）。"

    def add_arguments(self, parser):
        parser.add_argument("username", help="トークンを使うユーザーのユーザー名")
        parser.add_argument("--name", default="", help="用途（例: 進捗データ連携）")

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"ユーザー {username!r} は存在しません。")
        try:
            # Issued as the user themselves: the same rule as 「マイページ」 (inactive users get none).
            token, key = actions.issue_token(user, user, name, source="command")
        except PermissionDenied:
            raise CommandError(f"ユーザー {username!r} は無効化されているため、トークンを発行できません。") from None
        self.stderr.write(f"{username} のAPIトークンを発行しました（先頭 {token.prefix}、用途: {token.name or '—'}）。"
                          "この値は二度と表示されません:")
        self.stdout.write(key)
