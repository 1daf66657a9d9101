"""Encryption at rest for personal fields, and keyed blind indexes for exact-match lookups.

The fields are django-cryptography's (`django_cryptography.fields.EncryptedMixin`: a binary column that
only answers `isnull` lookups) with the cipher replaced. The library's own Fernet signs every value with
SECRET_KEY, so rotating SECRET_KEY would make all personal data unreadable, and it costs about 10 µs a
value. Here the key comes from FIELD_ENCRYPTION_KEY alone (HKDF), the cipher is AES-256-GCM (authenticated,
about 1 µs a value) and every value carries the id of the key that sealed it.

Key ring. FIELD_ENCRYPTION_KEY seals; FIELD_ENCRYPTION_OLD_KEYS (comma-separated) may still open, chosen by
the key id in each token. BLIND_INDEX_KEY and BLIND_INDEX_OLD_KEYS likewise: a lookup matches the digest
under any key of the ring (`blind_indexes`), so login, search and duplicate checks keep working while
`manage.py rotate_keys` (members/keys.py) rewrites every value and index under the new keys.

Tokens. Version 2: version (1 byte) | key id (4) | nonce (12) | AES-GCM(padded plaintext, associated data).
- Padding: ISO/IEC 7816-4 (0x80, then zeros) to a multiple of 16 bytes, so the length of a token tells
  the length of its value only to the nearest 16 bytes (a 2- and a 5-character name look alike).
- Associated data: "<app_label.Model>.<field>" and the row's seal. A token opens only in the column it was
  sealed for (a card number pasted into the RRN column fails), and only in the row it was sealed for:
  pasting identifier 2's value into identifier 3 (the same column!) fails too. The row's identity cannot be
  its primary key, which does not exist before the INSERT; it is the row's *seal* instead, a time-ordered
  random UUID (`RowSealField`, `new_seal`) set when the object is built, so it exists before the INSERT,
  unique in the table (a seal cannot be copied into another row) and never changed. Every model with
  encrypted fields has one; a system check says so. Saving needs the row (Model.save, bulk_create);
  QuerySet.update() of an encrypted field is refused, because it has no row to bind to.
- Version 1 tokens (no associated data, no padding), written before version 2, stay readable until
  `rotate_keys` rewrites them.
- Values are opened through model instances; `values()` / `values_list()` of an encrypted field give the
  stored token (a `StoredToken`), since no row is at hand to bind it to.

Damaged data. Values are opened when read from the instance (a descriptor), not when the row is fetched,
because the row's seal is needed. A value that cannot be opened (altered, pasted from elsewhere, sealed by a
key no longer in the ring) never raises: it reads as an `Undecryptable` object, falsy,
shown as "복호화 불가 · cannot be decrypted"; the failure is logged once per table, column and row (never the
value) and recorded in `DecryptionFailure`, counted on the admin index. Saving or validating an instance
that holds one is refused with a message naming the field; the marker is never written as data.
"""

import hashlib
import hmac
import logging
import os
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.db import models
from django.db.models.query_utils import DeferredAttribute
from django.dispatch import receiver
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_cryptography.fields import EncryptedMixin

logger = logging.getLogger("members.encryption")

TOKEN_VERSION_1 = b"\x01"  # no associated data, no padding: readable until rotate_keys rewrites it
TOKEN_VERSION = b"\x02"
KEY_ID_SIZE = 4
NONCE_SIZE = 12
HEADER_SIZE = len(TOKEN_VERSION) + KEY_ID_SIZE + NONCE_SIZE
PAD_BLOCK = 16


class DecryptionError(Exception):
    """A stored value cannot be opened: a key outside the ring sealed it, or it was altered or moved."""


def _derive_key(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret.encode())


def pad(data: bytes) -> bytes:
    """ISO/IEC 7816-4: 0x80 then zeros up to the next multiple of 16 bytes (always at least one byte)."""
    padded = data + b"\x80"
    return padded + b"\x00" * (-len(padded) % PAD_BLOCK)


def unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80") or len(data) % PAD_BLOCK:
        raise DecryptionError("bad padding")
    return stripped[:-1]


