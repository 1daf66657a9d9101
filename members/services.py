"""Every write to members, their sensitive identifiers and learning records, and the rules they obey."""

import datetime
import secrets
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import IntegrityError, connections, models, router, transaction
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from members import validators
from members.encryption import BlindIndexField, EncryptedFieldMixin, blind_index_rotation_pending
from members.models import (
    Certification,
    Complaint,
    Course,
    Enrollment,
    Member,
    MemberSession,
    MemberTaken,
    Payment,
    PaymentMethod,
    SensitiveIdentifier,
    SensitiveIdentifierBasis,
    SensitiveIdentifierCorrection,
)
from members.registry import registry
from members.signals import member_corrected

# Where an identifier's errors go in each service's arguments.
RRN_KEYS = {"value": "rrn", "legal_basis": "rrn_legal_basis", "reissued": "rrn_reissued"}
CARD_KEYS = {"value": "card_number", "legal_basis": "card_number", "reissued": "card_number"}
RECORD_KEYS = {"value": "value", "legal_basis": "legal_basis", "reissued": "reissued"}
# An identifier's value is named as the validators name it.
IDENTIFIER_LABELS = {
    SensitiveIdentifier.Kind.RRN: SensitiveIdentifier.Kind.RRN.label,
    SensitiveIdentifier.Kind.NAEIL_CARD: _("card number"),
}

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
MEMBER_TEXT_FIELDS = frozenset(MEMBER_FIELDS) - {"birth_date"}


def _normalized(fields: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list]]:
    """Strip text, bring identifiers to their stored form; a value that cannot be normalised is an error."""
    values, errors = {}, {}
    for name, value in fields.items():
        if value is None and name in MEMBER_TEXT_FIELDS:
            value = ""  # None for a text field means it was left empty
        if isinstance(value, str):
            value = value.strip()
        # A value with control characters is left to _errors_of, which names the field and that rule.
        if value and name in MEMBER_NORMALIZERS and not validators.has_control_characters(value):
            try:
                value = MEMBER_NORMALIZERS[name](value)
            except ValidationError as error:
                errors[name] = error.error_list
        values[name] = value
    return values, errors


# Django's own field messages ("This field cannot be blank.") do not say which field; ours do.
GENERIC_CODES = {"blank", "null", "required", "max_length", "min_length", "invalid", "invalid_choice",
                 "max_value", "min_value", "invalid_date"}


# Django's messages for these codes repeat what was typed ("“1990-13-45” value has ..."): a typed value is
# personal data, so the message says the rule instead.
WITHOUT_ECHO = {
    "invalid": _("enter a valid value."),
    "invalid_date": _("enter a real date, as 1990-01-31."),
    "invalid_choice": _("choose one of the listed options."),
}
# A check constraint spans fields; its message is shown under the field the person would correct.
CONSTRAINT_FIELDS = {
    "enrollment_ends_after_start": "ended_on",
    "payment_amount_positive": "amount",
    "payment_refunded_after_paid": "refunded_at",
    "complaint_closed_after_received": "closed_at",
    "sensitive_identifier_basis_fits_kind": "legal_basis",
    "sensitive_identifier_one_per_kind": "value",
    "sensitive_identifier_basis_once": "legal_basis",
    "sensitive_identifier_basis_once_unenrolled": "legal_basis",
    "member_login_id_unique": "login_id",
    "member_email_unique": "email",
}
CONTROL_CHARACTERS = _("must not contain control characters (such as NUL, escape or direction overrides).")
MULTILINE_FIELDS = (models.TextField,)
RACE_LOST = _("another request recorded this a moment ago; check the value and try again.")


def _prefixed(label: str, message: str, params: dict | None) -> str:
    return f"{label}: {message % params if params else message}"


def _field_error(label: Any, message: Any, code: str, params: dict | None = None) -> ValidationError:
    # lazy: the label and message are read in the language active when the error is shown
    return ValidationError(lazy(_prefixed, str)(lazy(capfirst, str)(label), message, params), code=code)


def _named(instance: Any, name: str, error: ValidationError, label: Any = None) -> ValidationError:
    if error.code not in GENERIC_CODES:
        return error
    try:
        label = label or instance._meta.get_field(name).verbose_name
    except FieldDoesNotExist:
        return error
    if "%(value)" in str(error.message):
        return _field_error(label, WITHOUT_ECHO.get(error.code, WITHOUT_ECHO["invalid"]), error.code)
    return _field_error(label, error.message, error.code, error.params)


