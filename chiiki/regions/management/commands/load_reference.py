"""python manage.py load_reference [--force] [--data-dir DIR]: load every reference table, in order."""

import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.utils.module_loading import import_string

from chiiki.core.commands import ChiikiCommand, actor_for, add_user_argument
from chiiki.core.errors import DataFileError

# Each entry: dotted path to load(*, data_dir, force, stdout, progress, actor) -> one-line summary (idempotent).
REFERENCE_LOADERS = [
    "chiiki.regions.reference.load",
    "chiiki.roadmap.reference.load",
    "chiiki.regions.reference.load_population",
    "chiiki.regions.reference.load_fiscal_indices",
    "chiiki.programs.reference.load_catalog",
    "chiiki.pdca.reference.load_kpis",  # pdca: the national KPIs of data/kpis.csv
    "chiiki.talent.reference.load_capabilities",  # talent (人材): the できること vocabulary
]


class Command(ChiikiCommand):
    help = "data/ の参照データ（団体・分野など）を読み込みます。何度実行しても同じ結果になります。"

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", default=str(Path(settings.BASE_DIR) / "data"),
                            help="参照データのディレクトリ（既定: リポジトリの data/）")
        parser.add_argument("--force", action="store_true",
                            help="ファイルの人口・面積・財政指標の値で、取り込み済みや団体が登録した値も上書きします")
        parser.add_argument("--no-progress", action="store_true", help="進捗バーを表示しません")
        add_user_argument(parser)

    def handle(self, *args, data_dir, force, no_progress, user=None, **options):
        actor = actor_for(user, "register.import")
        data_dir = Path(data_dir)
        try:
            is_dir = data_dir.is_dir()
        except OSError as exc:  # is_dir() raises, rather than answers False, for a name the OS refuses
            raise CommandError(f"データのディレクトリを読めません: {data_dir}（{exc.strerror}）") from None
        if not is_dir:
            raise CommandError(f"データのディレクトリがありません: {data_dir}")
        progress = not no_progress and getattr(self.stdout, "isatty", lambda: False)() and sys.stdout.isatty()
        started = time.monotonic()
        summaries = []
        try:
            # One transaction around every loader (theirs nest as savepoints): a bad row in a later file rolls back
            # the register and sectors already loaded, as the refusal says, with their data-version bumps.
            with transaction.atomic():
                for dotted in REFERENCE_LOADERS:
                    loader = import_string(dotted)
                    summaries.append(loader(data_dir=data_dir, force=force, stdout=self.stdout, progress=progress,
                                            actor=actor))
        except DataFileError as exc:
            raise CommandError(f"参照データの読み込みに失敗しました。{exc}") from None
        # Written once committed: a summary of rows a later file's refusal rolled back would be untrue.
        for summary in summaries:
            self.stdout.write(summary)
        self.stdout.write(self.style.SUCCESS(
            f"参照データの読み込みが完了しました（{len(summaries)}件のローダー、{time.monotonic() - started:.1f}秒）"))
