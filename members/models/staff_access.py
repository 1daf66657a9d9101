"""The record of every change to a staff account's access (안전성 확보조치 기준 §5: kept at least 3 years)."""

from typing import Any

from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models.member import Member

# 안전성 확보조치 기준 §5②: records of granting, changing and revoking access are kept for 3 years or more.
STAFF_ACCESS_RECORD_YEARS = 3


class StaffAccessChangeError(Exception):
    """A staff-access record is evidence: it is written once and never changed or deleted by the application."""


class StaffAccessChange(models.Model):
    """Who changed whose staff flag, superuser status, groups or permissions, or a group's permissions (which
    every member of the group holds), from what to what, why and when.

    Written by members.staff_access in the same transaction as the change; append-only. For a member,
    `before` and `after` hold {"is_staff", "is_superuser", "groups": [names], "permissions": ["app.codename"]};
    for a group, {"name", "permissions"}.
    """

    actor = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+", verbose_name=_("changed by"))
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="staff_access_changes", null=True,
                               blank=True, verbose_name=_("member"))
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
                              verbose_name=_("group"))
    before = models.JSONField(_("before"))
    after = models.JSONField(_("after"))
    reason = models.TextField(_("reason"))
    at = models.DateTimeField(_("changed at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("staff access change")
        verbose_name_plural = _("staff access changes")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(member__isnull=False, group__isnull=True)
                                   | Q(member__isnull=True, group__isnull=False),
                                   name="staff_access_change_member_or_group"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise StaffAccessChangeError("a staff-access record is never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise StaffAccessChangeError("a staff-access record is never deleted by the application")
