"""The key canaries that stop start-up under a wrong key, and the ledger of values that cannot be decrypted."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class KeyCanary(models.Model):
    """A known value sealed (or indexed) under the key in force when it was written; opened at start-up."""

    class Purpose(models.TextChoices):
        FIELD_ENCRYPTION = "field_encryption", "FIELD_ENCRYPTION_KEY"
        BLIND_INDEX = "blind_index", "BLIND_INDEX_KEY"

    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices, unique=True)
    value = models.BinaryField(_("value"))
    written_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("key canary")
        verbose_name_plural = _("key canaries")

    def __str__(self) -> str:
        return self.purpose


class DecryptionFailure(models.Model):
    """One stored value that could not be decrypted: where it is (never the value), when it was first seen."""

    table = models.CharField(_("table"), max_length=100)
    column = models.CharField(_("column"), max_length=100)
    row = models.CharField(_("row"), max_length=40)
    first_seen = models.DateTimeField(_("first seen"), default=timezone.now)

    class Meta:
        verbose_name = _("value that cannot be decrypted")
        verbose_name_plural = _("values that cannot be decrypted")
        ordering = ["-first_seen"]
        constraints = [models.UniqueConstraint(fields=["table", "column", "row"], name="decryption_failure_once")]

    def __str__(self) -> str:
        return f"{self.table}.{self.column} #{self.row}"
