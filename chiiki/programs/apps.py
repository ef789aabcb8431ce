from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "chiiki.programs"
    label = "programs"
    verbose_name = "支援メニュー"
