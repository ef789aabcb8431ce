"""How register commands choose their actor: --user USERNAME (that user's permissions) or the system."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from chiiki import access
from chiiki.regions.actions import SYSTEM


def add_user_argument(parser):
    parser.add_argument("--user", metavar="USERNAME",
                        help="この利用者として実行し、その権限で確認します（省略時はシステムとして全権限で実行）")


def actor_for(username: str | None, action: str = "register.import"):
    if not username:
        return SYSTEM
    user = get_user_model().objects.filter(username=username).first()
    if user is None or not user.is_active:
        raise CommandError(f"利用者 {username} が見つかりません")
    if not access.can(user, action):
        raise CommandError(f"利用者 {username} にはこの操作の権限がありません（{action}）")
    return user
