from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "chiiki.programs"
    label = "programs"
    verbose_name = "支援メニュー"

    def rebuild_derived_data(self) -> str:
        """After a restore (chiiki.core.backup): the search index is not a model table, so rebuild it from the
        programs, as load_reference does."""
        from .indexing import PROGRAM_INDEX, reindex
        from .models import SupportProgram

        programs = list(SupportProgram.objects.all())
        PROGRAM_INDEX.clear()
        reindex(programs)
        return f"支援メニューの検索索引を作り直しました（{len(programs)}件）"
