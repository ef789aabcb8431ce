from django.apps import AppConfig

from chiiki.core.cache import cache_public

# Case pages show municipalities (regions), sectors (roadmap) and linked programs besides the cases themselves.
DEPENDS_ON = ("cases", "regions", "roadmap", "programs")


class CasesConfig(AppConfig):
    name = "chiiki.cases"
    label = "cases"
    verbose_name = "事例ライブラリ"

    def ready(self):
        cache_public("/cases/", depends_on=DEPENDS_ON)
        cache_public("/api/v1/cases", depends_on=DEPENDS_ON)

    def rebuild_derived_data(self) -> str:
        """After a restore (chiiki.core.backup): the search index is not a model table, so rebuild it."""
        from .indexing import CASE_INDEX, reindex  # apps.py runs before models can be imported
        from .models import Case

        cases = list(Case.objects.select_related("municipality__prefecture").prefetch_related("partners", "programs"))
        CASE_INDEX.clear()
        reindex(cases)
        return f"事例の検索索引を作り直しました（{len(cases)}件）"