def _control_character_errors(instance: Any, exclude: Iterable[str]) -> dict[str, list]:
    """Every text field of the record, refused when it holds a control character (a text field may hold
    line breaks and tabs)."""
    errors = {}
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname, None)
        if field.name in exclude or not isinstance(value, str):
            continue
        if validators.has_control_characters(value, multiline=isinstance(field, MULTILINE_FIELDS)):
            errors[field.name] = [_field_error(field.verbose_name, CONTROL_CHARACTERS, "control_characters")]
    return errors


def control_character_errors(instance: Any) -> dict[str, list]:
    """For forms that save a record themselves (the course admin): its text fields holding control characters."""
    return _control_character_errors(instance, ())


def _constraint_field(instance: Any, error: ValidationError) -> str:
    """The field a check constraint's error belongs under, found by the constraint that gave it."""
    for constraint in instance._meta.constraints:
        if str(error.message) == str(constraint.get_violation_error_message()):
            return CONSTRAINT_FIELDS.get(constraint.name, NON_FIELD_ERRORS)
    return NON_FIELD_ERRORS


# Set by members.bulk while it validates a batch: the checks that need the database (unique constraints,
# foreign keys, identifiers already held) are then made once for the whole batch instead of once per row.
IN_BATCH: ContextVar[bool] = ContextVar("members_services_in_batch", default=False)


def _errors_of(instance: Any, *, exclude: list[str] | None = None, labels: Mapping[str, Any] | None = None,
               database: bool = True) -> dict[str, list]:
    """Validation errors of one record by field, each naming its field; kept lazy, so they are read in
    the reader's language. `labels` names a field as the caller's form calls it. The same checks as
    full_clean(), made the way a batch makes them (members.bulk): fields, clean() and check constraints
    without a statement, then (outside a batch, unless `database` is False) the unique constraints and
    foreign keys in one SELECT each."""
    from members import bulk

    labels = labels or {}
    control = _control_character_errors(instance, exclude or [])
    errors: dict[str, list] = {}
    try:
        bulk.row_clean(instance, exclude=[*(exclude or []), *control])
    except ValidationError as error:
        for name, items in error.error_dict.items():
            for item in items:
                field = _constraint_field(instance, item) if name == NON_FIELD_ERRORS else name
                errors.setdefault(field, []).append(_named(instance, field, item, labels.get(field)))
    if database and not IN_BATCH.get():
        _add_database_errors(instance, errors, exclude=set(exclude or ()) | set(errors) | set(control),
                             labels=labels)
    return errors | control


def _add_database_errors(instance: Any, errors: dict[str, list], *, exclude: set[str],
                         labels: Mapping[str, Any] | None = None) -> dict[str, list]:
    """The unique constraints and foreign keys of one record, checked with one SELECT each, added to `errors`."""
    from members import bulk

    labels = labels or {}
    for name, messages in bulk.batch_errors(type(instance), [instance], exclude=exclude)[0].items():
        errors.setdefault(name, []).extend(_named(instance, name, item, labels.get(name)) for item in messages)
    return errors


def _password_errors(password: str | None, member: Member) -> list[ValidationError]:
    """The password validators' refusals, each prefixed with the field's name."""
    if not password:
        return [_field_error(_("Password"), _("enter a password."), "required")]
    if validators.has_control_characters(password):
        return [_field_error(_("Password"), CONTROL_CHARACTERS, "control_characters")]
    try:
        validate_password(password, member)
    except ValidationError as error:
        return [_field_error(_("Password"), item.message, item.code or "password", item.params)
                for item in error.error_list]
    return []


_LOOK_UP = object()