class FieldCipher:
    """AES-256-GCM under one key. A token is: version (1 byte) | key id (4) | nonce (12) | ciphertext and tag."""

    def __init__(self, secret: str) -> None:
        key = _derive_key(secret, b"privacy-backoffice/field-encryption/v1")
        self.key_id = hmac.digest(key, b"key-id", "sha256")[:KEY_ID_SIZE]
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: bytes, associated_data: bytes) -> bytes:
        nonce = os.urandom(NONCE_SIZE)
        header = TOKEN_VERSION + self.key_id + nonce
        return header + self._aead.encrypt(nonce, pad(plaintext), TOKEN_VERSION + associated_data)

    def decrypt(self, token: bytes, associated_data: bytes) -> bytes:
        version, key_id, nonce = token[:1], token[1 : 1 + KEY_ID_SIZE], token[1 + KEY_ID_SIZE : HEADER_SIZE]
        if key_id != self.key_id:
            raise DecryptionError(f"sealed with another key (id {key_id.hex()})")
        try:
            if version == TOKEN_VERSION_1:
                return self._aead.decrypt(nonce, token[HEADER_SIZE:], None)
            return unpad(self._aead.decrypt(nonce, token[HEADER_SIZE:], TOKEN_VERSION + associated_data))
        except InvalidTag as error:
            raise DecryptionError("the stored value was altered, moved from another column or row, "
                                  "or the key is wrong") from error


class KeyRing:
    """The key that seals and the keys that may still open, found by the key id in each token."""

    def __init__(self, current: str, old: tuple[str, ...] = ()) -> None:
        self.current = FieldCipher(current)
        self.ciphers = {self.current.key_id: self.current}
        for secret in old:
            cipher = FieldCipher(secret)
            self.ciphers.setdefault(cipher.key_id, cipher)

    def seal(self, plaintext: bytes, associated_data: bytes) -> bytes:
        return self.current.encrypt(plaintext, associated_data)

    def open(self, token: bytes, associated_data: bytes) -> bytes:
        if token[:1] not in (TOKEN_VERSION, TOKEN_VERSION_1) or len(token) < HEADER_SIZE:
            raise DecryptionError("not a field-encryption token")
        key_id = token[1 : 1 + KEY_ID_SIZE]
        cipher = self.ciphers.get(key_id)
        if cipher is None:
            raise DecryptionError(f"sealed with another key (id {key_id.hex()}), neither FIELD_ENCRYPTION_KEY "
                                  "nor one of FIELD_ENCRYPTION_OLD_KEYS")
        return cipher.decrypt(token, associated_data)

    def is_current(self, token: bytes) -> bool:
        """Sealed in the current format by the current key: nothing for rotate_keys to do."""
        return token[:1] == TOKEN_VERSION and token[1 : 1 + KEY_ID_SIZE] == self.current.key_id


