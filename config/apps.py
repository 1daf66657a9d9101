from axes.apps import AppConfig as AxesAppConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class PrivacyAdminConfig(AdminConfig):
    """django.contrib.admin with the project's site as the default (config/admin.py)."""

    default_site = "config.admin.PrivacyAdminSite"


class LoginLockoutConfig(AxesAppConfig):
    """django-axes (login lockout) under a Korean name in the admin."""

    verbose_name = _("Login lockout")
