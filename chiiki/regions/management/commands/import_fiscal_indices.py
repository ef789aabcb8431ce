"""python manage.py import_fiscal_indices FILE --fiscal-year YYYY: 主要財政指標 of every municipality from a table."""

from django.core.management.base import CommandError

from chiiki.core.commands import ChiikiCommand, actor_for, add_user_argument
from chiiki.core.fiscal import InvalidFiscalYear, parse_fiscal_year
from chiiki.regions.imports import FISCAL_INDICES
from chiiki.regions.models import settlement_label

from . import _import


class Command(ChiikiCommand):
    help = ("総務省「地方公共団体の主要財政指標一覧」の表（CSV/XLSX）から市区町村の財政力指数・経常収支比率・"
            "実質公債費比率・将来負担比率・ラスパイレス指数を取り込みます。全件が正しいときだけ保存します。")

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV（UTF-8/Shift_JIS）または XLSX")
        parser.add_argument("--fiscal-year", required=True, help="決算年度（例: 2022 または 令和4年度）")
        parser.add_argument("--code-column", default="団体コード", help="団体コードの列名（既定: 団体コード）")
        parser.add_argument("--source", default="", help="出典（省略時: 総務省「地方公共団体の主要財政指標一覧」（令和○年度決算））")
        add_user_argument(parser)

    def handle(self, *args, file, fiscal_year, code_column, source, user, **options):
        actor = actor_for(user, "register.import")
        try:
            fiscal_year = parse_fiscal_year(fiscal_year)
        except InvalidFiscalYear as exc:
            raise CommandError(f"--fiscal-year: {exc}") from None
        result = _import.run(FISCAL_INDICES, file, actor, fiscal_year=fiscal_year, code_column=code_column,
                             data_source=source)
        self.stdout.write(self.style.SUCCESS(f"{result.summary('財政指標')}（{settlement_label(fiscal_year)}）"))
