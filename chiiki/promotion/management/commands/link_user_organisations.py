"""Link company users to the organisation registry by the free-text organisation on their account."""


from chiiki.core.commands import ChiikiCommand, actor_for, add_user_argument
from chiiki.promotion import actions


class Command(ChiikiCommand):
    help = ("企業の利用者の「所属組織」（自由記述）が登録済みの組織の名称と一致するとき（1件に限る）、その組織の所属に"
            "します。一致が複数のときは人が判断するため、そのままにします。")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="結びつける組み合わせを表示するだけで保存しません")
        add_user_argument(parser)

    def handle(self, *args, dry_run, user=None, **options):
        actor = actor_for(user, "promotion.manage")
        pairs = actions.link_users_by_name(actor, dry_run=dry_run)
        for account, organisation in pairs:
            self.stdout.write(f"{account.get_username()} → {organisation.name}（組織ID {organisation.pk}）")
        verb = "結びつけられます（保存していません）" if dry_run else "結びつけました"
        self.stdout.write(self.style.SUCCESS(f"{len(pairs)}人の利用者を組織に{verb}"))
