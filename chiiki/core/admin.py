from django.contrib import admin

from chiiki.accounts.admin import SiteAdminPermissions

from .models import ChangeRecord


class ReadOnlyAdmin:
    """ModelAdmin mixin for rows that only loaders and actions write (with history and data versions): they can
    be looked at here, never added, changed or deleted. Put it first, before any permission mixin:
    `class XAdmin(ReadOnlyAdmin, admin.ModelAdmin)`. (A mixin, not a ModelAdmin subclass, so that a permission
    mixin listed after it still decides who may view.)"""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChangeRecord)
class ChangeRecordAdmin(ReadOnlyAdmin, SiteAdminPermissions, admin.ModelAdmin):
    """The audit trail: readable, never editable (the history page is the everyday view)."""

    list_display = ["at", "action", "model", "object_repr", "municipality", "actor_label", "source"]
    list_filter = ["action", "model", "source"]
    search_fields = ["object_repr", "object_id", "actor_label", "municipality__name", "municipality__code"]
    date_hierarchy = "at"
    list_select_related = ["municipality"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]
