"""python manage.py load_boundaries [PATH] [--download]: municipality/prefecture outlines, neighbours, areas."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from chiiki.core import history
from chiiki.core.commands import ChiikiCommand, actor_for, add_user_argument
from chiiki.regions import boundaries
from chiiki.regions.actions import store_boundaries


class Command(ChiikiCommand):
    help = (
        "市区町村・都道府県の境界（TopoJSON）を読み込み、地図用データ・隣接関係・面積（概算）を保存します。"
        f"出典: {boundaries.CREDIT}"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="municipalities.topojson と prefectures.topojson のあるディレクトリ"
                                                    "（既定: settings.BOUNDARIES_DIR）")
        parser.add_argument("--download", action="store_true",
                            help=f"{boundaries.UPSTREAM_REPOSITORY} の固定コミットからダウンロードし sha256 を検証します")
        add_user_argument(parser)

    def handle(self, *args, path, download, user, **options):
        actor = actor_for(user, "register.import")
        if download and path:
            raise CommandError("PATH と --download は同時に指定できません")
        try:
            if download:
                self.stdout.write(f"ダウンロード中: {boundaries.UPSTREAM_REPOSITORY}@{boundaries.UPSTREAM_COMMIT[:12]}")
                files = boundaries.download()
            else:
                directory = Path(path or settings.BOUNDARIES_DIR)
                _require_directory(directory)
                files = boundaries.read_directory(directory)
            loaded = boundaries.parse(files)
        except boundaries.BoundaryError as exc:
            raise CommandError(str(exc)) from None
        result = store_boundaries(actor, loaded, source=history.COMMAND)
        for name, verified in loaded.verified.items():
            if not verified:
                self.stdout.write(self.style.WARNING(
                    f"注意: {name} は固定版（sha256 {boundaries.PINNED[name].sha256[:12]}…）と異なるファイルです"))
        if result.unmatched:
            # Expected on every load (北方領土の村, 所属未定地): one short line; the full list only with -v 2.
            listed = "、".join(result.unmatched) if options.get("verbosity", 1) > 1 else (
                f"{result.unmatched[0]}など。一覧は -v 2")
            self.stdout.write(f"対応する団体のない図形{len(result.unmatched)}件は読み飛ばしました（{listed}）")
        self.stdout.write(self.style.SUCCESS(result.summary()))
        self.stdout.write(f"出典表示: {boundaries.CREDIT}")


def _require_directory(directory: Path) -> None:
    """A file given instead of its directory is named as such (a missing path is left to read_directory)."""
    try:
        if directory.exists() and not directory.is_dir():
            raise CommandError(f"境界データのディレクトリではありません: {directory}"
                               f"（{boundaries.MUNICIPALITIES_FILE} と {boundaries.PREFECTURES_FILE} のあるディレクトリを"
                               "指定してください）")
    except OSError as exc:
        raise CommandError(f"境界データのディレクトリを読めません: {directory}（{exc.strerror}）") from None
