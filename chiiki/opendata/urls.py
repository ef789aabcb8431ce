"""オープンデータ URLs, mounted at the site root (chiiki/urls.py): the catalog pages under /opendata/, the CKAN
Action API at /api/3/action/ and /api/action/ (where CKAN clients look), and DCAT at /catalog.* and
/dataset/<name>.* (where CKAN's DCAT extension serves them) as well as under /opendata/."""

from django.urls import path, register_converter

from . import ckan, dcat, views

app_name = "opendata"


class DcatFormat:
    regex = "jsonld|ttl"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(DcatFormat, "dcat")

urlpatterns = [
    path("opendata/", views.index, name="index"),
    path("opendata/standards/", views.standards, name="standards"),
    path("opendata/standards/map.json", views.standards_map, name="standards_map"),
    path("opendata/validate/", views.validate, name="validate"),
    path("opendata/uses/", views.use_cases, name="uses"),
    path("opendata/org/<str:key>/", views.owner, name="owner"),
    path("opendata/manage/", views.manage, name="manage"),
    path("opendata/manage/new", views.create, name="create"),
    path("opendata/catalog.<dcat:fmt>", dcat.catalog, name="catalog_dcat"),
    path("opendata/dataset/<slug:name>.<dcat:fmt>", dcat.dataset, name="dataset_dcat"),
    path("opendata/dataset/<slug:name>/", views.detail, name="detail"),
    path("opendata/dataset/<slug:name>/edit", views.edit, name="edit"),
    path("opendata/dataset/<slug:name>/resources", views.resources, name="resources"),
    path("opendata/dataset/<slug:name>/usage", views.usage, name="usage"),
    path("opendata/dataset/<slug:name>/uses", views.register_use, name="register_use"),
    path("opendata/dataset/<slug:name>/uses/<id:pk>", views.moderate_use, name="moderate_use"),
    path("opendata/dataset/<slug:name>/resource/<str:uid>/download", views.download, name="download"),
    path("catalog.<dcat:fmt>", dcat.catalog, name="catalog_dcat_root"),
    path("dataset/<slug:name>.<dcat:fmt>", dcat.dataset, name="dataset_dcat_root"),
    path("api/3/action/<str:action>", ckan.action_view, name="ckan_action"),
    path("api/action/<str:action>", ckan.action_view, name="ckan_action_short"),
]
