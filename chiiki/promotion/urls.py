from django.urls import path

from . import views

app_name = "promotion"

urlpatterns = [
    path("", views.index, name="index"),
    path("candidates/", views.candidates, name="candidates"),
    path("diffusion-cells/", views.diffusion_cells, name="diffusion_cells"),
    path("model-regions/<str:code>/", views.model_region, name="model_region"),
    path("model-regions/<str:code>/cells/", views.diffusion_cells, name="region_diffusion_cells"),
    path("m/<str:code>/", views.municipality, name="municipality"),
    path("commitments/", views.commitments, name="commitments"),
    path("m/<str:code>/commitments/new", views.commitment_new, name="commitment_new"),
    path("manage/weights", views.weights_edit, name="weights"),
    path("manage/designate", views.designate, name="designate"),
    path("organisations/", views.organisations, name="organisations"),
    path("organisations/new", views.organisation_edit, name="organisation_new"),
    path("organisations/<id:pk>/", views.organisation, name="organisation"),
    path("organisations/<id:pk>/edit", views.organisation_edit, name="organisation_edit"),
    path("councils/", views.councils, name="councils"),
    path("councils/new", views.council_new, name="council_new"),
    path("councils/<id:pk>/", views.council, name="council"),
    path("challenges/", views.challenges, name="challenges"),
    path("challenges/deadlines.ics", views.challenges_ics, name="challenges_ics"),
    path("challenges/new", views.challenge_new, name="challenge_new"),
    path("challenges/<id:pk>/", views.challenge, name="challenge"),
    path("challenges/<id:pk>/edit", views.challenge_edit, name="challenge_edit"),
    path("challenges/<id:pk>/withdraw", views.challenge_withdraw, name="challenge_withdraw"),
    path("plans/<id:pk>/organisations", views.plan_organisation_add, name="plan_organisation_add"),
    path("plan-organisations/<id:pk>/remove", views.plan_organisation_remove, name="plan_organisation_remove"),
    path("events/", views.events, name="events"),
    path("events/calendar.ics", views.events_ics, name="events_ics"),
    path("events/new", views.event_edit, name="event_new"),
    path("events/<id:pk>/", views.event, name="event"),
    path("events/<id:pk>/edit", views.event_edit, name="event_edit"),
    path("events/<id:pk>/calendar.ics", views.event_calendar, name="event_calendar"),
]
