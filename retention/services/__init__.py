"""Every write of the retention app: rules, the archive, withdrawal, the sweep, legal holds."""

from retention.services.archive import archived_payload
from retention.services.holds import archived_payload_open, legal_hold_place, legal_hold_release
from retention.services.records import record_rule_apply, record_rule_measure
from retention.services.rules import (
    retention_rule_check,
    retention_rule_create,
    retention_rule_update,
    retention_rules_load,
)
from retention.services.subjects import archive_subjects_rekey, archived_records_of
from retention.services.sweep import SweepReport, ledger_flush, retention_sweep
from retention.services.withdrawal import WithdrawalResult, member_withdraw, members_withdraw

__all__ = [
    "SweepReport",
    "WithdrawalResult",
    "archive_subjects_rekey",
    "archived_payload",
    "archived_payload_open",
    "archived_records_of",
    "ledger_flush",
    "legal_hold_place",
    "legal_hold_release",
    "member_withdraw",
    "members_withdraw",
    "record_rule_apply",
    "record_rule_measure",
    "retention_rule_check",
    "retention_rule_create",
    "retention_rule_update",
    "retention_rules_load",
    "retention_sweep",
]
