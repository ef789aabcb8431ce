from django.apps import AppConfig

from chiiki.core.cache import cache_public

# KPI values are computed live from the capability apps' data, so the public PDCA pages change whenever any of
# them is written (the areas are the apps' actions.AREA: plans and money are both "funding").
DEPENDS_ON = ("pdca", "progress", "regions", "roadmap", "programs", "funding", "talent", "opendata")


class PdcaConfig(AppConfig):
    name = "chiiki.pdca"
    label = "pdca"
    verbose_name = "ロードマップのPDCA（KPI・レビュー・制度の見直し）"

    def ready(self):
        cache_public("/pdca/", depends_on=DEPENDS_ON)
        cache_public("/api/v1/kpis", depends_on=DEPENDS_ON)
        cache_public("/api/v1/reviews", depends_on=DEPENDS_ON)
        cache_public("/api/v1/proposals", depends_on=DEPENDS_ON)
