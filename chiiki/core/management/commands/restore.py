"""python manage.py restore PATH [--force]: replace the database with a backup made by `backup`."""

from django.core.management.base import CommandError

from chiiki.access import SYSTEM
from chiiki.core.backup import ENGINE_LABELS, BackupError, restore
from chiiki.core.commands import ChiikiCommand

from ._report import table_lines


class Command(ChiikiCommand):
    help = ("backup で作ったバックアップを、設定されたデータベースに復元します。データのあるデータベースには "
            "--force がなければ復元しません。復元後に各表の行数をマニフェストと照合し、検索索引などを作り直します。")

    def add_arguments(self, parser):
        parser.add_argument("path", help="backup で作ったファイル")
        parser.add_argument("--force", action="store_true",
                            help="データのあるデータベースでも置き換えます（いまの内容はすべて失われます）")

    def handle(self, *args, path, force, **options):
        try:
            result = restore(SYSTEM, path, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"復元しました: {result.path}（{ENGINE_LABELS[result.engine]}）")
        for line in table_lines(result.tables):
            self.stdout.write(line)
        self.stdout.write(f"全 {len(result.tables)} 表の行数がバックアップのマニフェストと一致しました（合計 {result.rows:,} 行）")
        for note in result.notes:
            self.stdout.write(note)
        self.stdout.write(self.style.SUCCESS("復元が完了しました"))
