from django.urls import path

from . import views

app_name = "pdca"

urlpatterns = [
    path("", views.index, name="index"),
    path("kpis/new", views.kpi_new, name="kpi_new"),
    path("kpis/<str:code>/", views.kpi_detail, name="kpi"),
    path("kpis/<str:code>/edit", views.kpi_edit, name="kpi_edit"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/new", views.review_new, name="review_new"),
    path("reviews/<id:pk>/", views.review_detail, name="review"),
    path("reviews/<id:pk>/entries/<id:entry_pk>", views.entry_save, name="entry_save"),
    path("reviews/<id:pk>/actions/new", views.action_new, name="action_new"),
    path("reviews/<id:pk>/actions/<id:action_pk>", views.action_save, name="action_save"),
    path("proposals/", views.proposals, name="proposals"),
    path("proposals/new", views.proposal_new, name="proposal_new"),
    path("proposals/<id:pk>/", views.proposal_detail, name="proposal"),
    path("proposals/<id:pk>/status", views.proposal_status, name="proposal_status"),
]
