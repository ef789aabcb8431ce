from django.apps import AppConfig

from chiiki.core.cache import cache_public


class TalentConfig(AppConfig):
    name = "chiiki.talent"
    label = "talent"
    verbose_name = "人材"

    def ready(self):
        # Public: the vocabulary, public profiles (public fields only) and the anonymous aggregates. Requests,
        # forms and analytics with names are per-user (and never served to the public anyway).
        cache_public("/talent/", depends_on=("talent", "regions", "roadmap"),
                     exclude=(r"/talent/requests", r"/talent/profiles/new", r"/talent/profiles/\d+/(?:edit|delete)",
                              r"/talent/me", r"/talent/manage", r"/talent/import"))
        cache_public("/api/v1/talent/profiles", depends_on=("talent", "regions", "roadmap"))
        cache_public("/api/v1/capabilities", depends_on=("talent", "roadmap"))

    def rebuild_derived_data(self) -> str:
        """After a restore (chiiki.core.backup): the capability search index is not a model table."""
        from .indexing import reindex  # apps.py runs before models can be imported

        return f"できることの検索索引を作り直しました（{reindex()}件）"
