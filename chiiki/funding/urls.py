from django.urls import path
from django.views.generic import RedirectView

from . import views
from .imports import FUNDING_LINES, NON_GRANT, RECEIPTS

app_name = "funding"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="funding:plans", permanent=False), name="index"),
    path("plans/", views.plan_list, name="plans"),
    path("plans/new", views.plan_new, name="plan_new"),
    path("plans/from-package", views.plan_from_package, name="plan_from_package"),
    path("plans/<id:pk>/", views.plan_detail, name="plan"),
    path("plans/<id:pk>/edit", views.plan_edit, name="plan_edit"),
    path("plans/<id:pk>/status", views.plan_status, name="plan_status"),
    path("plans/<id:pk>/participants", views.plan_participants, name="plan_participants"),
    path("plans/<id:pk>/years/add", views.year_add, name="year_add"),
    path("plans/<id:pk>/years/<id:year_id>", views.year_edit, name="year_edit"),
    path("plans/<id:pk>/years/<id:year_id>/lines/add", views.line_add, name="line_add"),
    path("plans/<id:pk>/lines/<id:line_id>", views.line_edit, name="line_edit"),
    path("lines/", views.line_list, name="lines"),
    *FUNDING_LINES.urls("lines/import/"),
    path("flows/", views.flows, name="flows"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns.ics", views.campaigns_ics, name="campaigns_ics"),
    path("campaigns/new", views.campaign_new, name="campaign_new"),
    path("campaigns/<id:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<id:pk>/edit", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<id:pk>/reports", views.campaign_report, name="campaign_report"),
    *RECEIPTS.urls("campaigns/receipts/import/"),
    path("projects/", views.project_list, name="projects"),
    path("projects/<id:pk>/", views.project_detail, name="project"),
    path("projects/<id:pk>/pledge", views.pledge_create, name="pledge_create"),
    path("projects/<id:pk>/add", views.project_add, name="project_add"),
    path("projects/<id:pk>/edit", views.project_edit, name="project_edit"),
    path("revitalisation/new", views.revitalisation_new, name="revitalisation_new"),
    path("revitalisation/<id:pk>/edit", views.revitalisation_edit, name="revitalisation_edit"),
    path("companies/new", views.company_new, name="company_new"),
    path("pledges/", views.pledge_list, name="pledges"),
    path("pledges/<id:pk>/", views.pledge_detail, name="pledge"),
    path("pledges/<id:pk>/state", views.pledge_state, name="pledge_state"),
    path("tax-credit", views.tax_settings, name="tax_settings"),
    *NON_GRANT.urls("non-grant/import/"),
    path("cliffs/", views.cliffs, name="cliffs"),
]
