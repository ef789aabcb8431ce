from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError

from chiiki.accounts import actions
from chiiki.core import history
from chiiki.core.commands import ChiikiCommand, actor_for
from chiiki.core.errors import Invalid


class Command(ChiikiCommand):
    help = "APIトークンを発行し、一度だけ表示します（保存されるのはハッシュのみ）。"

    def add_arguments(self, parser):
        parser.add_argument("username", help="トークンを使うユーザーのユーザー名")
        parser.add_argument("--name", default="", help="用途（例: 進捗データ連携）")
        parser.add_argument("--user", dest="issuer", metavar="USERNAME",
                            help="発行する利用者（その権限で確認し履歴に残します。省略時はトークンを使う本人として発行）")

    def handle(self, *args, username, name, issuer=None, **options):
        owner = get_user_model().objects.filter(username=username).first()
        if owner is None:
            raise CommandError(f"ユーザー {username!r} は存在しません。")
        # By default issued as the user themselves: the same rule as 「マイページ」 (inactive users get none).
        actor = actor_for(issuer) if issuer else owner
        try:
            token, key = actions.issue_token(actor, owner, name, source=history.COMMAND)
        except Invalid as exc:
            raise CommandError("トークンを発行できません: " + "、".join(reason for _field, reason in exc.problems)) from None
        except PermissionDenied:
            if actor is not owner:
                raise CommandError(f"利用者 {issuer} は {username} のトークンを発行できません。") from None
            raise CommandError(f"ユーザー {username!r} は無効化されているため、トークンを発行できません。") from None
        self.stderr.write(f"{username} のAPIトークンを発行しました（先頭 {token.prefix}、用途: {token.name or '—'}）。"
                          "この値は二度と表示されません:")
        self.stdout.write(key)
