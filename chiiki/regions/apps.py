from django.apps import AppConfig

from chiiki.core.cache import cache_public


class RegionsConfig(AppConfig):
    name = "chiiki.regions"
    label = "regions"
    verbose_name = "団体（都道府県・市区町村）"

    def ready(self):
        # Boundary files are large, vary on Accept-Encoding and carry their own ETag and Cache-Control;
        # the edit screen is for signed-in staff.
        cache_public("/regions/", depends_on=("regions", "boundaries"),
                     exclude=(r"/regions/boundaries/", r"/regions/municipalities/[^/]+/edit/"))
        # A municipality's page shows its own row (attributes its staff edit one at a time) and the names of its
        # neighbours and prefecture, which only whole-area loads change: it depends on its own part of "regions".
        # It also lists the municipality's public datasets (opendata, which bumps the owner's part on each write).
        cache_public("/regions/municipalities/", depends_on=("regions/{part}", "opendata/{part}", "boundaries"),
                     part=r"(\d{6})/$", exclude=(r"/regions/municipalities/[^/]+/edit/",))
        cache_public("/api/v1/municipalities", depends_on=("regions",))
        cache_public("/api/v1/prefectures", depends_on=("regions",))
