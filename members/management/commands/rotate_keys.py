"""`manage.py rotate_keys`: every encrypted value and blind index rewritten under the current keys."""

from django.core.management.base import BaseCommand, CommandError

from members.encryption import blind_index_rotation_pending, key_ring
from members.keys import BatchReport, rotate_keys, rotation_targets


class Command(BaseCommand):
    help = ("Re-encrypt every encrypted field of every model under FIELD_ENCRYPTION_KEY and recompute every blind "
            "index under BLIND_INDEX_KEY, in batches committed one by one; run it again to resume.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=500, help="rows per batch (one transaction each)")
        parser.add_argument("--max-batches", type=int, default=None,
                            help="stop after this many batches (run again to go on)")

    def handle(self, *args, batch_size: int, max_batches: int | None, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        ring = key_ring()
        self.stdout.write(f"sealing with key id {ring.current.key_id.hex()}; "
                          f"{len(ring.ciphers) - 1} old field key(s) may still open; "
                          f"old blind-index keys: {'yes' if blind_index_rotation_pending() else 'no'}")
        totals = {t.label: t.model._base_manager.count() for t in rotation_targets()}
        done: dict[str, int] = {}

        def progress(report: BatchReport, _seen: int) -> None:
            done[report.label] = done.get(report.label, 0) + report.seen
            self.stdout.write(f"  {report.label}: {done[report.label]:,} of {totals.get(report.label, 0):,} rows "
                              f"checked, {report.rewritten:,} rewritten in this batch")

        summary = rotate_keys(batch_size=batch_size, max_batches=max_batches, progress=progress)
        for column, row in summary.undecryptable:
            self.stderr.write(f"cannot be decrypted, skipped: {column} of row {row}")
        for column, row in summary.index_clashes:
            self.stderr.write(f"blind index clashes with another row, left under the old key: {column} of row {row}")
        self.stdout.write(f"{summary.seen:,} rows checked, {summary.rewritten:,} rewritten, "
                          f"{len(summary.undecryptable):,} values cannot be decrypted, "
                          f"{len(summary.index_clashes):,} index clashes, in {summary.batches:,} batches")
        if not summary.finished:
            self.stdout.write("stopped before the end: run rotate_keys again to go on")
        elif summary.undecryptable or summary.index_clashes:
            self.stdout.write("done, except the values above (see the admin's list of values that cannot be "
                              "decrypted); the canaries now use the current keys")
        else:
            self.stdout.write("done: every value is sealed with FIELD_ENCRYPTION_KEY and indexed with "
                              "BLIND_INDEX_KEY; FIELD_ENCRYPTION_OLD_KEYS and BLIND_INDEX_OLD_KEYS can be removed")
