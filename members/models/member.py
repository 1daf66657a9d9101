"""The member (정보주체), who is also the staff account: AUTH_USER_MODEL from the first migration."""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import Q
from django.db.models.constants import OnConflict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members import validators
from members.constraints import batch_errors
from members.encryption import (
    NORMALIZERS,
    BlindIndexField,
    EncryptedCharField,
    EncryptedDateField,
    RowSealField,
    blind_index_rotation_pending,
    blind_indexes,
)
from members.prepared import insert_ignoring_clash, server_prepared


class MemberQuerySet(models.QuerySet):
    """Exact-match lookups go through the blind indexes: the personal columns themselves are ciphertext."""

    def by_login_id(self, login_id: str) -> "MemberQuerySet":
        return self._by_index("login_id_index", "login_id", login_id)

    def by_email(self, email: str) -> "MemberQuerySet":
        return self._by_index("email_index", "email", email)

    def by_mobile(self, mobile: str) -> "MemberQuerySet":
        return self._by_index("mobile_index", "phone", mobile)

    def by_ipin_ci(self, ci: str) -> "MemberQuerySet":
        return self._by_index("ipin_ci_index", "exact", ci)

    def holding_emails(self, emails: Iterable[str]) -> dict[str, "Member"]:
        """The members holding any of `emails`, in one query, keyed by the email as normalised for its blind
        index (NORMALIZERS["email"]): a partner file's emails looked up at once, as by_email looks up one."""
        return self._holding("email_index", "email", emails)

    def holding_login_ids(self, login_ids: Iterable[str]) -> dict[str, "Member"]:
        """The members holding any of `login_ids`, in one query, keyed by the normalised login ID."""
        return self._holding("login_id_index", "login_id", login_ids)

    def _holding(self, index_field: str, normalizer: str, values: Iterable[str]) -> dict[str, "Member"]:
        # Every key of the ring, as _by_index: rows not yet rewritten by rotate_keys hold an old key's digest.
        normalized_by_digest = {}
        for value in values:
            normalized = NORMALIZERS[normalizer](value or "")
            for digest in blind_indexes(normalizer, value):
                normalized_by_digest[digest] = normalized
        if not normalized_by_digest:
            return {}
        return {normalized_by_digest[getattr(member, index_field)]: member
                for member in self.filter(**{f"{index_field}__in": list(normalized_by_digest)})}

    def _by_index(self, index_field: str, normalizer: str, value: str) -> "MemberQuerySet":
        # Every key of the ring: rows not yet rewritten by rotate_keys still hold an old key's digest.
        digests = blind_indexes(normalizer, value)
        return self.filter(**{f"{index_field}__in": digests}) if digests else self.none()


# Unique through their blind indexes: (index field, source field). One query checks both, under every key.
UNIQUE_INDEXES = (("login_id_index", "login_id"), ("email_index", "email"))


def member_unique_clashes(member: "Member", *, exclude: set[str] | frozenset[str] = frozenset()) -> dict:
    """Another member holding this login ID or email under any blind-index key: {source field: [message]}.

    ONE query for both fields. Without BLIND_INDEX_OLD_KEYS the database's unique constraints alone decide
    as well (callers may skip this when `members.encryption.blind_index_rotation_pending()` is False and
    they handle the IntegrityError); during a rotation an old-key row has a different digest, so only this
    check stops a second member registering with an existing email.
    """
    wanted = {}
    for index_field, source in UNIQUE_INDEXES:
        value = getattr(member, source)
        if source in exclude or index_field in exclude or not isinstance(value, str) or not value:
            continue
        normalizer = member._meta.get_field(index_field).normalizer
        wanted[source] = (index_field, set(blind_indexes(normalizer, value)))
    if not wanted:
        return {}
    condition = Q()
    for index_field, digests in wanted.values():
        condition |= Q(**{f"{index_field}__in": digests})
    others = Member._base_manager.filter(condition)
    if member.pk is not None:
        others = others.exclude(pk=member.pk)
    found = list(others.values_list(*[index_field for index_field, _digests in wanted.values()])[:10])
    messages = {c.fields[0]: c.violation_error_message for c in Member._meta.constraints
                if isinstance(c, models.UniqueConstraint) and len(c.fields) == 1}
    errors = {}
    for position, (source, (index_field, digests)) in enumerate(wanted.items()):
        if any(row[position] in digests for row in found):
            errors[source] = [ValidationError(messages[index_field], code="unique")]
    return errors


class MemberTaken(Exception):
    """A new member's INSERT wrote nothing: another row holds its login ID or email (or, by a chance of one in
    2**122, its seal). Nothing was written and the transaction is still usable (no error was raised in it)."""


