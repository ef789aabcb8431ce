"""python manage.py import_area FILE: official areas (国土地理院) replace the ones computed from boundaries."""


from chiiki.core.commands import ChiikiCommand, actor_for, add_user_argument
from chiiki.regions.actions import DEFAULT_AREA_SOURCE
from chiiki.regions.imports import AREA

from . import _import


class Command(ChiikiCommand):
    help = ("国土地理院「全国都道府県市区町村別面積調」などの表（CSV/XLSX）から市区町村の面積（km²）を取り込みます。"
            "境界データから算出した概算値を置き換えます。全件が正しいときだけ保存します。")

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV（UTF-8/Shift_JIS）または XLSX")
        parser.add_argument("--code-column", default="団体コード", help="団体コードの列名（既定: 団体コード）")
        parser.add_argument("--area-column", default="面積", help="面積（km²）の列名（既定: 面積）")
        parser.add_argument("--source", default=DEFAULT_AREA_SOURCE, help=f"出典（既定: {DEFAULT_AREA_SOURCE}）")
        add_user_argument(parser)

    def handle(self, *args, file, code_column, area_column, source, user, **options):
        actor = actor_for(user, "register.import")
        result = _import.run(AREA, file, actor, code_column=code_column, area_column=area_column, data_source=source)
        self.stdout.write(self.style.SUCCESS(result.summary("面積")))
