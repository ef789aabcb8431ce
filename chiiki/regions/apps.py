from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "chiiki.regions"
    label = "regions"
    verbose_name = "団体（都道府県・市区町村）"
