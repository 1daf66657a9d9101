from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentsConfig(AppConfig):
    """Policy versions, consent items and the append-only consent records."""

    name = "consents"
    verbose_name = _("Consents")

    def ready(self) -> None:
        from consents.receivers import close_consents_on_withdrawal, record_imported_consents
        from members.hooks import members_withdrawing
        from members.signals import members_bulk_created

        members_bulk_created.connect(record_imported_consents, dispatch_uid="consents.record_imported_consents")
        members_withdrawing.connect(close_consents_on_withdrawal, dispatch_uid="consents.close_on_withdrawal")
