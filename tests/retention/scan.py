"""Read every table of a database with raw SQL and look for a member's values, in clear or decrypted."""

from django.db import connections

from members.encryption import DecryptionError, field_cipher


def _texts(value: object) -> list[str]:
    if isinstance(value, memoryview | bytes):
        raw = bytes(value)
        try:
            return [field_cipher().decrypt(raw).decode("utf-8", "ignore"), raw.decode("utf-8", "ignore")]
        except DecryptionError:
            return [raw.decode("utf-8", "ignore")]
    return [str(value)] if value is not None else []


def personal_values_found(alias: str, values: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, value) for every cell of every table that holds or decrypts to one of the values."""
    found = []
    connection = connections[alias]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for column, cell in zip(columns, row, strict=True):
                    for text in _texts(cell):
                        found += [(table, column, v) for v in values if v in text]
    return found
