from django.apps import AppConfig

from chiiki.core.cache import cache_public

# Promotion pages show progress (scores, diffusion, packages) of municipalities (regions) by sector (roadmap).
# funding: plans in score and packages; programs: the support programs those plans used, named in packages.
DEPENDS_ON = ("promotion", "progress", "regions", "roadmap", "funding", "programs")


class PromotionConfig(AppConfig):
    name = "chiiki.promotion"
    label = "promotion"
    verbose_name = "推進体制（見本となる地域）"

    def ready(self):
        # The event list and its feed hide an event once it has ended, and an event's page offers registration
        # until it starts: moments, which the stored page's state (data versions and the date) does not carry, so
        # a copy stored while an event ran would list it after its end. Never stored.
        cache_public("/promotion/", depends_on=DEPENDS_ON,
                     exclude=(r"/promotion/manage/", r"/promotion/m/[^/]+/commitments/new", r"/promotion/[a-z]+/new",
                              r"/promotion/[a-z]+/\d+/(?:edit|members|proposals|register|select|shortlist)",
                              r"/promotion/events/(?:calendar\.ics)?$", r"/promotion/events/\d+/$",
                              r"/promotion/events/\d+/calendar\.ics"))  # per registrant: carries the join link
        cache_public("/api/v1/model-regions", depends_on=DEPENDS_ON)
        for prefix in ("/api/v1/organisations", "/api/v1/councils"):
            cache_public(prefix, depends_on=DEPENDS_ON)
        # An event's calendar file for its registrant carries the join link; the list and the feed hide an event
        # once it has ended (a moment, as above): never stored. One event's data does not change with the clock.
        cache_public("/api/v1/events", depends_on=DEPENDS_ON,
                     exclude=(r"/api/v1/events(?:/calendar\.ics)?$", r"/api/v1/events/\d+/calendar\.ics"))
        # Proposals are per visitor (confidential until the outcome): never stored.
        cache_public("/api/v1/challenges", depends_on=DEPENDS_ON, exclude=(r"/api/v1/challenges/\d+/proposals",))
        # /api/v1/municipalities/{code}/packages and /neighbour-uptake read progress as well as the register:
        # this more specific declaration covers the register's municipality endpoints too (they only lose hits).
        cache_public("/api/v1/municipalities/", depends_on=DEPENDS_ON)
