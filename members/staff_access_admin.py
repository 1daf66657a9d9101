"""The record of staff-access changes (read-only for everyone) and the group pages, whose changes go through
members.staff_access like a member's: every member of a group holds its permissions."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from members.admin import ReadOnlyAdmin
from members.forms import GroupAccessForm
from members.models import StaffAccessChange
from members.staff_access import MANAGE_STAFF_ACCESS, group_access_change

LABELS = {"is_staff": _("staff status"), "is_superuser": _("superuser status"), "groups": _("groups"),
          "permissions": _("permissions"), "name": _("group name")}


def access_summary(value: dict[str, Any]) -> str:
    """A recorded access state in the reader's language: "staff status: yes · groups: a, b · ..."."""
    parts = []
    for key, item in value.items():
        if isinstance(item, bool):
            item = _("yes") if item else _("no")
        elif isinstance(item, list):
            item = ", ".join(item) or "-"
        parts.append(f"{LABELS.get(key, key)}: {item or '-'}")
    return " · ".join(parts)


@admin.register(StaffAccessChange)
class StaffAccessChangeAdmin(ReadOnlyAdmin):
    """Read-only for everyone, superusers included: the evidence of 안전성 확보조치 기준 §5 (kept 3 years)."""

    list_display = ["id", "at", "actor", "member", "group", "before_summary", "after_summary"]
    list_filter = ["at"]
    date_hierarchy = "at"
    list_select_related = ["actor", "member", "group"]
    fields = ["at", "actor", "member", "group", "before_summary", "after_summary", "reason"]
    readonly_fields = fields

    @admin.display(description=_("before"))
    def before_summary(self, obj: StaffAccessChange) -> str:
        return access_summary(obj.before)

    @admin.display(description=_("after"))
    def after_summary(self, obj: StaffAccessChange) -> str:
        return access_summary(obj.after)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAccessAdmin(GroupAdmin):
    """Groups change only with the staff-access permission, through group_access_change; never deleted here,
    since a deletion would take access away without a record."""

    form = GroupAccessForm
    fields = ["name", "permissions", "reason"]

    def get_form(self, request: HttpRequest, obj: Model | None = None, **kwargs: Any) -> type[ModelForm]:
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and request.user.has_perm(MANAGE_STAFF_ACCESS)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and request.user.has_perm(MANAGE_STAFF_ACCESS)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Group, form: ModelForm, change: bool) -> None:
        group_access_change(actor=request.user, group=obj, name=form.cleaned_data["name"],
                            permissions=form.cleaned_data["permissions"], reason=form.cleaned_data["reason"])

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: list, change: bool) -> None:
        """group_access_change has set the permissions already."""
