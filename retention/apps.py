from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    """Retention rules, separate storage (분리 보관) and destruction (파기)."""

    name = "retention"
    verbose_name = _("Retention and destruction")
