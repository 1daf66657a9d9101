from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisclosuresConfig(AppConfig):
    """Third-party recipients (제3자 제공), processors (처리 위탁) and the provision ledger."""

    name = "disclosures"
    verbose_name = _("Disclosures")

    def ready(self) -> None:
        from consents.loading import policy_loader
        from consents.policy import policy_context_provider
        from disclosures.loading import disclosures_load
        from disclosures.receivers import notify_recipients_of_correction
        from disclosures.selectors import policy_tables
        from members.signals import member_corrected

        member_corrected.connect(notify_recipients_of_correction, dispatch_uid="disclosures.correction_notices")
        policy_context_provider(policy_tables)
        policy_loader(disclosures_load)
