"""Reactions to the members app's signals."""

from typing import Any

from disclosures.services import correction_notices_create
from members.models import Member


def notify_recipients_of_correction(sender: Any, *, member: Member, fields: dict[str, Any], **kwargs: Any) -> None:
    """Policy §7: a correction creates its notices in the transaction that corrected the member."""
    correction_notices_create(member=member, fields=fields)
