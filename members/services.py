"""Every write to members, their sensitive identifiers and learning records, and the rules they obey."""

import datetime
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from members import validators
from members.encryption import BlindIndexField
from members.models import (
    Certification,
    Complaint,
    Course,
    Enrollment,
    Member,
    Payment,
    PaymentMethod,
    SensitiveIdentifier,
)

# How each member field is brought to its stored form before validation.
MEMBER_NORMALIZERS = {
    "login_id": validators.normalize_login_id,
    "email": validators.normalize_email,
    "mobile": validators.normalize_mobile,
    "company_phone": validators.normalize_phone,
    "home_phone": validators.normalize_phone,
}
MEMBER_FIELDS = (
    "login_id", "name", "email", "mobile", "company_name", "department", "job_title", "employee_number",
    "company_phone", "birth_date", "home_address", "home_phone", "ipin_ci", "ipin_di",
)


def _normalized(fields: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list]]:
    """Strip text, bring identifiers to their stored form; a value that cannot be normalised is an error."""
    values, errors = {}, {}
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
        if value and name in MEMBER_NORMALIZERS:
            try:
                value = MEMBER_NORMALIZERS[name](value)
            except ValidationError as error:
                errors[name] = error.error_list
        values[name] = value
    return values, errors


# Django's own field messages ("This field cannot be blank.") do not say which field; ours do.
GENERIC_CODES = {"blank", "null", "required", "max_length", "min_length", "invalid", "invalid_choice",
                 "max_value", "min_value", "invalid_date"}


def _prefixed(label: str, message: str, params: dict | None) -> str:
    return f"{label}: {message % params if params else message}"


