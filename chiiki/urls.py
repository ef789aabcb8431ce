from django.contrib import admin
from django.urls import include, path

from chiiki.api import api
from chiiki.core import api_docs
from chiiki.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("about/data", core_views.about_data, name="about_data"),
    path("accounts/", include("chiiki.accounts.urls")),
    path("regions/", include("chiiki.regions.urls")),
    path("progress/", include("chiiki.progress.urls")),
    path("programs/", include("chiiki.programs.urls")),
    path("history/", include("chiiki.history.urls")),
    path("", include("chiiki.opendata.urls")),  # opendata: /opendata/, CKAN /api/3/action/, DCAT /catalog.*
    path("pdca/", include("chiiki.pdca.urls")),  # pdca: KPIs, reviews, 制度の見直し
    path("cases/", include("chiiki.cases.urls")),  # pdca (issue 14): 事例ライブラリ
    path("promotion/", include("chiiki.promotion.urls")),  # promotion: 推進体制
    path("talent/", include("chiiki.talent.urls")),  # talent (人材)
    path("funding/", include("chiiki.funding.urls")),  # funding
    path("api/v1/docs", api_docs.docs, name="api_docs"),  # before the API's own routes: replaces Swagger UI
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]

handler400 = "chiiki.core.errors_views.bad_request"
handler403 = "chiiki.core.errors_views.permission_denied"
handler404 = "chiiki.core.errors_views.page_not_found"
handler500 = "chiiki.core.errors_views.server_error"
