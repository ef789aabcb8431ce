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
