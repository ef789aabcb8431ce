"""Template pieces other apps' pages include: the navigator's 「この組み合わせで計画を作る」 button."""

from django import template

from chiiki import access

register = template.Library()


@register.inclusion_tag("funding/_from_package.html", takes_context=True)
def plan_from_package_button(context, municipality, sector):
    """Shown only to those who may make a plan for the municipality (the action checks again on POST)."""
    user = context.get("user")
    allowed = municipality is not None and bool(sector) and access.can(user, "funding.plan_edit", municipality)
    return {"allowed": allowed, "municipality": municipality, "sector": sector,
            "csrf_token": context.get("csrf_token")}
