from django.apps import AppConfig

from chiiki.core.cache import cache_public


class RoadmapConfig(AppConfig):
    name = "chiiki.roadmap"
    label = "roadmap"
    verbose_name = "ロードマップ（分野・KPI）"

    def ready(self):
        cache_public("/api/v1/sectors", depends_on=("roadmap",))