def _split(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    return tuple(key.strip() for key in value or () if key.strip())


def _old_keys(setting: str) -> tuple[str, ...]:
    return _split(getattr(settings, setting, ()))


@lru_cache(maxsize=8)
def _ring(current: str, old: tuple[str, ...] | str) -> KeyRing:
    return KeyRing(current, _split(old))


# The ring for the keys in force, kept: a list page opens hundreds of values and a sign-up seals fourteen, each
# asking for the ring. A changed key setting (override_settings, which sends setting_changed) drops it.
_ring_in_force: KeyRing | None = None


def key_ring() -> KeyRing:
    """The ring for FIELD_ENCRYPTION_KEY and FIELD_ENCRYPTION_OLD_KEYS as they are set."""
    global _ring_in_force
    ring = _ring_in_force
    if ring is None:
        old = getattr(settings, "FIELD_ENCRYPTION_OLD_KEYS", ())
        ring = _ring_in_force = _ring(settings.FIELD_ENCRYPTION_KEY, old if isinstance(old, str) else tuple(old))
    return ring


@receiver(setting_changed)
def _field_keys_changed(*, setting: str, **kwargs: Any) -> None:
    global _ring_in_force
    if setting in ("FIELD_ENCRYPTION_KEY", "FIELD_ENCRYPTION_OLD_KEYS"):
        _ring_in_force = None


def field_cipher() -> FieldCipher:
    """The cipher of the key that seals (FIELD_ENCRYPTION_KEY)."""
    return key_ring().current


class StoredToken(bytes):
    """A token as fetched from the database, not yet opened (that needs the row's seal)."""


class Undecryptable:
    """Stands in for a value that cannot be opened: falsy, shown as the marker, never saved."""

    __slots__ = ("column", "row", "table")

    def __init__(self, table: str = "", column: str = "", row: Any = None) -> None:
        self.table, self.column, self.row = table, column, row

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return gettext("cannot be decrypted")

    def __repr__(self) -> str:
        return f"<Undecryptable {self.table}.{self.column} row {self.row}>"

    def __eq__(self, other: object) -> bool:
        return other is self

    __hash__ = object.__hash__


UNDECRYPTABLE_MARKER = _("cannot be decrypted")

_reported: set[tuple[str, str, str]] = set()
_reported_lock = threading.Lock()


def report_undecryptable(table: str, column: str, row: Any, reason: str) -> None:
    """Log once per (table, column, row) and record it for the officer; never the value."""
    key = (table, column, str(row))
    with _reported_lock:
        if key in _reported:
            return
        _reported.add(key)
    created = True
    try:
        from members.keys import decryption_failure_record

        created = decryption_failure_record(table=table, column=column, row=str(row))
    except Exception:  # the page must still render; the log line below still says it
        logger.exception("could not record the decryption failure of %s.%s row %s", table, column, row)
    if created:
        logger.warning("cannot decrypt %s.%s of row %s (%s); shown as the marker", table, column, row, reason)


def new_seal() -> uuid.UUID:
    """A row's seal: a UUID of version 7 (RFC 9562), the Unix time in milliseconds (48 bits) followed by 74
    random bits.

    Unique as a version 4 UUID is, for this use. Each new seal sorts after those of earlier milliseconds, so
    a table's unique seal index takes new rows at its right-hand edge, as the primary key does, not in a
    random leaf. At a million members that is one index page fewer to read and to write in full into the WAL
    per sign-up. The time it shows is the row's creation, which the row keeps in plain anyway (date_joined,
    created_at)."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    return uuid.UUID(int=value & ~(0xF << 76 | 0x3 << 62) | 0x7 << 76 | 0x2 << 62)  # version 7, RFC variant


class RowSealField(models.UUIDField):
    """The row's identity for the associated data of its encrypted values: time-ordered and random
    (`new_seal`), set before the INSERT, never changed, and unique in the table through a unique index made
    by the migration that adds it (`unique_seal_index` below), not through `unique=True`, which would cost
    every full_clean() a query."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.update(default=new_seal, editable=False)
        kwargs.setdefault("verbose_name", _("row seal"))
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        for key in ("default", "editable"):
            kwargs.pop(key, None)
        return name, path, args, kwargs


def unique_seal_index(table: str, column: str = "seal") -> Any:
    """The migration operation that makes a table's seals unique (one seal cannot be copied into another row)."""
    from django.db import migrations

    return migrations.RunSQL(f'CREATE UNIQUE INDEX "{table}_{column}_unique" ON "{table}" ("{column}")',
                             f'DROP INDEX "{table}_{column}_unique"')


def seal_field_of(model: type[models.Model]) -> RowSealField | None:
    try:
        return model._meta._row_seal_field
    except AttributeError:
        found = next((f for f in model._meta.concrete_fields if isinstance(f, RowSealField)), None)
        model._meta._row_seal_field = found
        return found


def _seal_attname_of(model: type[models.Model]) -> str | None:
    seal_field = seal_field_of(model)
    return seal_field.attname if seal_field else None


# An erased value (retention's erasure writes it with QuerySet.update): an empty column, no token.
ERASED = ""


class DamagedValueError(ValueError):
    """An instance holding a value that could not be decrypted was about to be saved."""


_NOT_LOADED = object()


class _OpeningAttribute(DeferredAttribute):
    """Opens the stored token on first read, with the instance's seal, and keeps the plaintext."""

    def __get__(self, instance: models.Model | None, cls: type | None = None) -> Any:
        if instance is None:
            return self
        # Read __dict__ first: DeferredAttribute.__get__ only adds a call for a value that is already loaded.
        value = instance.__dict__.get(self.field.attname, _NOT_LOADED)
        if value is _NOT_LOADED:
            value = super().__get__(instance, cls)
        if isinstance(value, StoredToken):
            value = self.field.open_for(instance, value)
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance: models.Model, value: Any) -> None:
        # A data descriptor, so that reads come through __get__ even once the value is in __dict__.
        instance.__dict__[self.field.attname] = value