def _identifier(member: Member, kind: str, value: str, legal_basis: str | None, reissued: bool,
                keys: Mapping[str, str], enrollment: Enrollment | None = None, held: Any = _LOOK_UP,
                ) -> tuple[SensitiveIdentifier, SensitiveIdentifierBasis | None, dict[str, list]]:
    """An identifier and the basis it is now held under, validated but unsaved. A member holds one number of
    each kind under every basis it was collected for; a different number is refused (only a correction,
    sensitive_identifier_correct, changes it). Errors are keyed by the caller's field names: `keys` maps
    value, legal_basis and reissued to them (rrn, rrn_legal_basis, rrn_reissued)."""
    # In a batch the members' identifiers are checked once for all rows (members.bulk); `held` is the member's
    # identifier of this kind when the caller already read it (None: holds none).
    if held is _LOOK_UP:
        held = member.pk and not IN_BATCH.get() and member.sensitive_identifiers.filter(kind=kind).first()
    candidate = SensitiveIdentifier(member=member, kind=kind, value=value, legal_basis=legal_basis or "",
                                    reissued=reissued, collected_at=timezone.now())
    label = IDENTIFIER_LABELS.get(kind)
    # The member is checked here, not by the one-per-kind constraint (whose message names no field).
    errors = _errors_of(candidate, exclude=["member"], labels={"value": label})
    if len(errors.get("value", [])) > 1:
        # Too long is also the wrong shape: the validator's message says what the shape is.
        errors["value"] = [error for error in errors["value"] if error.code != "max_length"]
    identifier, basis = candidate, None
    if held and not errors:
        if held.value != candidate.value:
            errors["value"] = [_field_error(label, _(
                "differs from the number already recorded for this member; a recorded number is changed only "
                "by a correction, which keeps a record of it."), "identifier_differs")]
        identifier = held
    if not errors:
        basis = SensitiveIdentifierBasis(identifier=identifier, legal_basis=legal_basis, enrollment=enrollment)
        if held and enrollment is None and held.bases.filter(legal_basis=legal_basis, enrollment=None).exists():
            basis = None  # already held under this basis
    return identifier, basis, {keys.get(name, name): messages for name, messages in errors.items()}


def _save(*instances: Any, keys: Mapping[str, str] | None = None, labels: Mapping[str, Any] | None = None) -> None:
    """Save in one transaction (None is skipped). When two requests raced past validation the database
    constraint decides; its refusal is reported under the field it is about, renamed by `keys` for the
    caller, and worded with the caller's label for the field when `labels` gives one."""
    saved = [instance for instance in instances if instance is not None]
    try:
        # No savepoint of its own: every caller is a service in @transaction.atomic, which rolls back on the error.
        with transaction.atomic(savepoint=False):
            for instance in saved:
                instance.save()
    except IntegrityError as error:
        name = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
        for constraint in (item for instance in saved for item in instance._meta.constraints):
            if constraint.name == name:
                field = CONSTRAINT_FIELDS.get(name, NON_FIELD_ERRORS)
                if labels and field in labels:
                    message = _field_error(labels[field], RACE_LOST, "race")
                else:
                    message = ValidationError(constraint.violation_error_message, code="race")
                raise ValidationError({(keys or {}).get(field, field): [message]}) from error
        raise ValidationError(_("This record clashes with one saved a moment ago; please try again.")) from error


