"""The Django admin (/django-admin/) is for national administrators only: superusers, and national admins who
were also given staff status (access rule "site.admin"). Model permissions follow the same rule, so a national
admin needs no Django permission rows; nobody else gets in even with is_staff."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction

from chiiki import access
from chiiki.core import history
from chiiki.core.forms import StorableModelChoiceField, StorableModelMultipleChoiceField

from . import actions
from .models import ApiToken, User


def _site_admin(request) -> bool:
    return access.can(request.user, "site.admin")


# The whole site: every admin view checks this before anything else.
admin.site.has_permission = _site_admin
admin.site.site_header = "地域IoT実装推進プラットフォーム 管理画面"
admin.site.site_title = "Chiiki 管理画面"
admin.site.index_title = "管理"


class SiteAdminPermissions:
    """ModelAdmin mixin: permissions from chiiki.access instead of Django's permission table."""

    def has_module_permission(self, request):
        return _site_admin(request)

    def has_view_permission(self, request, obj=None):
        return _site_admin(request)

    def has_add_permission(self, request):
        return _site_admin(request)

    def has_change_permission(self, request, obj=None):
        return _site_admin(request)

    def has_delete_permission(self, request, obj=None):
        return _site_admin(request)

    # Relations are looked up by a key the admin may type: refuse NUL in it (PostgreSQL fails on the lookup).
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", StorableModelChoiceField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", StorableModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


def _guards_a_superuser(request, obj) -> bool:
    return obj is not None and obj.is_superuser and not request.user.is_superuser


@admin.register(User)
class UserAdmin(SiteAdminPermissions, DjangoUserAdmin):
    list_display = ["username", "full_name", "role", "affiliation", "is_active", "is_staff", "last_login"]
    list_filter = ["role", "is_active", "is_staff", "prefecture"]
    search_fields = ["username", "first_name", "last_name", "email", "organisation", "municipality__name"]
    list_select_related = ["prefecture", "municipality", "municipality__prefecture"]
    raw_id_fields = ["municipality"]  # 1,741 of them: type the 6-digit 団体コード
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("氏名・連絡先", {"fields": ["last_name", "first_name", "email"]}),
        ("役割と所属", {"fields": ["role", "prefecture", "municipality", "organisation"],
                     "description": "都道府県職員は所属都道府県、市区町村職員は所属市区町村が必要です。"}),
        ("状態", {"fields": ["is_active", "is_staff", "is_superuser"]}),
        ("日時", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "password1", "password2"]}),
        ("役割と所属", {"fields": ["role", "prefecture", "municipality", "organisation"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]

    @admin.display(description="氏名", ordering="last_name")
    def full_name(self, obj):
        return obj.get_full_name()

    @admin.display(description="所属")
    def affiliation(self, obj):
        return obj.affiliation

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields.append("is_superuser")  # national admins cannot mint superusers (or become one)
        return fields

    # A superuser's account is a superuser's to change: a national admin could otherwise set its password (and
    # sign in as it), deactivate or delete it.
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _guards_a_superuser(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _guards_a_superuser(request, obj)

    # Every change made here goes into the change history (accounts.actions), like every other domain write.

    def user_change_password(self, request, id, form_url=""):
        # Django's own view saves the password without save_model: recorded here when it did.
        target = self.get_object(request, unquote(id))
        before = actions.user_state(target) if target is not None else None
        with transaction.atomic():  # the new password and its record together
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302 and target is not None:
                actions.record_user_saved(request.user, User.objects.get(pk=target.pk), before,
                                          password_changed=True)
        return response

    def save_model(self, request, obj, form, change):
        before = actions.user_state(User.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        actions.record_user_saved(request.user, obj, before,
                                  password_changed=not change or "password" in form.changed_data)

    def delete_model(self, request, obj):
        actions.delete_user(request.user, obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            actions.delete_user(request.user, user)

    def get_deleted_objects(self, objs, request):
        # The user's API tokens go with the user (delete_user records them): no separate token permission needed.
        deleted, model_count, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, model_count, set(), protected


@admin.register(ApiToken)
class ApiTokenAdmin(SiteAdminPermissions, admin.ModelAdmin):
    """Tokens are issued by create_api_token or 「マイページ」 (the key is shown once); here they can be revoked."""

    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked"]
    list_filter = ["revoked"]
    search_fields = ["prefix", "name", "user__username"]
    list_select_related = ["user"]
    readonly_fields = ["user", "name", "prefix", "key_hash", "created_at", "last_used_at", "revoked"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # keep revoked tokens for the record; revoke instead

    @admin.action(description="選択したAPIトークンを失効させる")
    def revoke(self, request, queryset):
        tokens = list(queryset.select_related("user").filter(revoked=False))
        for token in tokens:
            actions.revoke_token(request.user, token, source=history.ADMIN_SITE)
        self.message_user(request, f"{len(tokens)}件のAPIトークンを失効させました。", messages.SUCCESS)
