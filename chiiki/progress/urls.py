from django.urls import path

from chiiki.pdca import views as pdca_views  # pdca: 議会向け 1ページ報告

from . import views
from .imports import PROGRESS

app_name = "progress"

urlpatterns = [
    path("", views.index, name="index"),
    path("map/", views.map_page, name="map"),
    path("map-data.json", views.map_data, name="map_data"),
    path("prefectures/", views.prefectures, name="prefectures"),
    path("prefectures/<str:code>/", views.prefecture, name="prefecture"),
    path("rankings/", views.rankings, name="rankings"),
    path("municipalities/<str:code>/", views.municipality, name="municipality"),
    path("municipalities/<str:code>/report.pdf", pdca_views.municipality_report, name="report"),  # pdca: 議会向け報告
    path("records/", views.records, name="records"),
    path("records/<str:code>/<str:sector>/<id:fiscal_year>/delete", views.record_delete, name="record_delete"),
    path("entry/", views.entry_index, name="entry_index"),
    path("entry/<str:code>/", views.entry, name="entry"),
    path("entry/<str:code>/<str:sector>/", views.entry_save, name="entry_save"),
    *PROGRESS.urls("import/"),
]
