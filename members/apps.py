from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    """Members, their sensitive identifiers and learning records, and the personal-data declaration."""

    name = "members"
    verbose_name = _("Members")

    def ready(self) -> None:
        from members import keys  # noqa: F401  (registers the key checks)
        from members.registry import registry

        # Each app declares its personal fields once, in its personal_data.py.
        registry.discover()
        # Connects the receiver that keeps form data out of axes' tables.
        import members.lockout  # noqa: F401
