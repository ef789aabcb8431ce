"""{% promotion_advice municipality fiscal_year %}: the package advice and neighbours' uptake in brief, for the
pages of other apps about one municipality (its progress page, the navigator). Both read progress and the
register only, which those pages' caches already depend on."""

from django import template

from chiiki.promotion import packages, queries

register = template.Library()
SHOWN = 3


@register.inclusion_tag("promotion/_advice.html")
def promotion_advice(municipality, fiscal_year=None):
    year = fiscal_year or queries.default_year()
    advice = queries.package_advice(municipality, year)
    names = queries.sector_names()
    combos = [c for c in advice["combinations"] if c["missing"]][:SHOWN]
    uptake = queries.neighbour_uptake(municipality, year)
    return {
        "place": municipality, "fiscal_year": year, "similar_count": advice["similar_count"],
        "combinations": [{"label": " ＋ ".join(names.get(s, s) for s in c["sectors"]), "support": c["support"],
                          "anchor": packages.anchor(c),
                          "missing": "・".join(names.get(s, s) for s in c["missing"])} for c in combos],
        "uptake": uptake[:SHOWN * 2], "uptake_more": max(0, len(uptake) - SHOWN * 2),
    }
