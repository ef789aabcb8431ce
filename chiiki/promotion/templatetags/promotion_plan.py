"""{% plan_organisations plan user %}: the organisations named in an implementation plan (funding) with their
roles — 運営主体・連携・資金提供 — and, for the plan's editors, the form to add or remove one. The rows live in
promotion (PlanParticipation); their actions bump the funding data version too, so the plan page's cache follows."""

from django import template

from chiiki import access
from chiiki.promotion import queries
from chiiki.promotion.models import Organisation, PlanRole

register = template.Library()


@register.inclusion_tag("promotion/_plan_organisations.html", takes_context=True)
def plan_organisations(context, plan):
    user = context.get("user")
    can_edit = access.can(user, "promotion.plan_roles", plan)
    return {
        "plan": plan, "participations": queries.plan_participations(plan), "can_edit": can_edit,
        "roles": PlanRole.choices, "csrf_token": context.get("csrf_token"),
        "organisations": Organisation.objects.order_by("name").only("pk", "name") if can_edit else [],
    }
