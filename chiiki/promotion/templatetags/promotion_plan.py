"""{% plan_organisations plan user %}: the organisations named in an implementation plan (funding) with their
roles — 運営主体・連携・資金提供 — and, for the plan's editors, the form to add or remove one. The rows live in
promotion (PlanParticipation); their actions bump the funding data version too, so the plan page's cache follows."""

from django import template

from chiiki import access
from chiiki.promotion import queries
from chiiki.promotion.forms import PlanOrganisationForm

register = template.Library()


@register.inclusion_tag("promotion/_plan_organisations.html", takes_context=True)
def plan_organisations(context, plan):
    user = context.get("user")
    can_edit = access.can(user, "promotion.plan_roles", plan)
    # A refused add (views.plan_organisation_add) renders the plan page with its bound form, kept as typed.
    form = context.get("plan_organisation_form") or (PlanOrganisationForm() if can_edit else None)
    return {
        "plan": plan, "participations": queries.plan_participations(plan), "can_edit": can_edit, "form": form,
        "csrf_token": context.get("csrf_token"), "refused": context.get("plan_organisation_refused"),
    }
