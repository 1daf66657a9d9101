from django.core.management.base import BaseCommand

from consents.loading import policy_load


class Command(BaseCommand):
    help = ("Load the privacy policy in force since 2023-12-01: consent items, §11 contacts and complaint bodies, "
            "the published version and the marketing re-confirmation schedule. Running it again changes nothing.")

    def handle(self, *args, **options) -> None:
        result = policy_load()
        self.stdout.write(self.style.SUCCESS(
            f"Privacy policy {result['version']} loaded: {result['items']} consent items "
            f"({result['items_created']} new), {result['contacts']} contacts, {result['bodies']} complaint bodies."))
