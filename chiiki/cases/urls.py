from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.index, name="index"),
    path("new", views.edit, name="new"),
    path("<id:pk>/", views.detail, name="detail"),
    path("<id:pk>/edit", views.edit, name="edit"),
    *views.urls_import,
]
