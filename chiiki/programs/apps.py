from django.apps import AppConfig

from chiiki.core.cache import cache_public


class ProgramsConfig(AppConfig):
    name = "chiiki.programs"
    label = "programs"
    verbose_name = "支援メニュー"

    def ready(self):
        # Eligibility reads municipality attributes (regions), sectors come from the roadmap and the navigator
        # page shows the municipality's recorded stage (progress). Saved searches, alert links (a GET that
        # unsubscribes) and the catalog screens are per-user or write.
        cache_public("/programs/", depends_on=("programs", "regions", "roadmap", "progress"),
                     exclude=(r"/programs/(?:saved|alerts|manage)/", r"/programs/p/[^/]+/edit"))
        cache_public("/api/v1/programs", depends_on=("programs", "regions", "roadmap"))
        # The navigator result also shows the case library's 「似た事例」 (cases).
        cache_public("/programs/navigator/", depends_on=("programs", "regions", "roadmap", "progress", "cases"))

    def rebuild_derived_data(self) -> str:
        """After a restore (chiiki.core.backup): the search index is not a model table, so rebuild it from the
        programs, as load_reference does."""
        from .indexing import PROGRAM_INDEX, reindex  # apps.py runs before models can be imported
        from .models import SupportProgram

        programs = list(SupportProgram.objects.all())
        PROGRAM_INDEX.clear()
        reindex(programs)
        return f"支援メニューの検索索引を作り直しました（{len(programs)}件）"
