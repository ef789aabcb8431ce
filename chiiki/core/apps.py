from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "chiiki.core"
    label = "core"
    verbose_name = "共通基盤"

    def ready(self):
        from django.urls import register_converter

        from . import memory
        from .converters import RowIdConverter

        register_converter(RowIdConverter, "id")  # before any urls.py is read (they are read on the first request)

        memory.configure()  # large imports give their memory back (chiiki/core/memory.py)
