"""Sensitive identifiers: 주민등록번호 and the 내일배움카드 card number, apart from the member row."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members import validators
from members.encryption import EncryptedCharField, RowSealField
from members.models.member import Member

# Policy §1: the course types for which 주민등록번호 is collected.
RRN_LEGAL_BASES = ("employment_insurance_refund", "sme_core_job", "insurance_required")


class SensitiveIdentifier(models.Model):
    """Kept only with the legal basis or purpose policy §1 names for it; its own view and reveal permissions."""

    class Kind(models.TextChoices):
        RRN = "rrn", _("resident registration number")
        NAEIL_CARD = "naeil_card", _("Naeil learning card number")

    class LegalBasis(models.TextChoices):
        EMPLOYMENT_INSURANCE_REFUND = "employment_insurance_refund", _("employment-insurance refund course")
        SME_CORE_JOB = "sme_core_job", _("SME core-job course")
        INSURANCE_REQUIRED = "insurance_required", _("course that requires insurance enrolment")
        NAEIL_CARD_APPLICATION = "naeil_card_application", _("Naeil learning card application (card payment)")

    # Policy §1: the statute under which 주민등록번호 may be processed at all (PIPA §24-2).
    RRN_STATUTE = _(
        "Enforcement Decree of the Lifelong Vocational Competency Development Act, Article 52-2(1), "
        "and its Enforcement Rule, Article 7-2(1)"
    )

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="sensitive_identifiers", verbose_name=_("member")
    )
    # One number per member and kind, held under every basis in `bases`; `legal_basis` is the one it was first
    # collected under (and the check constraint below keeps every kind to its own bases).
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    value = EncryptedCharField(_("value"), max_length=19)
    # blank=True so that clean() can say why it is needed; the check constraint still refuses an empty one.
    legal_basis = models.CharField(_("legal basis or purpose"), max_length=40, choices=LegalBasis.choices, blank=True)
    # A 주민등록번호 changed after October 2020 has no check digit (주민등록번호 변경제도).
    reissued = models.BooleanField(_("reissued after October 2020"), default=False)
    collected_at = models.DateTimeField(_("collected at"), default=timezone.now)
    seal = RowSealField()  # binds the encrypted value to this row (members/encryption.py)

    class Meta:
        verbose_name = _("sensitive identifier")
        verbose_name_plural = _("sensitive identifiers")
        permissions = [("reveal_sensitiveidentifier", _("Can reveal the full value of a sensitive identifier"))]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "kind"],
                name="sensitive_identifier_one_per_kind",
                violation_error_message=_("Sensitive identifier: this member already has one of this kind."),
            ),
            models.CheckConstraint(
                condition=Q(kind="rrn", legal_basis__in=RRN_LEGAL_BASES)
                | Q(kind="naeil_card", legal_basis="naeil_card_application", reissued=False),
                name="sensitive_identifier_basis_fits_kind",
                violation_error_message=_(
                    "Legal basis: a resident registration number is kept only for an employment-insurance "
                    "refund, SME core-job or insurance-required course; a card number only for a Naeil "
                    "learning card application."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    def clean(self) -> None:
        errors = {}
        if not self.legal_basis:
            errors["legal_basis"] = _(
                "Legal basis: a sensitive identifier is saved only together with its legal basis or purpose "
                "(privacy policy §1)."
            )
        elif self.kind in self.Kind.values and self.legal_basis in self.LegalBasis.values \
                and self.legal_basis not in self.bases_for(self.kind):
            # (an unknown kind or basis is refused as a choice that is not on the list)
            errors["legal_basis"] = _(
                "Legal basis: a resident registration number is kept only for an employment-insurance "
                "refund, SME core-job or insurance-required course; a card number only for a Naeil "
                "learning card application."
            )
        if self.reissued and self.kind == self.Kind.NAEIL_CARD:
            errors["reissued"] = _(
                "Reissued: only a resident registration number is reissued (주민등록번호 변경), never a card number."
            )
        if self.value:
            try:
                if self.kind == self.Kind.RRN:
                    self.value = validators.normalize_rrn(self.value, reissued=self.reissued)
                elif self.kind == self.Kind.NAEIL_CARD:
                    self.value = validators.normalize_card_number(self.value)
            except ValidationError as error:
                errors["value"] = error
        if errors:
            raise ValidationError(errors)

    @classmethod
    def bases_for(cls, kind: str) -> tuple[str, ...]:
        """The legal bases or purposes an identifier of this kind may be held under (policy §1)."""
        if kind == cls.Kind.RRN:
            return RRN_LEGAL_BASES
        if kind == cls.Kind.NAEIL_CARD:
            return (cls.LegalBasis.NAEIL_CARD_APPLICATION,)
        return ()

    @property
    def legal_basis_text(self) -> str:
        if self.kind == self.Kind.RRN:
            return f"{self.get_legal_basis_display()} — {self.RRN_STATUTE}"
        return str(self.get_legal_basis_display())


class SensitiveIdentifierBasis(models.Model):
    """One legal basis or purpose an identifier is held under, with when and for which enrolment. The bases
    accumulate: a second refund-type course adds one, it replaces nothing."""

    identifier = models.ForeignKey(
        SensitiveIdentifier, on_delete=models.CASCADE, related_name="bases", verbose_name=_("sensitive identifier")
    )
    legal_basis = models.CharField(
        _("legal basis or purpose"), max_length=40, choices=SensitiveIdentifier.LegalBasis.choices
    )
    enrollment = models.ForeignKey(
        "members.Enrollment", on_delete=models.PROTECT, null=True, blank=True, related_name="identifier_bases",
        verbose_name=_("enrolment"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("legal basis of a sensitive identifier")
        verbose_name_plural = _("legal bases of sensitive identifiers")
        ordering = ["recorded_at", "pk"]
        constraints = [
            # Once per enrolment, and once without one (two partial indexes: SQLite has no NULLS NOT DISTINCT).
            models.UniqueConstraint(
                fields=["identifier", "legal_basis", "enrollment"],
                condition=Q(enrollment__isnull=False),
                name="sensitive_identifier_basis_once",
                violation_error_message=_("Legal basis: this identifier is already held under this basis."),
            ),
            models.UniqueConstraint(
                fields=["identifier", "legal_basis"],
                condition=Q(enrollment__isnull=True),
                name="sensitive_identifier_basis_once_unenrolled",
                violation_error_message=_("Legal basis: this identifier is already held under this basis."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_legal_basis_display())

    def clean(self) -> None:
        if self.identifier_id and self.legal_basis not in SensitiveIdentifier.bases_for(self.identifier.kind):
            raise ValidationError({"legal_basis": _(
                "Legal basis: a resident registration number is kept only for an employment-insurance "
                "refund, SME core-job or insurance-required course; a card number only for a Naeil "
                "learning card application."
            )})


class SensitiveIdentifierCorrection(models.Model):
    """A correction of an identifier's number: who, when and why; the old number is kept only masked."""

    identifier = models.ForeignKey(
        SensitiveIdentifier, on_delete=models.CASCADE, related_name="corrections",
        verbose_name=_("sensitive identifier"),
    )
    corrected_by = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="+", verbose_name=_("corrected by")
    )
    corrected_at = models.DateTimeField(_("corrected at"), default=timezone.now)
    reason = EncryptedCharField(_("reason"), max_length=500)
    # Masked as staff see it (900101-1******, ****-****-****-5678): never the old number itself.
    previous_masked = EncryptedCharField(_("previous number (masked)"), max_length=24)
    seal = RowSealField()  # binds the encrypted values to this row (members/encryption.py)

    class Meta:
        verbose_name = _("correction of a sensitive identifier")
        verbose_name_plural = _("corrections of sensitive identifiers")
        ordering = ["corrected_at", "pk"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk}"
