"""Read-mostly admin: sectors come from data/sectors.csv via load_reference."""

from django.contrib import admin

from chiiki.core.admin import ReadOnlyAdmin

from .models import Sector, SectorModel


class SectorModelInline(admin.TabularInline):
    model = SectorModel
    extra = 0
    can_delete = False
    readonly_fields = ["name", "order"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Sector)
class SectorAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "order"]
    readonly_fields = ["code", "name", "name_en", "note", "order"]
    inlines = [SectorModelInline]
