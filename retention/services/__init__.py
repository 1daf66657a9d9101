"""Every write of the retention app: rules, the archive, withdrawal, the sweep, legal holds."""

from retention.services.archive import archived_payload
from retention.services.holds import archived_payload_open, legal_hold_place, legal_hold_release
from retention.services.rules import (
    retention_rule_check,
    retention_rule_create,
    retention_rule_update,
    retention_rules_load,
)
from retention.services.sweep import SweepReport, ledger_flush, retention_sweep
from retention.services.withdrawal import WithdrawalResult, member_withdraw, members_withdraw

__all__ = [
    "SweepReport",
    "WithdrawalResult",
    "archived_payload",
    "archived_payload_open",
    "ledger_flush",
    "legal_hold_place",
    "legal_hold_release",
    "member_withdraw",
    "members_withdraw",
    "retention_rule_check",
    "retention_rule_create",
    "retention_rule_update",
    "retention_rules_load",
    "retention_sweep",
]
