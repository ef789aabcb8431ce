"""python manage.py import_population FILE [--year YYYY]: population of every municipality from an official table."""

from django.core.management.base import CommandError

from chiiki.core.commands import ChiikiCommand, actor_for, add_user_argument
from chiiki.core.errors import Invalid
from chiiki.regions.actions import population_year
from chiiki.regions.imports import POPULATION

from . import _import


class Command(ChiikiCommand):
    help = ("公式の人口表（e-Stat 国勢調査・住民基本台帳の CSV/XLSX）から市区町村の人口を取り込みます。"
            "全件が正しいときだけ保存します。全国・都道府県の合計行と政令市の行政区の行は読み飛ばします。")

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV（UTF-8/Shift_JIS）または XLSX")
        parser.add_argument("--year", type=int, help="人口の基準年（例: 2020）。省略時は人口の列名の4桁の年")
        parser.add_argument("--code-column", default="団体コード", help="団体コードの列名（既定: 団体コード）")
        parser.add_argument("--population-column", default="人口", help="人口の列名（既定: 人口）")
        parser.add_argument("--source", default="", help="出典（例: 令和2年国勢調査 人口等基本集計）")
        add_user_argument(parser)

    def handle(self, *args, file, year, code_column, population_column, source, user, **options):
        actor = actor_for(user, "register.import")
        try:
            year = population_year(year, population_column)
        except Invalid:
            raise CommandError("--year で人口の基準年を指定してください（例: --year 2020）") from None
        result = _import.run(POPULATION, file, actor, year=year, code_column=code_column,
                             population_column=population_column, data_source=source)
        self.stdout.write(self.style.SUCCESS(f"{result.summary('人口')}（{year}年）"))
