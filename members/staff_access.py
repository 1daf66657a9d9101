"""Services: staff access (staff flag, superuser, groups, permissions) changes only here, and each change is
recorded (안전성 확보조치 기준 §5: who, whom, before, after, when; kept at least 3 years).

Rules: the actor holds `members.manage_staff_access`; never on one's own account; only a superuser grants
superuser or changes a superuser's account; no one grants a permission, directly or through a group, that
they do not hold themselves.
"""

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, router, transaction
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from members.models import Member, StaffAccessChange

MANAGE_STAFF_ACCESS = "members.manage_staff_access"


def permission_name(permission: Permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


# Django stores a permission's name in English when it migrates ("Can add log entry"); these read it again.
PERMISSION_ACTIONS = {"add": pgettext_lazy("permission", "add"), "change": pgettext_lazy("permission", "change"),
                      "delete": pgettext_lazy("permission", "delete"), "view": pgettext_lazy("permission", "view")}


def permission_label(permission: Permission) -> str:
    """A permission in the reader's language: "app | model | action"."""
    content_type = permission.content_type
    model = content_type.model_class()
    model_name = model._meta.verbose_name if model else content_type.model
    app_name = apps.get_app_config(content_type.app_label).verbose_name if model else content_type.app_label
    action, _sep, target = permission.codename.partition("_")
    label = PERMISSION_ACTIONS[action] if action in PERMISSION_ACTIONS and target == content_type.model else (
        gettext(permission.name))
    return f"{app_name} | {model_name} | {label}"


def staff_access_of(member: Member) -> dict[str, Any]:
    """A member's staff access as it is recorded: flags, group names, permission names (app.codename)."""
    return {
        "is_staff": member.is_staff,
        "is_superuser": member.is_superuser,
        "groups": sorted(member.groups.values_list("name", flat=True)),
        "permissions": sorted(permission_name(p) for p in member.user_permissions.select_related("content_type")),
    }


def _not_held(actor: Member, permissions: Iterable[Permission]) -> list[str]:
    return sorted({permission_name(p) for p in permissions if not actor.has_perm(permission_name(p))})


@transaction.atomic
def staff_access_change(*, actor: Member, member: Member, is_staff: bool, is_superuser: bool,
                        groups: Iterable[Group], permissions: Iterable[Permission], reason: str) -> StaffAccessChange:
    """Set a member's staff access to exactly what is given and record the change, or refuse and change nothing."""
    if not actor.has_perm(MANAGE_STAFF_ACCESS):
        raise PermissionDenied(_("Staff access: you do not have the permission to change staff access."))
    member = Member.objects.select_for_update().get(pk=member.pk)
    groups = list(groups)
    permissions = list(Permission.objects.filter(pk__in=[p.pk for p in permissions]).select_related("content_type"))
    before = staff_access_of(member)
    errors: dict[str, list] = {}
    if actor.pk == member.pk:
        errors["__all__"] = [_("Staff access: you cannot change the access of your own account; ask another "
                               "officer.")]
    if not actor.is_superuser and (is_superuser or member.is_superuser):
        errors["is_superuser"] = [_("Superuser: only a superuser can grant superuser status or change a "
                                    "superuser's access.")]
    if (is_staff or is_superuser or groups or permissions) and not member.is_active:
        errors.setdefault("__all__", []).append(_("Staff access: a withdrawn member cannot be given staff access."))
    current_groups = set(member.groups.values_list("pk", flat=True))
    added_group_permissions = Permission.objects.filter(
        group__in=[g.pk for g in groups if g.pk not in current_groups]).select_related("content_type")
    missing = _not_held(actor, added_group_permissions)
    if missing:
        errors["groups"] = [ValidationError(_("Groups: you cannot grant a group with permissions you do not hold "
                                              "yourself: %(permissions)s."),
                                            params={"permissions": ", ".join(missing)})]
    current_permissions = set(member.user_permissions.values_list("pk", flat=True))
    missing = _not_held(actor, [p for p in permissions if p.pk not in current_permissions])
    if missing:
        errors["permissions"] = [ValidationError(_("Permissions: you cannot grant permissions you do not hold "
                                                   "yourself: %(permissions)s."),
                                                 params={"permissions": ", ".join(missing)})]
    if not reason or not reason.strip():
        errors["reason"] = [_("Reason: say why the access changes; it is kept in the record.")]
    if errors:
        raise ValidationError(errors)
    member.is_staff, member.is_superuser = is_staff, is_superuser
    member.save(update_fields=["is_staff", "is_superuser"])
    member.groups.set(groups)
    member.user_permissions.set(permissions)
    after = staff_access_of(member)
    if after == before:
        raise ValidationError({"__all__": [_("Staff access: nothing to change; the account already has this "
                                             "access.")]})
    return StaffAccessChange.objects.create(actor=actor, member=member, before=before, after=after,
                                            reason=reason.strip())


def group_access_of(group: Group) -> dict[str, Any]:
    """A group as it is recorded: its name and permission names, read from the database."""
    if group.pk is None:
        return {"name": "", "permissions": []}
    stored = Group.objects.get(pk=group.pk)
    return {"name": stored.name,
            "permissions": sorted(permission_name(p) for p in stored.permissions.select_related("content_type"))}


def group_access_errors(*, actor: Member, group: Group, name: str, permissions: Iterable[Permission],
                        reason: str) -> dict[str, list]:
    """Why a group change is refused, by field (empty when it may go ahead). Every member of a group holds its
    permissions, so the member rules hold: the permission, never one's own group, nothing one does not hold."""
    if not actor.has_perm(MANAGE_STAFF_ACCESS):
        raise PermissionDenied(_("Staff access: you do not have the permission to change staff access."))
    permissions = list(Permission.objects.filter(pk__in=[p.pk for p in permissions]).select_related("content_type"))
    errors: dict[str, list] = {}
    name = (name or "").strip()
    max_length = Group._meta.get_field("name").max_length
    if not name:
        errors["name"] = [_("Group name: enter a name.")]
    elif len(name) > max_length:
        errors["name"] = [ValidationError(_("Group name: use at most %(max)d characters."),
                                          params={"max": max_length})]
    elif Group.objects.filter(name=name).exclude(pk=group.pk).exists():
        errors["name"] = [_("Group name: a group with this name already exists.")]
    if group.pk and actor.groups.filter(pk=group.pk).exists():
        errors["__all__"] = [_("Group: you cannot change a group you belong to; ask another officer.")]
    current = set(group.permissions.values_list("pk", flat=True)) if group.pk else set()
    missing = _not_held(actor, [p for p in permissions if p.pk not in current])
    if missing:
        errors["permissions"] = [ValidationError(_("Permissions: you cannot grant permissions you do not hold "
                                                   "yourself: %(permissions)s."),
                                                 params={"permissions": ", ".join(missing)})]
    if not reason or not reason.strip():
        errors["reason"] = [_("Reason: say why the access changes; it is kept in the record.")]
    after = {"name": name, "permissions": sorted(permission_name(p) for p in permissions)}
    if not errors and group.pk and after == group_access_of(group):
        errors["__all__"] = [_("Staff access: nothing to change; the account already has this access.")]
    return errors


@transaction.atomic
def group_access_change(*, actor: Member, group: Group, name: str, permissions: Iterable[Permission],
                        reason: str) -> StaffAccessChange:
    """Create a group or change its name and permissions, and record it; refuse and change nothing otherwise."""
    permissions = list(permissions)
    errors = group_access_errors(actor=actor, group=group, name=name, permissions=permissions, reason=reason)
    if errors:
        raise ValidationError(errors)
    before = group_access_of(group)
    group.name = name.strip()
    group.save()
    group.permissions.set(permissions)
    return StaffAccessChange.objects.create(actor=actor, group=group, before=before, after=group_access_of(group),
                                            reason=reason.strip())


@transaction.atomic
def staff_access_changes_purge(*, change_ids: Iterable[int]) -> dict[str, int]:
    """The one path that deletes staff-access records: the retention sweep, once a record's keeping period
    (at least 3 years, 안전성 확보조치 기준 §5②) has ended; the rule is declared by the retention app, which
    calls this (members imports no other app). Returns the rows deleted by record type (model label)."""
    # A queryset delete, not Model.delete: the model refuses deletion by the application one row at a time.
    _total, by_model = StaffAccessChange.objects.filter(pk__in=list(change_ids)).delete()
    return {StaffAccessChange._meta.label: by_model.get(StaffAccessChange._meta.label, 0)}


def staff_access_end_for_withdrawal(*, members: list[Member], actor: Member | None,
                                    reason: str) -> list[StaffAccessChange]:
    """A withdrawal ends every staff access of the members (flags, groups, permissions) and records each
    revocation (안전성 확보조치 기준 §5②: grant, change and revocation records). The group and permission links
    are deleted with RETURNING, so a batch of members without any access costs two statements and writes
    nothing more. The caller clears the flags with the rest of the member row."""
    ids = [member.pk for member in members]
    if not ids:
        return []
    using = router.db_for_write(Member)
    held: dict[int, dict[str, list]] = {}
    with connections[using].cursor() as cursor:
        for through, column, key in ((Member.groups.through, "group_id", "groups"),
                                     (Member.user_permissions.through, "permission_id", "permissions")):
            table = connections[using].ops.quote_name(through._meta.db_table)
            cursor.execute(f"DELETE FROM {table} WHERE member_id IN ({', '.join(['%s'] * len(ids))}) "
                           f"RETURNING member_id, {column}", ids)
            for member_id, linked in cursor.fetchall():
                held.setdefault(member_id, {"groups": [], "permissions": []})[key].append(linked)
    revoked = [member for member in members if member.is_staff or member.is_superuser or member.pk in held]
    if not revoked:
        return []
    linked = [held.get(member.pk, {"groups": [], "permissions": []}) for member in revoked]
    group_names = Group.objects.in_bulk([pk for links in linked for pk in links["groups"]])
    permissions = Permission.objects.select_related("content_type").in_bulk(
        [pk for links in linked for pk in links["permissions"]])
    nothing = {"is_staff": False, "is_superuser": False, "groups": [], "permissions": []}
    return StaffAccessChange.objects.bulk_create([
        StaffAccessChange(actor=actor or member, member=member, after=nothing, reason=reason, before={
            "is_staff": member.is_staff, "is_superuser": member.is_superuser,
            "groups": sorted(group_names[pk].name for pk in links["groups"]),
            "permissions": sorted(permission_name(permissions[pk]) for pk in links["permissions"])})
        for member, links in zip(revoked, linked, strict=True)])
