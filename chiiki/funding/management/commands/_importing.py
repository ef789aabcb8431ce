"""The one body of the funding import commands: read the file, run the importer, report in Japanese."""

from pathlib import Path

from django.core.management.base import CommandError

from chiiki.core import history
from chiiki.core.commands import ChiikiCommand, actor_for, add_user_argument, read_input


class ImportCommand(ChiikiCommand):
    importer = None  # an chiiki.core.imports.Importer

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV（UTF-8 / BOM付き / CP932）または XLSX")
        parser.add_argument("--dry-run", action="store_true", help="検査だけ行い、書き込まない")
        add_user_argument(parser)

    def handle(self, *args, file, dry_run=False, user=None, **options):
        actor = actor_for(user, self.importer.permission)
        path = Path(file)
        data = read_input(path)
        report = self.importer.run(actor, data, path.name, dry_run=dry_run, source=history.COMMAND)
        if not report.ok:
            for line in report.error_lines():
                self.stderr.write(line)
            raise CommandError(f"{len(report.problems)}件の誤りがあるため、何も取り込みませんでした（{path.name}）")
        verb = "確認しました（--dry-run: 書き込みなし）" if dry_run else "取り込みました"
        self.stdout.write(f"{path.name}: {report.rows}行を{verb}。新規 {report.created}件・更新 {report.updated}件・"
                          f"変更なし {report.unchanged}件")
