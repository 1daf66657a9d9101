from django.core.management.base import BaseCommand, CommandError

from members.lockout import login_lockout_lift, username_index


class Command(BaseCommand):
    help = ("Lift a login lockout before its 30 minutes end, by login ID or IP address (when no officer can log "
            "in to lift it in the admin). axes' own axes_reset_username does not work here: axes stores the "
            "login ID's blind index, not the login ID.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--login-id", action="append", default=[], help="a locked login ID (repeatable)")
        parser.add_argument("--ip", action="append", default=[], help="a locked IP address (repeatable)")

    def handle(self, *args, login_id: list[str], ip: list[str], **options) -> None:
        if not login_id and not ip:
            raise CommandError("Give --login-id or --ip.")
        accounts = [username_index(None, {"username": value}) for value in login_id]
        count = login_lockout_lift(actor=None, accounts=[a for a in accounts if a], addresses=ip)
        self.stdout.write(f"Lifted: {count} failure counter(s) removed.")
