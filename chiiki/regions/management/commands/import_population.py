"""python manage.py import_population FILE [--year YYYY]: population of every municipality from an official table."""

import re

from django.core.management.base import BaseCommand, CommandError

from chiiki.regions.actions import import_population

from . import _import
from ._actor import actor_for, add_user_argument


class Command(BaseCommand):
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
        actor = actor_for(user)
        if year is None:
            found = re.search(r"(19|20)\d\d", population_column)
            if not found:
                raise CommandError("--year で人口の基準年を指定してください（例: --year 2020）")
            year = int(found.group(0))
        result = _import.run(self, import_population, file, actor=actor, year=year, code_column=code_column,
                             population_column=population_column, source=source or f"人口（{year}年）")
        self.stdout.write(self.style.SUCCESS(f"{result.summary('人口')}（{year}年）"))