def _named(instance: Any, name: str, error: ValidationError) -> ValidationError:
    if error.code not in GENERIC_CODES:
        return error
    try:
        label = capfirst(instance._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return error
    # lazy: the label and message are read in the language active when the error is shown
    return ValidationError(lazy(_prefixed, str)(label, error.message, error.params), code=error.code)


# Set by members.bulk while it validates a batch: the checks that need the database (unique constraints,
# foreign keys, identifiers already held) are then made once for the whole batch instead of once per row.
IN_BATCH: ContextVar[bool] = ContextVar("members_services_in_batch", default=False)


def _errors_of(instance: Any, *, exclude: list[str] | None = None) -> dict[str, list]:
    """Validation errors of one record by field, each naming its field; kept lazy, so they are read in
    the reader's language. The same checks as full_clean(), made the way a batch makes them (members.bulk):
    fields, clean() and check constraints without a statement, then the unique constraints in one SELECT
    and the foreign keys not already in hand (none, in a batch: the batch checks them all at once)."""
    from members import bulk

    errors: dict[str, list] = {}
    try:
        bulk.row_clean(instance, exclude=exclude)
    except ValidationError as error:
        errors = {name: [_named(instance, name, item) for item in items] for name, items in error.error_dict.items()}
    if not IN_BATCH.get():
        failed = set(exclude or ()) | set(errors)
        for name, messages in bulk.batch_errors(type(instance), [instance], exclude=failed)[0].items():
            errors.setdefault(name, []).extend(messages)
    return errors


def _identifier(member: Member, kind: str, value: str, legal_basis: str | None, reissued: bool,
                field: str) -> tuple[SensitiveIdentifier, dict[str, list]]:
    """An identifier, validated but unsaved; errors are keyed by the caller's field name (`rrn`, ...)."""
    held = member.pk and not IN_BATCH.get()  # in a batch, the unique constraint is checked once for all rows
    identifier = (held and member.sensitive_identifiers.filter(kind=kind).first()) or SensitiveIdentifier(
        member=member, kind=kind
    )
    identifier.value, identifier.legal_basis, identifier.reissued = value, legal_basis or "", reissued
    identifier.collected_at = timezone.now()
    errors = _errors_of(identifier, exclude=["member"] if not member.pk else None)
    renamed = {"value": field, "legal_basis": f"{field}_legal_basis", "__all__": f"{field}_legal_basis"}
    return identifier, {renamed.get(name, name): messages for name, messages in errors.items()}


def _save(*instances: Any) -> None:
    # No savepoint of its own: every caller is a service in @transaction.atomic, which rolls back on the error.
    try:
        with transaction.atomic(savepoint=False):
            for instance in instances:
                instance.save()
    except IntegrityError as error:
        # Two requests raced past validation; the database constraint decided.
        raise ValidationError(_("This record clashes with one saved a moment ago; please try again.")) from error


@transaction.atomic
def member_create(*, login_id: str, password: str | None, name: str, email: str, is_staff: bool = False,
                  is_superuser: bool = False, rrn: str | None = None, rrn_legal_basis: str | None = None,
                  rrn_reissued: bool = False, **fields: Any) -> Member:
    """Create a member; every field is validated first and nothing is saved when any is wrong.

    A 주민등록번호 is accepted only with its legal basis from policy §1 (PIPA §24-2).
    """
    unknown = set(fields) - set(MEMBER_FIELDS)
    if unknown:
        raise TypeError(f"member_create() got unknown fields: {', '.join(sorted(unknown))}")
    values, errors = _normalized({"login_id": login_id, "name": name, "email": email, **fields})
    member = Member(is_staff=is_staff, is_superuser=is_superuser,
                    **{key: value for key, value in values.items() if key not in errors})
    if password:
        try:
            validate_password(password, member)
        except ValidationError as error:
            errors["password"] = error.error_list
        member.set_password(password)
    else:
        member.set_unusable_password()
    errors = _errors_of(member, exclude=list(errors)) | errors
    identifier = None
    if rrn:
        identifier, identifier_errors = _identifier(member, SensitiveIdentifier.Kind.RRN, rrn, rrn_legal_basis,
                                                    rrn_reissued, "rrn")
        errors |= identifier_errors
    if errors:
        raise ValidationError(errors)
    _save(member)
    if identifier:
        identifier.member = member
        _save(identifier)
    return member


@transaction.atomic
def member_update(*, member: Member, **fields: Any) -> Member:
    """Change a member's own details; the blind indexes follow the values they index."""
    unknown = set(fields) - set(MEMBER_FIELDS)
    if unknown:
        raise TypeError(f"member_update() got unknown fields: {', '.join(sorted(unknown))}")
    values, errors = _normalized(fields)
    for key, value in values.items():
        if key not in errors:
            setattr(member, key, value)
    errors = _errors_of(member, exclude=list(errors)) | errors
    if errors:
        member.refresh_from_db()
        raise ValidationError(errors)
    _save(member)
    return member


@transaction.atomic
def sensitive_identifier_record(*, member: Member, kind: str, value: str, legal_basis: str | None,
                                reissued: bool = False) -> SensitiveIdentifier:
    """Record (or replace) a member's 주민등록번호 or 내일배움카드 number with its legal basis (policy §1)."""
    identifier, errors = _identifier(member, kind, value, legal_basis, reissued, "value")
    if errors:
        raise ValidationError(errors)
    _save(identifier)
    return identifier


@transaction.atomic
def enrollment_create(*, member: Member, course: Course, started_on: datetime.date, ended_on: datetime.date,
                      payment_method: str, applied_ip: str | None = None, shipping_address: str = "",
                      shipping_phone: str = "", rrn: str | None = None, rrn_reissued: bool = False,
                      card_number: str | None = None) -> Enrollment:
    """Enrol a member. Policy §1: a refund, SME core-job or insurance-required course collects 주민등록번호,
    a 내일배움카드 payment collects the card number; neither is collected for any other course or method."""
    held = set(member.sensitive_identifiers.values_list("kind", flat=True))
    enrollment, to_save, errors = enrollment_checked(
        member=member, course=course, started_on=started_on, ended_on=ended_on, payment_method=payment_method,
        applied_ip=applied_ip, shipping_address=shipping_address, shipping_phone=shipping_phone, rrn=rrn,
        rrn_reissued=rrn_reissued, card_number=card_number, held=held)
    if errors:
        raise ValidationError(errors)
    _save(*to_save, enrollment)
    return enrollment


def enrollment_checked(*, member: Member, course: Course, started_on: datetime.date, ended_on: datetime.date,
                       payment_method: str, held: set[str], applied_ip: str | None = None,
                       shipping_address: str = "", shipping_phone: str = "", rrn: str | None = None,
                       rrn_reissued: bool = False, card_number: str | None = None,
                       ) -> tuple[Enrollment, list[SensitiveIdentifier], dict[str, list]]:
    """enrollment_create's rules, without saving: the enrolment, the identifiers it collects, the errors.
    `held` is the kinds of identifier the member already has (members.bulk passes it for a whole batch)."""
    enrollment = Enrollment(member=member, course=course, started_on=started_on, ended_on=ended_on,
                            payment_method=payment_method, applied_ip=applied_ip or None,
                            shipping_address=shipping_address.strip(), shipping_phone=shipping_phone.strip())
    errors = _errors_of(enrollment)
    to_save: list[Any] = []
    kinds = SensitiveIdentifier.Kind
    if rrn and not course.requires_rrn:
        errors["rrn"] = [_("Resident registration number: collected only for an employment-insurance refund, "
                           "SME core-job or insurance-required course (privacy policy §1).")]
    elif rrn:
        identifier, identifier_errors = _identifier(member, kinds.RRN, rrn, course.rrn_legal_basis, rrn_reissued,
                                                    "rrn")
        errors |= identifier_errors
        to_save.append(identifier)
    elif course.requires_rrn and kinds.RRN not in held:
        errors["rrn"] = [_("Resident registration number: required to enrol in this course, which is reported "
                           "for employment insurance (privacy policy §1).")]
    if card_number and payment_method != PaymentMethod.NAEIL_CARD:
        errors["card_number"] = [_("Card number: collected only for payment by Naeil learning card.")]
    elif card_number:
        identifier, identifier_errors = _identifier(member, kinds.NAEIL_CARD, card_number,
                                                    SensitiveIdentifier.LegalBasis.NAEIL_CARD_APPLICATION, False,
                                                    "card_number")
        errors |= identifier_errors
        to_save.append(identifier)
    elif payment_method == PaymentMethod.NAEIL_CARD and kinds.NAEIL_CARD not in held:
        errors["card_number"] = [_("Card number: required to pay by Naeil learning card.")]
    return enrollment, to_save, errors


@transaction.atomic
def payment_record(*, enrollment: Enrollment, amount: int, method: str,
                   paid_at: datetime.datetime | None = None) -> Payment:
    """Record a payment against its contract (the enrolment); kept five years (전자상거래법)."""
    payment, errors = payment_checked(enrollment=enrollment, amount=amount, method=method, paid_at=paid_at)
    if errors:
        raise ValidationError(errors)
    _save(payment)
    return payment


def payment_checked(*, enrollment: Enrollment, amount: int, method: str,
                    paid_at: datetime.datetime | None = None) -> tuple[Payment, dict[str, list]]:
    """payment_record's rules, without saving."""
    payment = Payment(enrollment=enrollment, amount=amount, method=method, paid_at=paid_at or timezone.now())
    errors = _errors_of(payment)
    if method != enrollment.payment_method and not errors:
        errors["method"] = [_("Payment method: must match the method chosen on enrolment.")]
    return payment, errors


@transaction.atomic
def payment_refund(*, payment: Payment, refunded_at: datetime.datetime | None = None) -> Payment:
    if payment.refunded_at:
        raise ValidationError({"refunded_at": _("Refunded at: this payment was already refunded.")})
    payment.refunded_at = refunded_at or timezone.now()
    errors = _errors_of(payment)
    if errors:
        raise ValidationError(errors)
    _save(payment)
    return payment


@transaction.atomic
def complaint_receive(*, member: Member, summary: str, received_at: datetime.datetime | None = None) -> Complaint:
    complaint, errors = complaint_checked(member=member, summary=summary, received_at=received_at)
    if errors:
        raise ValidationError(errors)
    _save(complaint)
    return complaint


def complaint_checked(*, member: Member, summary: str,
                      received_at: datetime.datetime | None = None) -> tuple[Complaint, dict[str, list]]:
    """complaint_receive's rules, without saving."""
    complaint = Complaint(member=member, summary=summary.strip(), received_at=received_at or timezone.now())
    return complaint, _errors_of(complaint)


@transaction.atomic
def complaint_close(*, complaint: Complaint, closed_at: datetime.datetime | None = None) -> Complaint:
    complaint.closed_at = closed_at or timezone.now()
    errors = _errors_of(complaint)
    if errors:
        raise ValidationError(errors)
    _save(complaint)
    return complaint


@transaction.atomic
def certification_issue(*, member: Member, kind: str, issued_on: datetime.date) -> Certification:
    certification, errors = certification_checked(member=member, kind=kind, issued_on=issued_on)
    if errors:
        raise ValidationError(errors)
    _save(certification)
    return certification


def certification_checked(*, member: Member, kind: str,
                          issued_on: datetime.date) -> tuple[Certification, dict[str, list]]:
    """certification_issue's rules, without saving."""
    certification = Certification(member=member, kind=kind, issued_on=issued_on)
    return certification, _errors_of(certification)


def member_bulk_create(*, rows: Iterable[Mapping[str, Any]], password_hash: str,
                       batch_size: int = 1000) -> list[Member]:
    """Create many members at once (demo data, benchmarks, imports), all or none: every row is normalised
    and validated like member_create, login ID and email uniqueness checked once per batch (members.bulk)."""
    from members import bulk

    rows = list(rows)
    members: list[Member] = []
    with transaction.atomic():
        for start in range(0, len(rows), batch_size):
            try:
                members += bulk.members_create(rows[start : start + batch_size], password_hash=password_hash)
            except ValidationError as error:
                raise ValidationError({_renumbered(key, start): messages
                                       for key, messages in error.error_dict.items()}) from error
    return members


def _renumbered(key: str, offset: int) -> str:
    number, _sep, field = key.partition(": ")
    return f"row {int(number.removeprefix('row ')) + offset}: {field}" if offset else key


@transaction.atomic
def member_password_set(*, member: Member, password: str) -> Member:
    try:
        validate_password(password, member)
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from error
    member.set_password(password)
    member.save(update_fields=["password"])
    return member


def member_blind_indexes_refresh(*, after_pk: int = 0, batch_size: int = 500) -> tuple[int, int, bool]:
    """Recompute the blind indexes of one batch of members after `after_pk` (e.g. after BLIND_INDEX_KEY
    changed); returns (rows updated, last pk seen, whether more remain). Rerunning it changes nothing."""
    index_fields = [field for field in Member._meta.fields if isinstance(field, BlindIndexField)]
    with transaction.atomic():
        members = list(Member.objects.select_for_update().filter(pk__gt=after_pk).order_by("pk")[:batch_size])
        stale = []
        for member in members:
            before = [getattr(member, field.attname) for field in index_fields]
            after = [field.pre_save(member, add=False) for field in index_fields]
            if before != after:
                stale.append(member)
        Member.objects.bulk_update(stale, [field.name for field in index_fields], batch_size=batch_size)
    last_pk = members[-1].pk if members else after_pk
    return len(stale), last_pk, len(members) == batch_size
