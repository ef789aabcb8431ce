from django.urls import path

from . import views

app_name = "promotion"

urlpatterns = [
    path("", views.index, name="index"),
    path("candidates/", views.candidates, name="candidates"),
    path("model-regions/<str:code>/", views.model_region, name="model_region"),
    path("m/<str:code>/", views.municipality, name="municipality"),
    path("m/<str:code>/commitments/new", views.commitment_new, name="commitment_new"),
    path("manage/weights", views.weights_edit, name="weights"),
    path("manage/designate", views.designate, name="designate"),
]
