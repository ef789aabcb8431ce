from pathlib import Path

from django.core.management.base import CommandError

from chiiki.core import history
from chiiki.core.commands import ChiikiCommand, actor_for, add_user_argument, read_input
from chiiki.core.fiscal import InvalidFiscalYear, parse_fiscal_year
from chiiki.progress.imports import PROGRESS


class Command(ChiikiCommand):
    help = "進捗状況（団体コード,分野,年度,段階[,備考,根拠URL]）をCSV/XLSXから取り込みます。全行が正しいときだけ書き込みます。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV（UTF-8 / BOM付き / CP932）または XLSX")
        parser.add_argument("--fiscal-year", help="年度の列がない（空の）行に使う年度（例: 2026, 令和8年度, R8）")
        parser.add_argument("--dry-run", action="store_true", help="検査だけ行い、書き込まない")
        add_user_argument(parser)

    def handle(self, *args, file, fiscal_year=None, dry_run=False, user=None, **options):
        actor = actor_for(user, "progress.import_any")
        path = Path(file)
        year = None
        if fiscal_year:
            try:
                year = parse_fiscal_year(fiscal_year)
            except InvalidFiscalYear as exc:
                raise CommandError(f"--fiscal-year: {exc}") from None
        data = read_input(path)
        report = PROGRESS.run(actor, data, path.name, dry_run=dry_run, source=history.COMMAND, fiscal_year=year)
        if not report.ok:
            for line in report.error_lines():
                self.stderr.write(line)
            raise CommandError(f"{len(report.problems)}件の誤りがあるため、何も取り込みませんでした（{path.name}）")
        verb = "確認しました（--dry-run: 書き込みなし）" if dry_run else "取り込みました"
        self.stdout.write(
            f"{path.name}: {report.rows}行を{verb}。新規 {report.created}件・更新 {report.updated}件・"
            f"変更なし {report.unchanged}件" + (f"・重複（同一内容） {report.duplicates}件" if report.duplicates else ""))
