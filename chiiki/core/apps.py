from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "chiiki.core"
    label = "core"
    verbose_name = "共通基盤"
