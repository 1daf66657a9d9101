"""Personal data held by the consents app."""

from django.utils.translation import gettext_lazy as _

from consents.models import ConsentRecord, GuardianConsent
from members.registry import Category, personal, registry

registry.declare(
    GuardianConsent,
    personal(GuardianConsent, "guardian_name", Category.IDENTITY, mask="name", label=_("Guardian's name")),
    personal(GuardianConsent, "guardian_contact", Category.CONTACT, mask="phone", label=_("Guardian's contact")),
    personal(GuardianConsent, "ip", Category.SERVICE_RECORD, mask="ip", label=_("IP address at guardian consent"),
             encrypted=False),
)

registry.declare(
    ConsentRecord,
    # Evidence of a consent decision (when, from where); kept with the record, not encrypted.
    personal(ConsentRecord, "ip", Category.SERVICE_RECORD, mask="ip", label=_("IP address at consent"),
             encrypted=False),
    personal(ConsentRecord, "user_agent", Category.SERVICE_RECORD, mask="partial", label=_("Browser at consent"),
             encrypted=False),
)
