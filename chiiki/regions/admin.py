"""Read-mostly admin for the register: it is loaded from data/ and the boundary files, edited through the site."""

from django.contrib import admin

from .models import BoundaryFile, Municipality, Prefecture


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Prefecture)
class PrefectureAdmin(ReadOnlyAdmin):
    list_display = ["code", "lg_code", "name", "kana"]
    search_fields = ["code", "lg_code", "name", "kana"]


@admin.register(Municipality)
class MunicipalityAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kana", "prefecture", "kind", "population", "population_year", "area_km2"]
    list_filter = ["kind", "prefecture"]
    search_fields = ["code", "name", "kana", "kana_folded"]
    list_select_related = ["prefecture"]
    exclude = ["boundary"]
    readonly_fields = [f.name for f in Municipality._meta.concrete_fields if f.name != "boundary"]


@admin.register(BoundaryFile)
class BoundaryFileAdmin(ReadOnlyAdmin):
    list_display = ["name", "sha256", "source", "loaded_at"]
    exclude = ["topojson"]
