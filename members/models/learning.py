"""The learning records that retention periods run from: courses, enrolments (the contract), payments,
complaints and certifications."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from members import validators
from members.encryption import (
    EncryptedCharField,
    EncryptedGenericIPAddressField,
    EncryptedTextField,
    RowSealField,
)
from members.models.member import Member


class Course(models.Model):
    code = models.SlugField(_("course code"), max_length=50, unique=True)
    title = models.CharField(_("title"), max_length=200)
    is_employment_insurance_refund = models.BooleanField(_("employment-insurance refund course"), default=False)
    is_sme_core_job = models.BooleanField(_("SME core-job course"), default=False)
    is_insurance_required = models.BooleanField(_("insurance-required course"), default=False)
    is_disability_awareness = models.BooleanField(_("disability-awareness training"), default=False)
    ships_textbook = models.BooleanField(_("textbook shipped"), default=False)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self) -> str:
        return self.title

    @property
    def requires_rrn(self) -> bool:
        """Policy §1: these three course types collect 주민등록번호 on enrolment."""
        return self.is_employment_insurance_refund or self.is_sme_core_job or self.is_insurance_required

    @property
    def rrn_legal_basis(self) -> str | None:
        if self.is_employment_insurance_refund:
            return "employment_insurance_refund"
        if self.is_sme_core_job:
            return "sme_core_job"
        if self.is_insurance_required:
            return "insurance_required"
        return None


class PaymentMethod(models.TextChoices):
    NAEIL_CARD = "naeil_card", _("Naeil learning card")
    CREDIT_CARD = "credit_card", _("credit card")
    BANK_TRANSFER = "bank_transfer", _("bank transfer")
    CORPORATE_INVOICE = "corporate_invoice", _("corporate invoice")


class Enrollment(models.Model):
    """A member's enrolment in a course: the contract (계약) that payments and retention refer to."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("member"))
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("course"))
    started_on = models.DateField(_("start date"))
    ended_on = models.DateField(_("end date"))
    payment_method = models.CharField(_("payment method"), max_length=20, choices=PaymentMethod.choices)
    cancelled_at = models.DateTimeField(_("offer withdrawn at"), null=True, blank=True)
    applied_ip = EncryptedGenericIPAddressField(_("IP address at application"), null=True, blank=True)
    # Only for courses that ship a textbook; the processor (더송북) keeps it three months.
    shipping_address = EncryptedCharField(_("shipping address"), max_length=200, blank=True)
    shipping_phone = EncryptedCharField(
        _("shipping phone"), max_length=14, blank=True, validators=[validators.validate_phone]
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    seal = RowSealField()  # binds the encrypted values to this row (members/encryption.py)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__gte=F("started_on")),
                name="enrollment_ends_after_start",
                violation_error_message=_("End date: a course cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course} #{self.pk}"

    def clean(self) -> None:
        if (self.shipping_address or self.shipping_phone) and self.course_id and not self.course.ships_textbook:
            raise ValidationError(
                {"shipping_address": _("Shipping address: collected only for a course that ships a textbook.")}
            )


class Payment(models.Model):
    """대금결제 기록, kept five years under the e-commerce act (전자상거래법)."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="payments", verbose_name=_("contract (enrolment)")
    )
    amount = models.PositiveIntegerField(_("amount (KRW)"))
    method = models.CharField(_("payment method"), max_length=20, choices=PaymentMethod.choices)
    paid_at = models.DateTimeField(_("paid at"))
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="payment_amount_positive",
                violation_error_message=_("Amount: a payment must be more than 0 won."),
            ),
            models.CheckConstraint(
                condition=Q(refunded_at__isnull=True) | Q(refunded_at__gte=F("paid_at")),
                name="payment_refunded_after_paid",
                violation_error_message=_("Refunded at: a refund cannot precede the payment."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount:,} #{self.pk}"


class Complaint(models.Model):
    """소비자 불만·분쟁처리 기록, kept three years under the e-commerce act."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("member"))
    received_at = models.DateTimeField(_("received at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    summary = EncryptedTextField(_("summary"), blank=True)
    seal = RowSealField()  # binds the encrypted values to this row (members/encryption.py)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=F("received_at")),
                name="complaint_closed_after_received",
                violation_error_message=_("Closed at: a complaint cannot be closed before it was received."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk}"


class Certification(models.Model):
    """A qualification issued through a course, e.g. ARPS (kept by 한국FP협회 under the Framework Act)."""

    class Kind(models.TextChoices):
        ARPS = "arps", _("ARPS (retirement planning specialist)")

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="certifications", verbose_name=_("member")
    )
    kind = models.CharField(_("certification"), max_length=20, choices=Kind.choices)
    issued_on = models.DateField(_("issued on"))

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        constraints = [
            models.UniqueConstraint(fields=["member", "kind", "issued_on"], name="certification_unique_issue"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
