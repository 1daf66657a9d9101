from axes.apps import AppConfig as AxesAppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class PrivacyAdminConfig(AdminConfig):
    """django.contrib.admin with the project's site as the default (config/admin.py)."""

    default_site = "config.admin.PrivacyAdminSite"


class LoginLockoutConfig(AxesAppConfig):
    """django-axes (login lockout) under a Korean name in the admin."""

    verbose_name = _("Login lockout")

    def ready(self) -> None:
        super().ready()
        from axes.models import AccessAttempt, AccessFailureLog

        # axes names a row in English with its UTC time and the stored login-ID index; the admin shows it
        # in titles and breadcrumbs, so a row is named by its number instead.
        AccessAttempt.__str__ = AccessFailureLog.__str__ = lambda row: f"#{row.pk}"
