from django.urls import path

from . import views
from .imports import AREA, FISCAL_INDICES, POPULATION

app_name = "regions"

urlpatterns = [
    path("", views.municipality_list, name="list"),
    path("map/", views.national_map, name="map"),
    path("points.json", views.points, name="points"),
    path("boundaries/<str:name>.topojson", views.boundary_file, name="boundaries"),
    path("prefectures/<str:code>/", views.prefecture_detail, name="prefecture"),
    path("municipalities/<str:code>/", views.municipality_detail, name="municipality"),
    path("municipalities/<str:code>/edit/", views.municipality_edit, name="municipality_edit"),
    *POPULATION.urls("import/population/"),
    *AREA.urls("import/area/"),
    *FISCAL_INDICES.urls("import/fiscal-indices/"),
]
