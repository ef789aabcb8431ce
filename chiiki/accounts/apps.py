from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "chiiki.accounts"
    label = "accounts"
    verbose_name = "アカウント"
