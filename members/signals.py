"""Signals the members app sends so that other apps can react without members importing them."""

from django.dispatch import Signal

# Sent inside the transaction that created synthetic members in bulk (demo data), whose consents the consents
# app then records as a seeded mix. Never for real people: a partner import does not send it (its members give
# their consents themselves at first login).
# Arguments: members (a list of saved Member rows), channel (str, e.g. "import").
members_bulk_created = Signal()

# Sent by members.services.member_update inside its transaction when a member's details were corrected.
# Arguments: member (the saved Member), fields (dict: field name -> the value before the correction).
member_corrected = Signal()
