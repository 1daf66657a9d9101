from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisclosuresConfig(AppConfig):
    """Third-party recipients (제3자 제공), processors (처리 위탁) and the provision ledger."""

    name = "disclosures"
    verbose_name = _("Disclosures")