class EncryptedFieldMixin(EncryptedMixin):
    """Stores the field's value as text sealed by the key ring; no pickle, so no code runs on load."""

    descriptor_class = _OpeningAttribute

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Skip EncryptedMixin.__init__: it builds the library's SECRET_KEY-signed Fernet, unused here.
        super(EncryptedMixin, self).__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        # The base field's deconstruct names this class, so migrations keep the encryption.
        return super(EncryptedMixin, self).deconstruct()

    def associated_data(self, instance: models.Model) -> bytes:
        """The model label and field name, and the row's seal: the token opens in this column of this row only."""
        seal_attname = self._seal_attname if type(instance) is self.model else _seal_attname_of(type(instance))
        seal = getattr(instance, seal_attname) if seal_attname else None
        if seal and not isinstance(seal, uuid.UUID):
            seal = uuid.UUID(str(seal))
        return self._column_binding + (seal.bytes if seal else b"")

    @cached_property
    def _seal_attname(self) -> str | None:
        return _seal_attname_of(self.model)

    @cached_property
    def _column_binding(self) -> bytes:
        return f"{self.model._meta.label}.{self.name}".encode() + b"\x00"

    def _dump(self, value: Any) -> bytes:
        text = value.isoformat() if isinstance(value, date | datetime) else str(value)
        return text.encode()

    def _load(self, value: bytes) -> Any:
        return self.to_python(value.decode())

    def seal_for(self, instance: models.Model, value: Any) -> StoredToken | None:
        """The token for `value` in this column of this row, under FIELD_ENCRYPTION_KEY."""
        if value is None:
            return None
        if isinstance(value, Undecryptable):
            raise DamagedValueError(
                f"{self.model._meta.label}.{self.name} of row {instance.pk} could not be decrypted; it is not "
                "saved over with the marker. Enter the value again (or restore the row) before saving.")
        return StoredToken(key_ring().seal(self._dump(value), self.associated_data(instance)))

    def open_for(self, instance: models.Model, token: bytes) -> Any:
        """The value of a stored token, or an `Undecryptable` (reported once) when it cannot be opened."""
        try:
            return self._load(key_ring().open(token, self.associated_data(instance)))
        except (DecryptionError, UnicodeDecodeError, ValidationError, ValueError) as error:
            report_undecryptable(self.model._meta.db_table, self.column, instance.pk, type(error).__name__)
            return Undecryptable(self.model._meta.db_table, self.column, instance.pk)

    def pre_save(self, model_instance: models.Model, add: bool) -> StoredToken | None:
        raw = model_instance.__dict__.get(self.attname)
        if isinstance(raw, StoredToken) and key_ring().is_current(raw):
            return raw  # never read since it was fetched from this row, and already current
        return self.seal_for(model_instance, getattr(model_instance, self.attname))

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is None:
            return None
        if isinstance(value, str) and value == ERASED:
            # Erasure (retention): QuerySet.update(field="") stores no token at all; it reads back as "".
            return connection.Database.Binary(b"")
        if not isinstance(value, StoredToken):
            raise TypeError(f"{self.model._meta.label}.{self.name} is sealed to its row: save it through "
                            "Model.save() or bulk_create(), not QuerySet.update() or bulk_update().")
        return connection.Database.Binary(bytes(value))

    def from_db_value(self, value: Any, *args: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return StoredToken(value) if len(value) else ERASED

    def validate(self, value: Any, model_instance: models.Model) -> None:
        if isinstance(value, Undecryptable):
            raise ValidationError(_("%(field)s: the stored value cannot be decrypted; enter it again."),
                                  code="undecryptable", params={"field": capfirst(self.verbose_name)})
        super().validate(value, model_instance)

    def run_validators(self, value: Any) -> None:
        if not isinstance(value, Undecryptable):
            super().run_validators(value)

    def clean(self, value: Any, model_instance: models.Model) -> Any:
        if isinstance(value, Undecryptable):
            self.validate(value, model_instance)
        return super().clean(value, model_instance)


def _refuse_to_save_the_marker(sender: type[models.Model], instance: models.Model, update_fields=None,
                               **kwargs: Any) -> None:
    """Before the save opens its transaction: an instance holding an Undecryptable is refused, cleanly."""
    for field in sender._meta.concrete_fields:
        if (isinstance(field, EncryptedFieldMixin) and (update_fields is None or field.name in update_fields)
                and isinstance(instance.__dict__.get(field.attname), Undecryptable)):
            field.seal_for(instance, instance.__dict__[field.attname])  # raises DamagedValueError


models.signals.pre_save.connect(_refuse_to_save_the_marker, dispatch_uid="members.encryption.refuse_marker")


class EncryptedCharField(EncryptedFieldMixin, models.CharField):
    pass


class EncryptedTextField(EncryptedFieldMixin, models.TextField):
    pass


class EncryptedDateField(EncryptedFieldMixin, models.DateField):
    pass


class EncryptedGenericIPAddressField(EncryptedFieldMixin, models.GenericIPAddressField):
    pass


def _normalize_email(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().lower()


def _normalize_phone(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    # +82 10-1234-5678 and 010-1234-5678 are the same number.
    if text.startswith("+82") and digits.startswith("82"):
        digits = "0" + digits[2:].lstrip("0")
    return digits


def _normalize_exact(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


NORMALIZERS: dict[str, Callable[[str], str]] = {
    "email": _normalize_email,
    "phone": _normalize_phone,
    "login_id": _normalize_email,
    "exact": _normalize_exact,
}


@lru_cache(maxsize=32)
def _index_hmac(secret: str, normalizer: str) -> "hmac.HMAC":
    # One key per kind of value, so an email index never equals a phone index of the same string.
    key = _derive_key(secret, b"privacy-backoffice/blind-index/v1/" + normalizer.encode())
    return hmac.new(key, digestmod=hashlib.sha256)


def _digest(secret: str, normalizer: str, normalized: str) -> str:
    mac = _index_hmac(secret, normalizer).copy()
    mac.update(normalized.encode())
    return mac.hexdigest()


def blind_index_keys() -> tuple[str, ...]:
    """BLIND_INDEX_KEY first, then BLIND_INDEX_OLD_KEYS."""
    return (settings.BLIND_INDEX_KEY, *(key for key in _old_keys("BLIND_INDEX_OLD_KEYS")
                                        if key != settings.BLIND_INDEX_KEY))


def blind_index_rotation_pending() -> bool:
    """Old blind-index keys are configured: lookups and uniqueness must consider every key's digest."""
    return len(blind_index_keys()) > 1


def blind_index(normalizer: str, value: str | None) -> str | None:
    """HMAC-SHA256 (hex) of the normalised value under BLIND_INDEX_KEY; None for an empty value."""
    if isinstance(value, Undecryptable):
        return None
    normalized = NORMALIZERS[normalizer](value or "")
    return _digest(settings.BLIND_INDEX_KEY, normalizer, normalized) if normalized else None


def blind_indexes(normalizer: str, value: str | None) -> list[str]:
    """The digest under every key of the ring, BLIND_INDEX_KEY's first; [] for an empty value."""
    normalized = NORMALIZERS[normalizer](value or "")
    return [_digest(key, normalizer, normalized) for key in blind_index_keys()] if normalized else []


class BlindIndexField(models.CharField):
    """The blind index of another field of the same row, recomputed on every save and bulk_create."""

    def __init__(self, *args: Any, source: str, normalizer: str, **kwargs: Any) -> None:
        if normalizer not in NORMALIZERS:
            raise ValueError(f"unknown blind-index normalizer {normalizer!r}")
        self.source = source
        self.normalizer = normalizer
        kwargs.update(max_length=64, editable=False, null=True, blank=True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        for key in ("max_length", "editable", "null", "blank"):
            kwargs.pop(key, None)
        kwargs.update(source=self.source, normalizer=self.normalizer)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str | None:
        source = getattr(model_instance, self.source)
        if isinstance(source, Undecryptable):
            return getattr(model_instance, self.attname)  # keep the index of the value we cannot read
        # Validation computes the index first (the unique checks need it), then the save asks again: the digest
        # is reused while the source value (the same object), the key and the stored index are unchanged.
        key, computed = settings.BLIND_INDEX_KEY, model_instance.__dict__.get(self._computed_name)
        if (computed and computed[0] is source and computed[1] is key
                and model_instance.__dict__.get(self.attname) == computed[2]):
            return computed[2]
        value = blind_index(self.normalizer, source)
        setattr(model_instance, self.attname, value)
        model_instance.__dict__[self._computed_name] = (source, key, value)
        return value

    @cached_property
    def _computed_name(self) -> str:
        return f"_{self.attname}_computed_from"
