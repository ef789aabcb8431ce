
from chiiki.core.commands import ChiikiCommand, actor_for, add_user_argument
from chiiki.progress import actions


class Command(ChiikiCommand):
    help = ("進捗状況の年度ごとの実効値（繰越を含む表と実装団体数）を記録から作り直します。"
            "通常の書き込みでは自動で更新されるため、SQL や管理画面で記録を直接変えたときに使います。")

    def add_arguments(self, parser):
        add_user_argument(parser)

    def handle(self, *args, user=None, **options):
        rows = actions.rebuild_current_state(actor_for(user, "progress.import_any"))
        self.stdout.write(f"進捗状況の年度ごとの実効値を作り直しました（{rows:,}行）")
