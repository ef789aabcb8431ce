"""python manage.py backup PATH: a consistent copy of the database while the site runs (see chiiki/core/backup.py)."""

from django.core.management.base import CommandError

from chiiki.access import SYSTEM
from chiiki.core.backup import ENGINE_LABELS, BackupError, backup
from chiiki.core.commands import ChiikiCommand

from ._report import table_lines


class Command(ChiikiCommand):
    help = ("データベース全体のバックアップを PATH に作ります（サイトを止めずに、一貫した時点のコピー）。"
            "SQLite はオンラインバックアップ（マニフェストはファイル内）、PostgreSQL は pg_dump --format=custom"
            "（マニフェストは PATH.manifest.json）。")

    def add_arguments(self, parser):
        parser.add_argument("path", help="作成するファイル（既にあるファイルは上書きしません）")

    def handle(self, *args, path, **options):
        try:
            result = backup(SYSTEM, path)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"バックアップを作成しました: {result.path}（{ENGINE_LABELS[result.engine]}、{_size(result.size)}）")
        if result.manifest_path:
            self.stdout.write(f"マニフェスト: {result.manifest_path}")
        for line in table_lines(result.tables):
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"合計 {result.rows:,} 行（{len(result.tables)} 表）"))


def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size:,} バイト"
