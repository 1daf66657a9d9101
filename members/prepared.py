"""Prepared statements for the write a server repeats most often: a member's INSERT at sign-up."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery


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


# The INSERT text for each database, model and field list, as Django's compiler wrote it the first time: from one
# sign-up to the next only the parameters change (see insert_ignoring_clash).
_STATEMENTS: dict[tuple, str] = {}


def insert_ignoring_clash(instance: Model, using: str, fields: list, returning_fields: list) -> list:
    """The INSERT ... ON CONFLICT DO NOTHING RETURNING of one new row, as QuerySet._insert(on_conflict=IGNORE)
    sends it: [None] when a unique index already holds one of its values (nothing is written), else [the
    returned columns].

    The statement's text is the compiler's output, built on the first call for a database, model and field
    list, and kept; later calls compute only the parameters, with the same pre_save() and get_db_prep_save()
    as the compiler. It is not kept (and each call compiles it) where the text could depend on the values: a
    field with its own placeholder, or a value that is an expression. Returned columns that need converting
    go through the compiler's own execute_sql."""
    connection = connections[using]
    key = (using, type(instance), tuple(field.attname for field in fields),
           tuple(field.attname for field in returning_fields))
    sql = _STATEMENTS.get(key)
    params = None if sql is None else _parameters(instance, fields, connection)
    if params is None:
        compiler = _compiler(instance, using, fields, returning_fields)
        if compiler.get_converters([field.get_col(type(instance)._meta.db_table) for field in returning_fields]):
            return compiler.execute_sql(returning_fields)
        (sql, params), = compiler.as_sql()
        if not compiler.returning_params and _plain(instance, fields):
            _STATEMENTS[key] = sql
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [cursor.fetchone()]


def _parameters(instance: Model, fields: list, connection: Any) -> list | None:
    """The compiler's parameters for the kept text (SQLInsertCompiler.pre_save_val and prepare_value), or None
    when a value is an expression, which the compiler writes into the text."""
    params = []
    for field in fields:
        value = field.pre_save(instance, True)
        if hasattr(value, "resolve_expression"):
            return None
        params.append(field.get_db_prep_save(value, connection=connection))
    return params


def _compiler(instance: Model, using: str, fields: list, returning_fields: list) -> Any:
    query = InsertQuery(type(instance), on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, [instance])
    compiler = query.get_compiler(using=using)
    compiler.returning_fields = returning_fields
    return compiler


def _plain(instance: Model, fields: list) -> bool:
    """Whether the compiler wrote "%s" for every value: no field with its own placeholder, no expression."""
    return not any(hasattr(field, "get_placeholder") or hasattr(getattr(instance, field.attname), "resolve_expression")
                   for field in fields)
