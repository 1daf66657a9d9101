"""Hooks through which members announce changes to apps it may not import (DESIGN.md: one-way dependencies)."""

from django.dispatch import Signal

# Sent inside member_withdraw's transaction, before the member's personal fields are erased;
# args: member, actor, at. A receiver that raises rolls the withdrawal back.
member_withdrawing = Signal()

# Sent once for all the members one withdrawal call withdraws (a batch from the officer's action, or one),
# inside its transaction, before their personal fields are erased; args: members, actor, at. A receiver that
# erases personal fields its app declares returns [(record type label, data category, rows)] for the ledger.
members_withdrawing = Signal()
