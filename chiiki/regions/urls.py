from django.urls import path

from . import views

app_name = "regions"

urlpatterns = [
    path("", views.municipality_list, name="list"),
    path("prefectures/<str:code>/", views.prefecture_detail, name="prefecture"),
    path("municipalities/<str:code>/", views.municipality_detail, name="municipality"),
]
