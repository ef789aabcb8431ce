from django.urls import path

from . import views
from .imports import ROSTER

app_name = "talent"

urlpatterns = [
    path("", views.index, name="index"),
    path("capabilities/", views.capabilities, name="capabilities"),
    path("capabilities/suggest", views.suggest, name="suggest"),
    path("capabilities/<str:pk>/edit", views.capability_edit, name="capability_edit"),
    path("profiles/", views.profiles, name="profiles"),
    path("profiles/new", views.profile_new, name="profile_new"),
    path("profiles/<id:pk>/", views.profile, name="profile"),
    path("profiles/<id:pk>/edit", views.profile_edit, name="profile_edit"),
    path("profiles/<id:pk>/delete", views.profile_delete, name="profile_delete"),
    path("profiles/<id:pk>/account", views.profile_account, name="profile_account"),
    path("me", views.my_profile, name="me"),
    path("dispatches/", views.dispatches, name="dispatches"),
    path("requests/", views.requests, name="requests"),
    path("requests/new", views.request_new, name="request_new"),
    path("requests/<id:pk>/", views.request_detail, name="request"),
    path("requests/<id:pk>/edit", views.request_edit, name="request_edit"),
    path("requests/<id:pk>/move/<str:name>", views.request_move, name="request_move"),
    path("requests/<id:pk>/visits", views.request_visit, name="request_visit"),
    path("requests/<id:pk>/report", views.request_report, name="request_report"),
    path("requests/<id:pk>/rate", views.request_rate, name="request_rate"),
    path("analytics/", views.analytics, name="analytics"),
    path("analytics/map.json", views.analytics_map, name="analytics_map"),
    path("municipalities/<str:code>/", views.municipality, name="municipality"),
    path("manage/rounds", views.rounds, name="rounds"),
    path("manage/roster", views.roster_export, name="roster_export"),
    *ROSTER.urls("import/"),
]
