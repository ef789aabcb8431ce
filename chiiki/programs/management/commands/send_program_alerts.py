"""python manage.py send_program_alerts [--date YYYY-MM-DD]: the daily digest of saved-search alerts (for cron)."""

import datetime as dt

from django.core.management.base import CommandError

from chiiki.core.commands import ChiikiCommand
from chiiki.programs.alerts import send_digests


class Command(ChiikiCommand):
    help = "通知を有効にした保存検索について、新着と14日以内の締切を1日1通のメールで送ります（同じ日に再実行しても重複しません）。"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="基準日（YYYY-MM-DD、既定は今日）")

    def handle(self, *args, date=None, **options):
        today = None
        if date:
            try:
                today = dt.date.fromisoformat(date)
            except ValueError:
                raise CommandError(f"--date は YYYY-MM-DD で指定してください: {date}") from None
        counts = send_digests(today)
        self.stdout.write(
            f"支援メニュー通知: 対象{counts['users']}人、送信{counts['sent']}通、本日送信済み{counts['skipped_already_sent']}人、"
            f"該当なし{counts['nothing_to_send']}人")
