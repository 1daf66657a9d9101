from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentsConfig(AppConfig):
    """Policy versions, consent items and the append-only consent records."""

    name = "consents"
    verbose_name = _("Consents")

    def ready(self) -> None:
        from consents.receivers import record_imported_consents
        from members.signals import members_bulk_created

        members_bulk_created.connect(record_imported_consents, dispatch_uid="consents.record_imported_consents")
