from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "chiiki.core"
    label = "core"
    verbose_name = "共通基盤"

    def ready(self):
        from . import memory

        memory.configure()  # large imports give their memory back (chiiki/core/memory.py)
