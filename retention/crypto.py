"""Keys for the archive (분리 보관): pseudonymous subject keys and crypto-shredding.

Each archived payload is sealed with AES-256-GCM under its own random data key; the data key is stored
wrapped by the field-encryption key (members.encryption), in its own table. Deleting the wrapped key makes
every copy of the payload (a backup, a replica) unreadable: that is the destruction (policy §3 "재생할 수 없는
기술적 방법"). This module is the only place that touches members.encryption for the archive.
"""

import hashlib
import hmac
import json
import os
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from members.encryption import DecryptionError, blind_index_keys, key_ring

DATA_KEY_SIZE = 32
NONCE_SIZE = 12
KEY_ID_OFFSET, KEY_ID_SIZE = 1, 4  # where a field-encryption token names the key that sealed it
# A wrapped data key is bound to its use, so a token from a personal field does not unwrap as a data key.
WRAPPING_CONTEXT = b"retention.ArchiveDataKey.wrapped"


class UndecryptableError(Exception):
    """An archived payload or its data key cannot be opened (missing key, another key ring, altered)."""


@lru_cache(maxsize=4)
def _subject_secret(secret: str) -> bytes:
    # Derived from the blind-index key (the project's pseudonymisation key), for this purpose only.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"privacy-backoffice/archive-subject/v1").derive(secret.encode())


def subject_key(member_id: int, *, secret: str | None = None) -> str:
    """The pseudonym of a member in the archive: HMAC-SHA256 of the member id; not derivable without the key.
    Under BLIND_INDEX_KEY unless another key of the ring is named."""
    return hmac.new(_subject_secret(secret or settings.BLIND_INDEX_KEY), f"member:{member_id}".encode(),
                    hashlib.sha256).hexdigest()


def subject_keys(member_id: int) -> list[str]:
    """The member's pseudonym under every blind-index key of the ring, BLIND_INDEX_KEY's first: until
    rotate_keys has re-keyed the archive, a member's rows may still carry the pseudonym of an old key."""
    return [subject_key(member_id, secret=secret) for secret in blind_index_keys()]


def archive_key(rule: str, subject: str, source: str, source_id: int) -> str:
    """The deterministic identity of one archived record, so a retried withdrawal never archives twice. It is
    the associated data of the record's payload, so a key rotation never changes it for a stored row (only
    the subject key follows the rotation: retention.services.subjects)."""
    return hmac.new(_subject_secret(settings.BLIND_INDEX_KEY), f"{rule}|{subject}|{source}|{source_id}".encode(),
                    hashlib.sha256).hexdigest()


def wrap_data_key(data_key: bytes) -> bytes:
    """Wrapped by FIELD_ENCRYPTION_KEY; the old keys of the ring (FIELD_ENCRYPTION_OLD_KEYS) still unwrap."""
    return key_ring().seal(data_key, WRAPPING_CONTEXT)


def unwrap_data_key(wrapped: bytes) -> bytes:
    try:
        return key_ring().open(bytes(wrapped), WRAPPING_CONTEXT)
    except DecryptionError as error:
        raise UndecryptableError(str(error)) from error


def key_ring_ids() -> list[bytes]:
    """Ids of the field keys able to unwrap a data key, the sealing key first (the sweep skips rows wrapped
    by any other)."""
    ring = key_ring()
    return [ring.current.key_id, *[key_id for key_id in ring.ciphers if key_id != ring.current.key_id]]


def seal(payload: dict[str, Any], *, context: str) -> tuple[bytes, bytes]:
    """(ciphertext, wrapped data key) for one payload; `context` (the archive key) is bound as associated data."""
    data_key = AESGCM.generate_key(bit_length=DATA_KEY_SIZE * 8)
    nonce = os.urandom(NONCE_SIZE)
    plaintext = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    ciphertext = nonce + AESGCM(data_key).encrypt(nonce, plaintext, context.encode())
    return ciphertext, wrap_data_key(data_key)


def open_sealed(ciphertext: bytes, wrapped: bytes | None, *, context: str) -> dict[str, Any]:
    if wrapped is None:
        raise UndecryptableError("its data key was destroyed")
    data_key = unwrap_data_key(wrapped)
    ciphertext = bytes(ciphertext)
    try:
        plaintext = AESGCM(data_key).decrypt(ciphertext[:NONCE_SIZE], ciphertext[NONCE_SIZE:], context.encode())
    except InvalidTag as error:
        raise UndecryptableError("the payload was altered or belongs to another record") from error
    return json.loads(plaintext)
