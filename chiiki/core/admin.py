from django.contrib import admin

from chiiki.accounts.admin import SiteAdminPermissions

from .models import ChangeRecord


@admin.register(ChangeRecord)
class ChangeRecordAdmin(SiteAdminPermissions, admin.ModelAdmin):
    """The audit trail: readable, never editable (the history page is the everyday view)."""

    list_display = ["at", "action", "model", "object_repr", "municipality", "actor_label", "source"]
    list_filter = ["action", "model", "source"]
    search_fields = ["object_repr", "object_id", "actor_label", "municipality__name", "municipality__code"]
    date_hierarchy = "at"
    list_select_related = ["municipality"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
