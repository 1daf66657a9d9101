"""Encryption at rest for personal fields, and keyed blind indexes for exact-match lookups.

The fields are django-cryptography's (`django_cryptography.fields.EncryptedMixin`: a binary column that
only answers `isnull` lookups) with the cipher replaced. The library's own Fernet signs every value with
SECRET_KEY, so rotating SECRET_KEY would make all personal data unreadable, and it costs about 10 µs a
value. Here the key comes from FIELD_ENCRYPTION_KEY alone (HKDF), the cipher is AES-256-GCM (authenticated,
about 1 µs a value) and every value carries the id of the key that sealed it, so keys can be rotated.
"""

import hashlib
import hmac
import os
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models
from django_cryptography.fields import EncryptedMixin

TOKEN_VERSION = b"\x01"
KEY_ID_SIZE = 4
NONCE_SIZE = 12
HEADER_SIZE = len(TOKEN_VERSION) + KEY_ID_SIZE + NONCE_SIZE


class DecryptionError(Exception):
    """A stored value cannot be opened: another key sealed it, or it was altered."""


def _derive_key(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret.encode())


class FieldCipher:
    """AES-256-GCM. A token is: version (1 byte) | key id (4) | nonce (12) | ciphertext and tag."""

    def __init__(self, secret: str) -> None:
        key = _derive_key(secret, b"privacy-backoffice/field-encryption/v1")
        self.key_id = hmac.digest(key, b"key-id", "sha256")[:KEY_ID_SIZE]
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: bytes) -> bytes:
        nonce = os.urandom(NONCE_SIZE)
        return TOKEN_VERSION + self.key_id + nonce + self._aead.encrypt(nonce, plaintext, None)

    def decrypt(self, token: bytes) -> bytes:
        if token[:1] != TOKEN_VERSION or len(token) < HEADER_SIZE:
            raise DecryptionError("not a field-encryption token")
        key_id = token[1 : 1 + KEY_ID_SIZE]
        if key_id != self.key_id:
            raise DecryptionError(f"sealed with another key (id {key_id.hex()}), not FIELD_ENCRYPTION_KEY")
        try:
            return self._aead.decrypt(token[1 + KEY_ID_SIZE : HEADER_SIZE], token[HEADER_SIZE:], None)
        except InvalidTag as error:
            raise DecryptionError("the stored value was altered or the key is wrong") from error


@lru_cache(maxsize=4)
def _cipher(secret: str) -> FieldCipher:
    return FieldCipher(secret)


def field_cipher() -> FieldCipher:
    """The cipher for the key in force (looked up per call, so a changed setting takes effect)."""
    return _cipher(settings.FIELD_ENCRYPTION_KEY)


class EncryptedFieldMixin(EncryptedMixin):
    """Stores the field's value as text sealed by `field_cipher()`; no pickle, so no code runs on load."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Skip EncryptedMixin.__init__: it builds the library's SECRET_KEY-signed Fernet, unused here.
        super(EncryptedMixin, self).__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        # The base field's deconstruct names this class, so migrations keep the encryption.
        return super(EncryptedMixin, self).deconstruct()

    def _dump(self, value: Any) -> bytes:
        text = value.isoformat() if isinstance(value, date | datetime) else str(value)
        return field_cipher().encrypt(text.encode())

    def _load(self, value: bytes) -> Any:
        return self.to_python(field_cipher().decrypt(value).decode())


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


def blind_index(normalizer: str, value: str | None) -> str | None:
    """HMAC-SHA256 (hex) of the normalised value under BLIND_INDEX_KEY; None for an empty value."""
    normalized = NORMALIZERS[normalizer](value or "")
    if not normalized:
        return None
    mac = _index_hmac(settings.BLIND_INDEX_KEY, normalizer).copy()
    mac.update(normalized.encode())
    return mac.hexdigest()


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
        value = blind_index(self.normalizer, getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value
