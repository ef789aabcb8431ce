from django.apps import AppConfig

from chiiki.core.cache import cache_public

# Public 見える化 pages and API reads show progress per municipality (regions) and sector (roadmap).
DEPENDS_ON = ("progress", "regions", "roadmap")


class ProgressConfig(AppConfig):
    name = "chiiki.progress"
    label = "progress"
    verbose_name = "進捗状況の見える化"

    def ready(self):
        cache_public("/progress/", depends_on=DEPENDS_ON, exclude=(r"/progress/entry/", r"/progress/import/"))
        cache_public("/api/v1/progress", depends_on=DEPENDS_ON)
