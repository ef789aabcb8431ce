from django.apps import AppConfig


class HistoryConfig(AppConfig):
    """The change history's pages: who changed what, scoped per role (the table and its writer live in core)."""

    name = "chiiki.history"
    label = "history"
    verbose_name = "変更履歴"
