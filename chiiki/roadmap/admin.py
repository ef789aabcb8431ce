"""Read-mostly admin: sectors come from data/sectors.csv via load_reference."""

from django.contrib import admin

from .models import Sector, SectorModel


class SectorModelInline(admin.TabularInline):
    model = SectorModel
    extra = 0
    can_delete = False
    readonly_fields = ["name", "order"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "order"]
    readonly_fields = ["code", "name", "name_en", "note", "order"]
    inlines = [SectorModelInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
