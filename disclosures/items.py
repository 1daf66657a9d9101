"""The items a provision can carry (제공하는 개인정보), and how each is read from a member.

Recipients list the codes they receive; `provision_record` refuses any other code. Items that a member can
correct name the member field they come from, so that a correction finds who received the old value (policy §7).
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class ProvisionItem:
    code: str
    label: Promise
    # The Member field the value comes from (corrected through members.services.member_update), if any.
    member_field: str = ""


ITEMS = {
    item.code: item
    for item in [
        ProvisionItem("name", pgettext_lazy("provision item", "Name"), "name"),
        ProvisionItem("rrn", pgettext_lazy("provision item", "Resident registration number")),
        ProvisionItem("company_name", pgettext_lazy("provision item", "Employer"), "company_name"),
        ProvisionItem("mobile", pgettext_lazy("provision item", "Mobile phone"), "mobile"),
        ProvisionItem("email", pgettext_lazy("provision item", "Email"), "email"),
        ProvisionItem("birth_date", pgettext_lazy("provision item", "Birth date"), "birth_date"),
        ProvisionItem("ip", pgettext_lazy("provision item", "IP address")),
        ProvisionItem("learning", pgettext_lazy("provision item", "Learning records")),
        ProvisionItem("service_log", pgettext_lazy("provision item", "Service use records and access logs")),
    ]
}
ITEM_CHOICES = [(code, item.label) for code, item in ITEMS.items()]


def items_for_field(field: str) -> list[str]:
    """The item codes whose value comes from this member field."""
    return [code for code, item in ITEMS.items() if item.member_field == field]
