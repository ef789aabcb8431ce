from django.apps import AppConfig

from chiiki.core.cache import cache_public

# Public 見える化 pages and API reads show progress per municipality (regions) and sector (roadmap).
DEPENDS_ON = ("progress", "regions", "roadmap")


class ProgressConfig(AppConfig):
    name = "chiiki.progress"
    label = "progress"
    verbose_name = "進捗状況の見える化"

    def ready(self):
        # pdca (issue 14): the overview's KPI panel shows the KPI rows, so a KPI edit ("pdca") refreshes it too.
        cache_public("/progress/", depends_on=(*DEPENDS_ON, "pdca"),
                     exclude=(r"/progress/entry/", r"/progress/import/"))
        # The overview's KPI panel shows values the KPIs measure live in other apps (plans, dispatches, datasets):
        # it changes with a write in any of them, like the PDCA pages.
        from chiiki.pdca.apps import DEPENDS_ON as KPI_DEPENDS_ON

        cache_public("/progress/", depends_on=tuple(dict.fromkeys((*DEPENDS_ON, *KPI_DEPENDS_ON))), exact=True)
        # The municipality page also shows the case library's 「似た事例」 (cases).
        cache_public("/progress/municipalities/", depends_on=(*DEPENDS_ON, "cases"))
        cache_public("/api/v1/progress", depends_on=DEPENDS_ON)

    def rebuild_derived_data(self) -> str:
        """After a restore (chiiki.core.backup): the effective state (ADR 0013) is derived from the records, so
        build it again rather than trust that the copy kept the two in step."""
        from . import cells  # apps.py runs before models can be imported

        rows = cells.rebuild()
        return f"進捗状況の年度ごとの実効値を作り直しました（{rows:,}行）"
