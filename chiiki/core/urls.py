from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.history, name="history"),
    path("<int:pk>/", views.history_detail, name="history_detail"),
]
