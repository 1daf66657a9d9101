"""Policy versions, consent items and the append-only consent records (policy §1, §2, §5, §9, §12; PIPA §22)."""

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from members.encryption import EncryptedCharField, RowSealField


class PolicyVersionQuerySet(models.QuerySet):
    def published(self) -> "PolicyVersionQuerySet":
        return self.filter(published_at__isnull=False)

    def in_force(self, at=None) -> "PolicyVersionQuerySet":
        return self.published().filter(effective_at__lte=at or timezone.now())

    def current(self, at=None) -> "PolicyVersion | None":
        """The version in force: the latest published one whose effective date has come."""
        return self.in_force(at).order_by("-effective_at", "-pk").first()

    def announced(self, at=None) -> "PolicyVersion | None":
        """A published version not yet in force: members see a notice until its date (policy §12)."""
        return self.published().filter(effective_at__gt=at or timezone.now()).order_by("effective_at").first()


class PolicyVersion(models.Model):
    """One version of the privacy policy; once published, its rendered text is frozen with its SHA-256."""

    version = models.CharField(_("version"), max_length=20, unique=True)
    change_summary = models.TextField(_("change summary"), blank=True)
    effective_at = models.DateTimeField(_("effective at"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    text = models.TextField(_("frozen text"), blank=True, editable=False)
    text_sha256 = models.CharField(_("text SHA-256"), max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = PolicyVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["-effective_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | ~Q(text_sha256=""),
                name="policy_version_published_has_hash",
            ),
        ]

    def __str__(self) -> str:
        return self.version

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ConsentItem(models.Model):
    """One separately asked consent (PIPA §22): what is collected, why, how long, and what refusing means."""

    class Kind(models.TextChoices):
        COLLECTION = "collection", _("collection and use")
        THIRD_PARTY = "third_party", _("provision to a third party")
        UNIQUE_IDENTIFIER = "unique_identifier", _("unique identifier (resident registration number)")
        MARKETING_EMAIL = "marketing_email", _("marketing by email")
        MARKETING_SMS = "marketing_sms", _("marketing by SMS")
        MARKETING_NIGHT = "marketing_night", _("night-time marketing (21:00-08:00)")
        ANALYTICS_COOKIES = "analytics_cookies", _("analytics cookies")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    required = models.BooleanField(_("required"), default=False)
    title_ko = models.CharField(_("title (Korean)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    recipient = models.CharField(_("recipient"), max_length=200, blank=True,
                                 help_text=_("Third-party provision only: who receives the data."))
    purpose_ko = models.TextField(_("purpose (Korean)"))
    purpose_en = models.TextField(_("purpose (English)"))
    items_ko = models.TextField(_("items (Korean)"))
    items_en = models.TextField(_("items (English)"))
    retention_ko = models.TextField(_("retention (Korean)"))
    retention_en = models.TextField(_("retention (English)"))
    refusal_ko = models.TextField(_("if refused (Korean)"))
    refusal_en = models.TextField(_("if refused (English)"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    introduced_in = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="introduced_items",
                                      verbose_name=_("introduced in"))

    class Meta:
        verbose_name = _("consent item")
        verbose_name_plural = _("consent items")
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(kind="third_party") | ~Q(recipient=""),
                                   name="consent_item_third_party_names_recipient"),
        ]

    def __str__(self) -> str:
        return self.title

    def _localized(self, name: str) -> str:
        return getattr(self, f"{name}_en" if (get_language() or "ko").startswith("en") else f"{name}_ko")

    @property
    def title(self) -> str:
        return self._localized("title")

    @property
    def purpose(self) -> str:
        return self._localized("purpose")

    @property
    def items(self) -> str:
        return self._localized("items")

    @property
    def retention(self) -> str:
        return self._localized("retention")

    @property
    def refusal(self) -> str:
        return self._localized("refusal")

    @property
    def is_marketing(self) -> bool:
        return self.kind in MARKETING_KINDS


MARKETING_KINDS = (ConsentItem.Kind.MARKETING_EMAIL, ConsentItem.Kind.MARKETING_SMS, ConsentItem.Kind.MARKETING_NIGHT)


class ConsentText(models.Model):
    """The exact text a member was shown for an item, kept once by its SHA-256 so a receipt can show it."""

    # Its primary key's varchar_pattern_ops "_like" index is dropped by migration 0002: a hash is never
    # searched by prefix.
    sha256 = models.CharField(_("SHA-256"), max_length=64, primary_key=True)
    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")

    def __str__(self) -> str:
        return self.sha256


class Channel(models.TextChoices):
    WEB = "web", _("web")
    ADMIN = "admin", _("admin")
    IMPORT = "import", _("import")


class ConsentRecord(models.Model):
    """Append-only evidence of one consent decision; the current state is the latest record per
    (member, item). PostgreSQL refuses UPDATE and DELETE (trigger below) except through `consent_records_purge`."""

    # No index of its own on member: consent_latest_idx begins with it.
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consent_records",
                               verbose_name=_("member"), db_index=False)
    item = models.ForeignKey(ConsentItem, on_delete=models.PROTECT, related_name="records",
                             verbose_name=_("consent item"))
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="records",
                                       verbose_name=_("policy version"))
    granted = models.BooleanField(_("granted"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    # No index: records are never looked up by their text (a receipt follows the record to its text), and a
    # text is never deleted; a varchar_pattern_ops "_like" index on a hash would serve no prefix search either.
    text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, db_column="text_sha256",
                             verbose_name=_("text SHA-256"), db_index=False)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-recorded_at", "-pk"]
        indexes = [
            models.Index(fields=["member", "item", "-recorded_at", "-id"], name="consent_latest_idx"),
            # The officer's list: newest first and its date filter, read from the index at any table size.
            models.Index(fields=["-recorded_at", "-id"], name="consent_recorded_idx"),
        ]
        triggers = [
            pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise PermissionError("consent records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("consent records are append-only; only consent_records_purge removes them")


class GuardianConsent(models.Model):
    """The legal guardian's consent for a member under 14 (PIPA §22-2), given before the account is used."""

    member = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="guardian_consent",
                                  verbose_name=_("member"))
    guardian_name = EncryptedCharField(_("guardian's name"), max_length=50)
    guardian_contact = EncryptedCharField(_("guardian's contact"), max_length=13)
    seal = RowSealField()  # binds the encrypted values to this row (members/encryption.py)
    consented_at = models.DateTimeField(_("consented at"), default=timezone.now)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("guardian consent")
        verbose_name_plural = _("guardian consents")

    def __str__(self) -> str:
        return f"#{self.pk}"


class PolicyContact(models.Model):
    """Policy §11: the privacy officer and the manager members can contact."""

    class Role(models.TextChoices):
        OFFICER = "officer", _("privacy officer")
        MANAGER = "manager", _("privacy manager")

    role = models.CharField(_("role"), max_length=10, choices=Role.choices, unique=True)
    name = models.CharField(_("name"), max_length=50)
    title = models.CharField(_("title"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20)
    email = models.EmailField(_("email"))

    class Meta:
        verbose_name = _("policy contact")
        verbose_name_plural = _("policy contacts")
        ordering = ["role"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.name}"


class ComplaintBody(models.Model):
    """Policy §11: the outside bodies that take privacy complaints."""

    name_ko = models.CharField(_("name (Korean)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    website = models.CharField(_("website"), max_length=100, unique=True)
    phone = models.CharField(_("phone"), max_length=30)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("complaint body")
        verbose_name_plural = _("complaint bodies")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name_ko

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "ko").startswith("en") else self.name_ko


class MarketingNotice(models.Model):
    """A notice sent about marketing consent (정보통신망법 §50): the result of an opt-in/opt-out, or the
    2-year re-confirmation (Decree §62-3). One re-confirmation per grant and cycle."""

    class Kind(models.TextChoices):
        RESULT = "result", _("opt-in/opt-out result")
        RECONFIRMATION = "reconfirmation", _("2-year re-confirmation")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="marketing_notices",
                               verbose_name=_("member"))
    record = models.ForeignKey(ConsentRecord, on_delete=models.PROTECT, related_name="notices",
                               verbose_name=_("consent record"))
    due_on = models.DateField(_("anniversary"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("marketing notice")
        verbose_name_plural = _("marketing notices")
        constraints = [
            models.UniqueConstraint(fields=["record", "kind", "due_on"], name="marketing_notice_once_per_cycle"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"
