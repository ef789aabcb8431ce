from django.apps import AppConfig

from chiiki.core.cache import cache_public

# Plans and flows show municipalities (regions), sectors (roadmap) and programs (eligibility, max_years).
DEPENDS_ON = ("funding", "regions", "roadmap", "programs", "cases")  # cases: 「似た事例」 on the plan page


class FundingConfig(AppConfig):
    name = "chiiki.funding"
    label = "funding"
    verbose_name = "資金循環"

    def ready(self):
        cache_public("/funding/", depends_on=DEPENDS_ON,
                     exclude=(r"/funding/plans/new", r"/funding/plans/from-package", r"/funding/plans/\d+/edit",
                              r"/funding/plans/\d+/years", r"/funding/plans/\d+/lines", r"/funding/plans/\d+/(status|participants)",
                              r"/funding/lines/import/", r"/funding/campaigns/new", r"/funding/campaigns/\d+/(edit|reports)",
                              r"/funding/campaigns/receipts/", r"/funding/projects/\d+/(pledge|add)", r"/funding/revitalisation/",
                              r"/funding/companies/", r"/funding/pledges/", r"/funding/tax-credit", r"/funding/non-grant/"))
        cache_public("/api/v1/plans", depends_on=DEPENDS_ON)
        cache_public("/api/v1/funding", depends_on=DEPENDS_ON)
        cache_public("/api/v1/campaigns", depends_on=DEPENDS_ON)
        cache_public("/api/v1/revitalisation-projects", depends_on=DEPENDS_ON)
        cache_public("/api/v1/revitalisation-plans", depends_on=DEPENDS_ON)
