"""Signals the members app sends so that other apps can react without members importing them."""

from django.dispatch import Signal

# Sent inside the transaction that created members in bulk (demo data, partner imports).
# Arguments: members (a list of saved Member rows), channel (str, e.g. "import").
members_bulk_created = Signal()
