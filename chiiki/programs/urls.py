from django.urls import path

from . import views
from .imports import CATALOG

app_name = "programs"

urlpatterns = [
    path("", views.index, name="index"),
    path("deadlines.ics", views.deadlines_ics, name="deadlines_ics"),
    path("navigator/", views.navigator, name="navigator"),
    path("saved/", views.saved_list, name="saved"),
    path("saved/new", views.saved_create, name="saved_create"),
    path("saved/<id:pk>/alerts", views.saved_alerts, name="saved_alerts"),
    path("saved/<id:pk>/delete", views.saved_delete, name="saved_delete"),
    path("alerts/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("manage/", views.manage, name="manage"),
    path("manage/export", views.manage_export, name="manage_export"),
    *CATALOG.urls("manage/import/"),
    path("manage/new", views.edit, name="new"),
    path("p/<str:public_id>/", views.detail, name="detail"),
    path("p/<str:public_id>/edit", views.edit, name="edit"),
]
