"""Reactions to the members app's signals."""

from typing import Any

from consents.services import consents_close_for_withdrawals, consents_erase_for_withdrawals, consents_import
from members.models import Member


def record_imported_consents(sender: Any, *, members: list[Member], channel: str, **kwargs: Any) -> None:
    """Members created in bulk get their consent records in the same transaction; without a loaded policy
    there is nothing to consent to, and nothing is written."""
    consents_import(members=members, channel=channel)


def close_consents_on_withdrawal(sender: Any, *, members: list[Member], actor: Member | None, at: Any,
                                 **kwargs: Any) -> list[tuple[str, str, int]]:
    """Membership withdrawal closes the members' consents and erases the personal fields of their consent
    records, inside the withdrawal's transaction; returns what it erased for the destruction ledger."""
    consents_close_for_withdrawals(members=members, actor=actor, at=at)
    return consents_erase_for_withdrawals(members=members)