def unusable_password() -> str:
    """set_unusable_password's marker ("!" and 40 random characters), drawn in one call instead of 40."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


def member_create(*, login_id: str, password: str | None, name: str, email: str, is_staff: bool = False,
                  is_superuser: bool = False, rrn: str | None = None, rrn_legal_basis: str | None = None,
                  rrn_reissued: bool = False, **fields: Any) -> Member:
    """Create a member; every field is validated first and nothing is saved when any is wrong.

    A 주민등록번호 is accepted only with its legal basis from policy §1 (PIPA §24-2).

    Validation (and the password hash) runs before any transaction or savepoint is opened: a refused sign-up
    writes nothing and sends only the SELECT that reports a login ID or email clash with its other errors. A
    member alone is one INSERT, atomic by itself (its own transaction, or a part of the caller's, which it leaves
    usable when the INSERT skips a clash); a member with an identifier is written in a transaction (a savepoint
    inside the caller's).
    """
    unknown = set(fields) - set(MEMBER_FIELDS)
    if unknown:
        raise TypeError(f"member_create() got unknown fields: {', '.join(sorted(unknown))}")
    with validators.answers_kept():
        values, errors = _normalized({"login_id": login_id, "name": name, "email": email, **fields})
        member = Member(is_staff=is_staff, is_superuser=is_superuser,
                        **{key: value for key, value in values.items() if key not in errors})
        if password:
            password_errors = _password_errors(password, member)
            if password_errors:
                errors["password"] = password_errors
            member.set_password(password)
        else:
            member.password = unusable_password()
        # Login ID and email are checked by the INSERT itself where it can (a clash writes nothing); a sign-up
        # refused for another reason still hears about a clash too, from the SELECT.
        checked_by_insert = _unique_checked_by_insert(member)
        errors = _errors_of(member, exclude=list(errors), database=not checked_by_insert) | errors
        if errors and checked_by_insert:
            _add_database_errors(member, errors, exclude=set(errors))
    identifier = basis = None
    if rrn:
        identifier, basis, identifier_errors = _identifier(member, SensitiveIdentifier.Kind.RRN, rrn, rrn_legal_basis,
                                                           rrn_reissued, RRN_KEYS)
        errors |= identifier_errors
    if errors:
        raise ValidationError(errors)
    if checked_by_insert and identifier is None:
        _insert_unless_taken(member)
        return member
    with transaction.atomic():
        if checked_by_insert:
            _insert_unless_taken(member)
        _save(None if checked_by_insert else member, identifier, basis, keys=RRN_KEYS)
    return member


def _insert_unless_taken(member: Member) -> None:
    """The member's one INSERT, which writes nothing when its login ID or email is taken; that clash is reported
    under its field, and a caller's transaction is left as it was before (the INSERT failed nothing)."""
    member.insert_unless_taken = True
    using = router.db_for_write(Member, instance=member)
    connection = transaction.get_connection(using)
    doomed = connection.needs_rollback  # what the caller's transaction was before this INSERT
    try:
        member.save()
    except MemberTaken as taken:
        # save() marks the transaction for rollback on any exception; this one came from an INSERT that wrote
        # nothing and failed nothing in the database, so the caller's transaction is as it was before and may
        # go on. The SELECT names the field that clashed.
        if connection.in_atomic_block:
            transaction.set_rollback(doomed, using=using)
        raise ValidationError(_add_database_errors(member, {}, exclude=set()) or _(
            "This record clashes with one saved a moment ago; please try again.")) from taken
    finally:
        member.insert_unless_taken = False


def _unique_checked_by_insert(member: Member) -> bool:
    """Whether a new member's INSERT can check login ID and email itself: on a database whose INSERT can skip a
    clashing row and say so, and while no old blind-index key is configured (during a rotation an old-key row
    holds another digest, which only member_unique_clashes' SELECT finds)."""
    features = connections[router.db_for_write(Member, instance=member)].features
    return (features.supports_ignore_conflicts and features.can_return_columns_from_insert
            and not blind_index_rotation_pending())


@transaction.atomic
def member_update(*, member: Member, **fields: Any) -> Member:
    """Change a member's own details; the blind indexes follow the values they index."""
    unknown = set(fields) - set(MEMBER_FIELDS)
    if unknown:
        raise TypeError(f"member_update() got unknown fields: {', '.join(sorted(unknown))}")
    with validators.answers_kept():
        values, errors = _normalized(fields)
        before = {field.attname: getattr(member, field.attname) for field in member._meta.concrete_fields}
        for key, value in values.items():
            if key not in errors:
                setattr(member, key, value)
        errors = _errors_of(member, exclude=list(errors)) | errors
    try:
        if errors:
            raise ValidationError(errors)
        _save(member)
    except ValidationError:
        # The caller's instance is left as it was, unsaved changes and all.
        for attname, value in before.items():
            setattr(member, attname, value)
        raise
    corrected = {key: before[key] for key in values if before[key] != getattr(member, key)}
    if corrected:
        # Policy §7: recipients of a corrected value are told, in this same transaction (disclosures listens).
        member_corrected.send(sender=Member, member=member, fields=corrected)
    return member


@transaction.atomic
def sensitive_identifier_record(*, member: Member, kind: str, value: str, legal_basis: str | None,
                                reissued: bool = False, enrollment: Enrollment | None = None) -> SensitiveIdentifier:
    """Record a member's 주민등록번호 or 내일배움카드 number under a legal basis (policy §1). The same number
    under another basis adds the basis; a different number is refused (see sensitive_identifier_correct)."""
    identifier, basis, errors = _identifier(member, kind, value, legal_basis, reissued, RECORD_KEYS, enrollment)
    if errors:
        raise ValidationError(errors)
    label = IDENTIFIER_LABELS[kind]
    _save(identifier if identifier.pk is None else None, basis, keys=RECORD_KEYS, labels={"value": label})
    return identifier


@transaction.atomic
def sensitive_identifier_correct(*, identifier: SensitiveIdentifier, value: str, actor: Member, reason: str,
                                 reissued: bool | None = None) -> SensitiveIdentifier:
    """Correct a recorded number (a typo, a number changed under 주민등록번호 변경제도): the change is recorded
    with who, when and why, and the old number only masked, never in full."""
    identifier = SensitiveIdentifier.objects.select_for_update().get(pk=identifier.pk)
    previous = identifier.value
    identifier.value = value.strip() if isinstance(value, str) else value
    if reissued is not None:
        identifier.reissued = reissued
    correction = SensitiveIdentifierCorrection(
        identifier=identifier, corrected_by=actor, reason=(reason or "").strip(),
        previous_masked=registry.get(SensitiveIdentifier, "value").masked(
            SensitiveIdentifier(kind=identifier.kind, value=previous)),
    )
    label = IDENTIFIER_LABELS[identifier.kind]
    # The row is locked above and its member and kind do not change: their key and the one-per-kind rule need no
    # lookup, nor does the actor (the signed-in officer); the database's constraints still hold all three.
    errors = _errors_of(identifier, exclude=["member", "kind"], labels={"value": label})
    if len(errors.get("value", [])) > 1:
        errors["value"] = [error for error in errors["value"] if error.code != "max_length"]
    errors |= _errors_of(correction, exclude=["identifier", "previous_masked", "corrected_by"])
    if "value" not in errors and identifier.value == previous:
        errors["value"] = [_field_error(label, _("the corrected number is the same as the recorded one."),
                                        "identifier_unchanged")]
    if errors:
        raise ValidationError(errors)
    _save(identifier, correction, keys=RECORD_KEYS, labels={"value": label})
    return identifier


def enrollment_checked(*, member: Member, course: Course, started_on: datetime.date, ended_on: datetime.date,
                       payment_method: str, held: set[str], applied_ip: str | None = None,
                       shipping_address: str | None = "", shipping_phone: str | None = "", rrn: str | None = None,
                       rrn_reissued: bool = False, card_number: str | None = None,
                       held_identifiers: Mapping[str, SensitiveIdentifier] | None = None,
                       ) -> tuple[Enrollment, list[SensitiveIdentifier], list[SensitiveIdentifierBasis],
                                  dict[str, list]]:
    """enrollment_create's rules, without saving: the enrolment, the identifiers it collects, the bases they
    are held under, the errors. `held` is the kinds of identifier the member already has (members.bulk
    passes it for a whole batch); `held_identifiers`, when given, the identifiers themselves by kind."""

    def held_one(kind: str) -> Any:
        return _LOOK_UP if held_identifiers is None else held_identifiers.get(kind)

    def held_or_read(kind: str) -> SensitiveIdentifier:
        found = held_one(kind)
        return member.sensitive_identifiers.get(kind=kind) if found is _LOOK_UP or found is None else found

    enrollment = Enrollment(member=member, course=course, started_on=started_on, ended_on=ended_on,
                            payment_method=payment_method, applied_ip=applied_ip or None,
                            shipping_address=(shipping_address or "").strip(),
                            shipping_phone=(shipping_phone or "").strip())
    errors = _errors_of(enrollment)
    identifiers: list[Any] = []
    bases: list[Any] = []
    kinds = SensitiveIdentifier.Kind
    if rrn and not course.requires_rrn:
        errors["rrn"] = [_("Resident registration number: collected only for an employment-insurance refund, "
                           "SME core-job or insurance-required course (privacy policy §1).")]
    elif rrn:
        identifier, basis, identifier_errors = _identifier(member, kinds.RRN, rrn, course.rrn_legal_basis,
                                                           rrn_reissued, RRN_KEYS, enrollment, held_one(kinds.RRN))
        errors |= identifier_errors
        identifiers.append(identifier)
        bases.append(basis)
    elif course.requires_rrn and kinds.RRN in held:
        # Enrolling again under a refund-type course: the number held is now held under this course's basis too.
        bases.append(SensitiveIdentifierBasis(identifier=held_or_read(kinds.RRN),
                                              legal_basis=course.rrn_legal_basis, enrollment=enrollment))
    elif course.requires_rrn:
        errors["rrn"] = [_("Resident registration number: required to enrol in this course, which is reported "
                           "for employment insurance (privacy policy §1).")]
    if card_number and payment_method != PaymentMethod.NAEIL_CARD:
        errors["card_number"] = [_("Card number: collected only for payment by Naeil learning card.")]
    elif card_number:
        identifier, basis, identifier_errors = _identifier(member, kinds.NAEIL_CARD, card_number,
                                                           SensitiveIdentifier.LegalBasis.NAEIL_CARD_APPLICATION,
                                                           False, CARD_KEYS, enrollment, held_one(kinds.NAEIL_CARD))
        errors |= identifier_errors
        identifiers.append(identifier)
        bases.append(basis)
    elif payment_method == PaymentMethod.NAEIL_CARD and kinds.NAEIL_CARD in held:
        bases.append(SensitiveIdentifierBasis(identifier=held_or_read(kinds.NAEIL_CARD),
                                              legal_basis=SensitiveIdentifier.LegalBasis.NAEIL_CARD_APPLICATION,
                                              enrollment=enrollment))
    elif payment_method == PaymentMethod.NAEIL_CARD:
        errors["card_number"] = [_("Card number: required to pay by Naeil learning card.")]
    return enrollment, identifiers, [basis for basis in bases if basis is not None], errors


@transaction.atomic
def enrollment_create(*, member: Member, course: Course, started_on: datetime.date, ended_on: datetime.date,
                      payment_method: str, applied_ip: str | None = None,
                      shipping_address: str | None = "", shipping_phone: str | None = "", rrn: str | None = None,
                      rrn_reissued: bool = False, card_number: str | None = None) -> Enrollment:
    """Enrol a member. Policy §1: a refund, SME core-job or insurance-required course collects 주민등록번호,
    a 내일배움카드 payment collects the card number; neither is collected for any other course or method."""
    # The member's identifiers, read once: the kinds held and the numbers a new one is compared with.
    held = {identifier.kind: identifier for identifier in member.sensitive_identifiers.all()}
    enrollment, identifiers, bases, errors = enrollment_checked(
        member=member, course=course, started_on=started_on, ended_on=ended_on, payment_method=payment_method,
        applied_ip=applied_ip, shipping_address=shipping_address, shipping_phone=shipping_phone, rrn=rrn,
        rrn_reissued=rrn_reissued, card_number=card_number, held=set(held), held_identifiers=held)
    kinds = SensitiveIdentifier.Kind
    if errors:
        raise ValidationError(errors)
    for identifier in identifiers:
        if identifier.pk is None:
            # One at a time, so that a race on one is reported under its own field.
            _save(identifier, keys={"value": "rrn" if identifier.kind == kinds.RRN else "card_number"},
                  labels={"value": IDENTIFIER_LABELS[identifier.kind]})
    _save(enrollment, *bases)
    return enrollment


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


def complaint_checked(*, member: Member, summary: str | None,
                      received_at: datetime.datetime | None = None) -> tuple[Complaint, dict[str, list]]:
    """complaint_receive's rules, without saving."""
    complaint = Complaint(member=member, summary=(summary or "").strip(), received_at=received_at or timezone.now())
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
    errors = _password_errors(password, member)
    if errors:
        raise ValidationError({"password": errors})
    member.set_password(password)
    member.save(update_fields=["password"])
    return member


def member_blind_indexes_refresh(*, after_pk: int = 0, batch_size: int = 500) -> tuple[int, int, bool]:
    """Recompute the blind indexes of one batch of members after `after_pk` (e.g. after BLIND_INDEX_KEY
    changed); returns (rows updated, last pk seen, whether more remain). Rerunning it changes nothing.

    It is one batch of `rotate_keys` over members (members/keys.py): values still under an old field key are
    resealed too, and an index that would clash with another member's is reported and left, not a failure."""
    from members.keys import RotationTarget, rotate_batch

    fields = Member._meta.concrete_fields
    target = RotationTarget(Member, [f for f in fields if isinstance(f, EncryptedFieldMixin)],
                            [f for f in fields if isinstance(f, BlindIndexField)])
    report = rotate_batch(target, after_pk=after_pk, batch_size=batch_size)
    return report.rewritten, report.last_pk, report.has_more


def member_sessions_end(*, members: Iterable[Member]) -> int:
    """End every session these members are signed in with (withdrawal, a changed password): one indexed
    DELETE. Returns how many were ended."""
    deleted, _by_model = MemberSession.objects.filter(member_id__in=[member.pk for member in members]).delete()
    return deleted
