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

    @property
    def legal_basis_text(self) -> str:
        if self.kind == self.Kind.RRN:
            return f"{self.get_legal_basis_display()} — {self.RRN_STATUTE}"
        return str(self.get_legal_basis_display())
