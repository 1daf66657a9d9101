"""Shared by the key-ring tests: raw reads and writes of one stored token, and a planted damage."""

from django.db import connection

OLD_FIELD_KEY = "old-field-encryption-key-0f1e2d3c4b5a69788796a5b4"
NEW_FIELD_KEY = "new-field-encryption-key-7a6b5c4d3e2f1a0b9c8d7e6f"
OLD_INDEX_KEY = "old-blind-index-key-5e4d3c2b1a0f9e8d7c6b5a49"
NEW_INDEX_KEY = "new-blind-index-key-a1b2c3d4e5f60718293a4b5c"


def raw_token(table: str, column: str, pk: int) -> bytes | None:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])
        value = cursor.fetchone()[0]
    return None if value is None else bytes(value)


def write_raw_token(table: str, column: str, pk: int, token: bytes) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'UPDATE "{table}" SET "{column}" = %s WHERE id = %s', [token, pk])


def damage(table: str, column: str, pk: int, position: int = 30) -> bytes:
    """Flip one bit of one byte of the stored token (as a disk or a careless UPDATE would); returns it."""
    token = bytearray(raw_token(table, column, pk))
    token[position] ^= 0x01
    write_raw_token(table, column, pk, bytes(token))
    return bytes(token)
