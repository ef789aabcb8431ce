from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "chiiki.progress"
    label = "progress"
    verbose_name = "進捗状況の見える化"
