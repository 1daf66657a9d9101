"""Read every table of a database with raw SQL and look for a member's values, in clear or decrypted."""

import contextlib
import uuid

from django.apps import apps
from django.db import connections

from members.encryption import DecryptionError, EncryptedFieldMixin, key_ring, seal_field_of


def _encrypted_columns(table: str) -> tuple[dict[str, EncryptedFieldMixin], str | None]:
    """The encrypted fields of the model stored in `table`, by column, and the column of its row seal."""
    for model in apps.get_models():
        if model._meta.db_table == table:
            seal = seal_field_of(model)
            return ({f.column: f for f in model._meta.concrete_fields if isinstance(f, EncryptedFieldMixin)},
                    seal.column if seal else None)
    return {}, None


def _texts(value: object, field: EncryptedFieldMixin | None, seal: object) -> list[str]:
    if isinstance(value, memoryview | bytes):
        raw = bytes(value)
        texts = [raw.decode("utf-8", "ignore")]
        if field is not None and raw:
            row = uuid.UUID(str(seal)).bytes if seal else b""
            with contextlib.suppress(DecryptionError):
                texts.append(key_ring().open(raw, field._column_binding + row).decode("utf-8", "ignore"))
        return texts
    return [str(value)] if value is not None else []


def personal_values_found(alias: str, values: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, value) for every cell of every table that holds or decrypts to one of the values."""
    found = []
    connection = connections[alias]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            encrypted, seal_column = _encrypted_columns(table)
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                cells = dict(zip(columns, row, strict=True))
                for column, cell in cells.items():
                    for text in _texts(cell, encrypted.get(column), cells.get(seal_column)):
                        found += [(table, column, v) for v in values if v in text]
    return found
