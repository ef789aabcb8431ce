"""{% similar_cases municipality sectors %}: the 「似た事例」 block for other apps' pages (municipality page,
navigator result, plan page) — one line in their template, the reading stays here."""

from django import template

from ..queries import similar_cases as similar_cases_query

register = template.Library()


@register.inclusion_tag("cases/_similar.html")
def similar_cases(municipality, sectors=None, limit=3):
    if municipality is None:
        return {"similar": []}
    if isinstance(sectors, str):
        sectors = [sectors] if sectors else None
    return {"similar": similar_cases_query(municipality, sectors=sectors or None, limit=limit)}
