"""The Django admin (/django-admin/) is for national administrators only: superusers, and national admins who
were also given staff status (access rule "site.admin"). Model permissions follow the same rule, so a national
admin needs no Django permission rows; nobody else gets in even with is_staff."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.db import transaction

from chiiki import access
from chiiki.core import editing, history
from chiiki.core.forms import StorableModelChoiceField, StorableModelMultipleChoiceField

from . import actions
from .models import ApiToken, Role, User


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


SAVED_FIRST = "ほかの管理者がこの利用者を先に更新しました。最新の内容を確認してから、もう一度保存してください。"


class UserForm(UserChangeForm):
    """The change form, with the user as read (a fingerprint of accounts.actions.user_state): a form read before
    another admin's save would put back the role, affiliation or status it changed (users have no version)."""

    as_read = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["as_read"].initial = actions.user_fingerprint(self.instance)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        # The admin's change view is one transaction: the row stays locked until this form's save is recorded.
        current = User.objects.select_for_update(of=("self",)).select_related("prefecture", "municipality").get(
            pk=self.instance.pk)
        fingerprint = actions.user_fingerprint(current)
        # No fingerprint: a form from before it was asked for, or not from this page; as stale as an old one.
        if self.data.get("as_read") != fingerprint:
            self.data = self.data.copy()
            self.data["as_read"] = fingerprint  # saving again is a deliberate overwrite, as after any Conflict
            raise ValidationError([SAVED_FIRST, *self._theirs(current)])
        # What the form does not edit (the password, the last login) is saved as it is now, not as read.
        for name in ("password", "last_login"):
            setattr(self.instance, name, getattr(current, name))
            if name in cleaned:
                cleaned[name] = getattr(current, name)
        return cleaned

    def _theirs(self, current) -> list[str]:
        names = [name for name in ("username", "last_name", "first_name", "email", "role", "prefecture",
                                   "municipality", "organisation", "is_active", "is_staff", "is_superuser")
                 if name in self.fields and not self.fields[name].disabled]
        typed = {name: self.data.get(name) for name in names}
        stored = {name: getattr(current, User._meta.get_field(name).attname) for name in names}
        choices = {"role": Role.choices, "prefecture": [(current.prefecture_id, str(current.prefecture))],
                   "municipality": [(current.municipality_id, str(current.municipality))]}
        return [f"ほかの管理者が保存した{self.fields[name].label}：{shown}"
                for name, shown in editing.differences(typed, stored, choices).items()]


@admin.register(User)
class UserAdmin(SiteAdminPermissions, DjangoUserAdmin):
    form = UserForm
    list_display = ["username", "full_name", "role", "affiliation", "is_active", "is_staff", "last_login"]
    list_filter = ["role", "is_active", "is_staff", "prefecture"]
    search_fields = ["username", "first_name", "last_name", "email", "organisation", "municipality__name"]
    list_select_related = ["prefecture", "municipality", "municipality__prefecture"]
    raw_id_fields = ["municipality"]  # 1,741 of them: type the 6-digit 団体コード
    fieldsets = [
        (None, {"fields": ["username", "password", "as_read"]}),
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
        # Django's own view saves the password without save_model: recorded here when it did. It saves the whole row
        # it read: locked first, so a change another admin saves meanwhile is not put back.
        with transaction.atomic():  # the new password and its record together
            target = self.get_object(request, unquote(id))
            if request.method == "POST" and target is not None:
                target = User.objects.select_for_update().get(pk=target.pk)
            before = actions.user_state(target) if target is not None else None
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
