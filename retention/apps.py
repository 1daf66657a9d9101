from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    """Retention rules, separate storage (분리 보관) and destruction (파기)."""

    name = "retention"
    verbose_name = _("Retention and destruction")

    def ready(self) -> None:
        from consents.loading import policy_loader
        from members.keys import rotation_step
        from retention.services.archive import archive_data_keys_rewrap
        from retention.services.rules import retention_rules_load
        from retention.services.subjects import archive_subjects_rekey

        policy_loader(retention_rules_load)  # load_policy loads the §2 rules too
        rotation_step(archive_data_keys_rewrap)  # rotate_keys re-wraps the archive's data keys too
        rotation_step(archive_subjects_rekey)  # and re-keys its pseudonymous subjects under the new blind-index key