class MemberManager(BaseUserManager.from_queryset(MemberQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, username: str) -> "Member":
        return self.by_login_id(username).get()

    async def aget_by_natural_key(self, username: str) -> "Member":
        return await self.by_login_id(username).aget()

    def create_user(self, login_id: str, password: str | None = None, **fields: Any) -> "Member":
        from members.services import member_create

        return member_create(login_id=login_id, password=password, **fields)

    def create_superuser(self, login_id: str, password: str | None = None, **fields: Any) -> "Member":
        from members.services import member_create

        return member_create(login_id=login_id, password=password, is_staff=True, is_superuser=True, **fields)


class Member(AbstractBaseUser, PermissionsMixin):
    """A member's account. Every personal field is encrypted; opt-ins live in consent records, not here."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    login_id = EncryptedCharField(_("login ID"), max_length=20, validators=[validators.validate_login_id])
    name = EncryptedCharField(_("name"), max_length=50, validators=[validators.validate_person_name])
    mobile = EncryptedCharField(_("mobile phone"), max_length=13, blank=True, validators=[validators.validate_mobile])
    email = EncryptedCharField(_("email"), max_length=254, validators=[validators.validate_email])
    company_name = EncryptedCharField(_("company name"), max_length=100, blank=True)
    department = EncryptedCharField(_("department"), max_length=100, blank=True)
    job_title = EncryptedCharField(_("job title"), max_length=50, blank=True)
    employee_number = EncryptedCharField(_("employee number"), max_length=30, blank=True)
    company_phone = EncryptedCharField(
        _("company phone"), max_length=14, blank=True, validators=[validators.validate_phone]
    )
    birth_date = EncryptedDateField(_("birth date"), null=True, blank=True, validators=[validators.validate_birth_date])
    # Optional: collected only for textbook shipping and refund-course reports.
    home_address = EncryptedCharField(_("home address"), max_length=200, blank=True)
    home_phone = EncryptedCharField(_("home phone"), max_length=14, blank=True, validators=[validators.validate_phone])
    ipin_ci = EncryptedCharField(_("i-PIN CI"), max_length=88, blank=True, validators=[validators.validate_ipin_ci])
    ipin_di = EncryptedCharField(_("i-PIN DI"), max_length=64, blank=True, validators=[validators.validate_ipin_di])

    login_id_index = BlindIndexField(source="login_id", normalizer="login_id")
    email_index = BlindIndexField(source="email", normalizer="email")
    # Plain B-tree indexes in Meta.indexes: db_index=True would add a useless varchar_pattern_ops "_like" one.
    mobile_index = BlindIndexField(source="mobile", normalizer="phone")
    ipin_ci_index = BlindIndexField(source="ipin_ci", normalizer="exact")

    seal = RowSealField()  # binds the encrypted values to this row (members/encryption.py)

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    date_joined = models.DateTimeField(_("joined at"), default=timezone.now)

    objects = MemberManager()

    USERNAME_FIELD = "login_id"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name", "email"]

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        permissions = [("manage_staff_access", _("Can change staff access (staff status, superuser, groups and "
                                                 "permissions)"))]
        indexes = [
            models.Index(fields=["mobile_index"], name="member_mobile_index_idx"),
            models.Index(fields=["ipin_ci_index"], name="member_ipin_ci_index_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["login_id_index"],
                name="member_login_id_unique",
                violation_error_code="unique",
                violation_error_message=_("Login ID: this login ID is already in use."),
            ),
            models.UniqueConstraint(
                fields=["email_index"],
                name="member_email_unique",
                violation_error_code="unique",
                violation_error_message=_("Email: this email address is already registered."),
            ),
            models.CheckConstraint(
                condition=Q(status="active", withdrawn_at__isnull=True)
                | Q(status="withdrawn", withdrawn_at__isnull=False),
                name="member_withdrawn_at_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def validate_constraints(self, exclude: set[str] | None = None) -> None:
        for field in self._meta.fields:
            if isinstance(field, BlindIndexField):
                field.pre_save(self, add=False)  # so the unique constraints see the values about to be saved
        exclude = set(exclude or ())
        errors: dict[str, list] = {}
        if blind_index_rotation_pending():
            # During a key rotation an old-key row holds another digest: login ID and email are checked under
            # every key, in one query; the database's unique constraints see the current digest only.
            errors.update(member_unique_clashes(self, exclude=exclude))
            exclude |= {index_field for index_field, _source in UNIQUE_INDEXES}
        # The other constraints as Django checks them, in one statement: see members/constraints.py.
        # A clash on a blind index is reported under the field the member typed (email, not email_index).
        sources = {f.name: f.source for f in self._meta.fields if isinstance(f, BlindIndexField)}
        for name, messages in batch_errors(type(self), [self], exclude=exclude)[0].items():
            errors.setdefault(sources.get(name, name), []).extend(messages)
        if errors:
            raise ValidationError(errors)

    # Set by members.services.member_create: the INSERT itself checks login ID and email (see _do_insert).
    insert_unless_taken = False

    def _do_insert(self, manager: Any, using: str, fields: list, returning_fields: list, raw: bool) -> list:
        # ON CONFLICT DO NOTHING: a clash on a unique index leaves the row unwritten and the transaction usable,
        # so a sign-up needs no SELECT before its INSERT; only a refused one asks which field clashed.
        features = connections[using].features
        if not (self.insert_unless_taken and features.supports_ignore_conflicts
                and features.can_return_columns_from_insert):
            return super()._do_insert(manager, using, fields, returning_fields, raw)
        with server_prepared(connections[using]):
            # A raw save (loaddata) stores the attributes as they are, without pre_save: Django's own path.
            rows = (manager._insert([self], fields=fields, returning_fields=returning_fields, using=using, raw=raw,
                                    on_conflict=OnConflict.IGNORE) if raw
                    else insert_ignoring_clash(self, using, fields, returning_fields))
        if not rows or rows[0] is None:
            raise MemberTaken(self.seal)
        return rows

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            # A saved source field drags its blind index along, or the index would go stale.
            kwargs["update_fields"] = set(update_fields) | {
                field.name for field in self._meta.fields if isinstance(field, BlindIndexField)
                and field.source in update_fields
            }
        super().save(*args, **kwargs)
