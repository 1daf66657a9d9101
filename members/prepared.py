"""Prepared statements for the write a server repeats most often: a member's INSERT at sign-up."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def server_prepared(connection: Any) -> Iterator[None]:
    """Within this block the connection's statements are bound on the server (the values sent apart from the SQL
    text), so that PostgreSQL can keep them prepared: psycopg prepares a statement once it has run
    `prepare_threshold` times on the connection (settings: DATABASE_PREPARE_THRESHOLD), and later runs skip
    parsing and planning. Nothing changes where that threshold is off (behind a pooler in transaction mode,
    which does not keep a session's prepared statements), on another database, or while an execute wrapper may
    rewrite statements (pgtrigger.ignore puts a second statement before each, which a server-bound one cannot
    hold)."""
    if connection.vendor != "postgresql" or connection.execute_wrappers:
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        yield
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    factory = raw.cursor_factory
    raw.cursor_factory = ServerBindingCursor
    try:
        yield
    finally:
        raw.cursor_factory = factory
