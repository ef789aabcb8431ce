"""What every writing management command shares: `--user USERNAME` and the actor it stands for.

Without --user a command runs as `access.SYSTEM` (an operator at the server: full rights, recorded as 「システム」);
with it, that user's permissions apply exactly as on the web and history names them.
"""

import re
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from chiiki import access
from chiiki.core.tabular import read_limited

# argparse's usage errors (a missing file argument, `--year abc`), said in Japanese: the operator reads them.
_USAGE_ERRORS = [
    (re.compile(r"the following arguments are required: (.+)"), "必須の引数がありません: {0}"),
    (re.compile(r"argument (\S+): invalid choice: (.+?) \(choose from (.+)\)"), "引数 {0} の値 {1} は選べません（選べる値: {2}）"),
    (re.compile(r"argument (\S+): invalid \w+ value: (.+)"), "引数 {0} の値が正しくありません: {1}"),
    (re.compile(r"argument (\S+): expected one argument"), "引数 {0} には値を1つ指定してください"),
    (re.compile(r"argument (\S+): not allowed with argument (\S+)"), "引数 {0} と {1} は一緒に指定できません"),
    (re.compile(r"one of the arguments (.+) is required"), "次の引数のどれかを指定してください: {0}"),
    (re.compile(r"unrecognized arguments: (.+)"), "知らない引数です: {0}"),
]


def usage_error_in_japanese(message: str) -> str:
    for pattern, text in _USAGE_ERRORS:
        found = pattern.fullmatch(message)
        if found:
            return text.format(*found.groups())
    return f"引数が正しくありません（{message}）"


class ChiikiCommand(BaseCommand):
    """The project's commands: Django's, with argparse's usage errors said in Japanese."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        report = parser.error
        parser.error = lambda message: report(usage_error_in_japanese(message))
        return parser


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


def read_input(path) -> bytes:
    """The bytes of the file a command was given (read_table refuses one over IMPORT_MAX_BYTES)."""
    path = Path(path)
    # is_file() itself raises for some paths (a name over NAME_MAX), and a permission refusal comes only at open.
    try:
        if not path.is_file():
            raise CommandError(f"ファイルがありません: {path}")
        with path.open("rb") as handle:
            return read_limited(handle)
    except OSError as exc:
        raise CommandError(f"ファイルを読めません: {path}（{exc.strerror}）") from None


class ProgressBar:
    """A one-line text progress bar; silent unless enabled (commands disable it when stdout is not a tty)."""

    def __init__(self, stdout, total: int, label: str, enabled: bool = True, width: int = 30):
        self.stdout, self.total, self.label, self.width = stdout, max(total, 1), label, width
        self.enabled = enabled
        self.done = 0
        self._last = -1

    def advance(self, n: int = 1):
        self.done += n
        if not self.enabled:
            return
        filled = int(self.width * self.done / self.total)
        if filled == self._last and self.done < self.total:
            return
        self._last = filled
        bar = "#" * filled + "-" * (self.width - filled)
        self.stdout.write(f"\r{self.label} [{bar}] {self.done}/{self.total}", ending="")
        if self.done >= self.total:
            self.stdout.write("")

    def finish(self):
        if self.enabled and self.done < self.total:
            self.done = self.total - 1
            self.advance()


class NullOut:
    """A stdout that discards output (loaders called outside a command)."""

    def write(self, *args, **kwargs):
        pass
