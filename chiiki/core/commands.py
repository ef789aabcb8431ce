"""What every writing management command shares: `--user USERNAME` and the actor it stands for.

Without --user a command runs as `access.SYSTEM` (an operator at the server: full rights, recorded as 「システム」);
with it, that user's permissions apply exactly as on the web and history names them.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from chiiki import access


def add_user_argument(parser):
    parser.add_argument("--user", metavar="USERNAME",
                        help="この利用者として実行し、その権限で確認します（省略時はシステムとして全権限で実行）")


def actor_for(username: str | None, action: str | None = None):
    """access.SYSTEM, or the named active user (who must be allowed `action` when one is given)."""
    if not username:
        return access.SYSTEM
    user = get_user_model().objects.filter(username=username).first()
    if user is None or not user.is_active:
        raise CommandError(f"利用者 {username} が見つかりません")
    if action is not None and not access.can(user, action):
        raise CommandError(f"利用者 {username} にはこの操作の権限がありません（{action}）")
    return user
