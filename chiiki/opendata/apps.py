from django.apps import AppConfig

from chiiki.core.cache import cache_public


class OpendataConfig(AppConfig):
    name = "chiiki.opendata"
    label = "opendata"
    verbose_name = "オープンデータ"

    def ready(self):
        # Anonymous visitors only ever see public datasets, so the anonymous page cache is safe for the catalog
        # pages; downloads are counted per request and management screens are per user, so they stay out.
        cache_public("/opendata/", depends_on=("opendata", "regions", "roadmap"),
                     exclude=(r"/opendata/manage/", r"/opendata/dataset/[^/]+/(?:edit|resources|usage|uses)",
                              r"/opendata/dataset/[^/]+/resource/[^/]+/download", r"/opendata/validate"))

    def rebuild_derived_data(self) -> str:
        """After a restore: the search index is not a model table, rebuild it from the datasets."""
        from .indexing import DATASET_INDEX, reindex
        from .models import Dataset

        datasets = list(Dataset.objects.select_related("municipality", "prefecture"))
        DATASET_INDEX.clear()
        reindex(datasets)
        return f"オープンデータの検索索引を作り直しました（{len(datasets)}件）"
