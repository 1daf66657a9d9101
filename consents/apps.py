from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentsConfig(AppConfig):
    """Policy versions, consent items and the append-only consent records."""

    name = "consents"
    verbose_name = _("Consents")
