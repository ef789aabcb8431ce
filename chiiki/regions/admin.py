"""Read-mostly admin for the register: it is loaded from data/ and the boundary files, edited through the site."""

from django.contrib import admin

from chiiki.core.admin import ReadOnlyAdmin

from .models import BoundaryFile, Municipality, Prefecture


@admin.register(Prefecture)
class PrefectureAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["code", "lg_code", "name", "kana"]
    search_fields = ["code", "lg_code", "name", "kana"]


@admin.register(Municipality)
class MunicipalityAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["code", "name", "kana", "prefecture", "kind", "population", "population_year", "area_km2"]
    list_filter = ["kind", "prefecture"]
    search_fields = ["code", "name", "kana", "kana_folded"]
    list_select_related = ["prefecture"]
    exclude = ["boundary"]
    readonly_fields = [f.name for f in Municipality._meta.concrete_fields if f.name != "boundary"]


@admin.register(BoundaryFile)
class BoundaryFileAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["name", "sha256", "source", "loaded_at"]
    exclude = ["topojson"]
