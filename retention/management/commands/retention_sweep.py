import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from retention.services import retention_sweep


class Command(BaseCommand):
    help = "Destroy archived records whose retention period has ended, and data whose purpose was achieved."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="print per rule what would be destroyed")
        parser.add_argument("--batch-size", type=int, default=1000)

    def _progress(self, rule: str, done: int, total: int) -> None:
        width = 30
        filled = width * min(done, total) // total if total else width
        line = f"\r{rule:<32} [{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}"
        self.stdout.write(line, ending="")
        self.stdout.flush()

    def handle(self, *args, dry_run: bool, batch_size: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        interactive = sys.stdout.isatty() or options.get("verbosity", 1) > 1
        report = retention_sweep(batch_size=batch_size, dry_run=dry_run,
                                 progress=self._progress if interactive else None)
        if interactive:
            self.stdout.write("")
        title = _("Dry run: nothing was changed.") if dry_run else _("Retention sweep finished.")
        self.stdout.write(f"{title} run {report.run_id}")
        header = (_("rule"), _("expired"), _("would destroy") if dry_run else _("destroyed"), _("on hold"),
                  _("undecryptable"))
        self.stdout.write(f"{header[0]:<36}{header[1]:>10}{header[2]:>14}{header[3]:>10}{header[4]:>15}")
        for code, line in report.rules.items():
            self.stdout.write(f"{code:<36}{line.expired:>10,}{line.destroyed:>14,}{line.held:>10,}"
                              f"{line.undecryptable:>15,}")
            if line.undecryptable_ids:
                ids = ", ".join(map(str, line.undecryptable_ids[:20]))
                skipped = _("undecryptable, skipped")
                self.stdout.write(self.style.WARNING(f"  {skipped}: {ids}"))
        total = _("total")
        self.stdout.write(f"{total:<36}{'':>10}{report.destroyed:>14,}{report.held:>10,}{report.undecryptable:>15,}")
