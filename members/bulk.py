"""Bulk writes (demo data, partner imports) that validate every row like the single-row services.

Each row goes through the services' own normalisers and rules (`services._normalized`, `_errors_of`,
`enrollment_checked`, `payment_checked`, ...) and the models' validators, clean() and constraints: one
definition of each rule. What needs the database is checked once per batch instead of once per row: the
unique constraints with one SELECT per model (members/constraints.py), the foreign keys with one SELECT per
key, the identifiers a member already holds with one SELECT. Rows are then written with COPY on PostgreSQL
(primary keys reserved from the table's sequence first, so related rows can point at them) and with
bulk_create elsewhere. Nothing is written when any row is wrong; the errors name the row and the field.
"""

import datetime
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, connections, models, transaction

from members import constraints, services, validators
from members.encryption import BlindIndexField, blind_index_rotation_pending
from members.models import (
    Certification,
    Complaint,
    Course,
    Enrollment,
    Member,
    Payment,
    SensitiveIdentifier,
    SensitiveIdentifierBasis,
)
from members.models.member import UNIQUE_INDEXES, member_unique_clashes


@contextmanager
def query_log_off():
    """With DEBUG on, Django keeps every statement in connection.queries_log (up to 9,000 of them, each with
    its parameters); a bulk run must not. A deliberate capture (force_debug_cursor, as the test helpers set
    it to count statements) is left alone."""
    if connection.force_debug_cursor:
        yield
        return
    kept = connection.queries_log
    connection.queries_log = deque(maxlen=0)
    try:
        yield
    finally:
        connection.queries_log = kept


PROJECT_APPS = ("members", "consents", "retention", "disclosures")


def project_tables() -> list[str]:
    """The tables of the project's own models (not Django's or third parties')."""
    return sorted({model._meta.db_table for model in apps.get_models(include_auto_created=True)
                   if model._meta.app_label in PROJECT_APPS and model._meta.managed and not model._meta.proxy})


def analyze_project_tables() -> None:
    """Fresh planner statistics for the project's tables, as they are on the search_path, after a bulk load:
    without them a server whose autovacuum has not come round (or is off) plans and estimates counts from
    the table as it was before the load (members.admin_lists)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(table) for table in project_tables()))


@contextmanager
def _batch_mode():
    token = services.IN_BATCH.set(True)
    try:
        yield
    finally:
        services.IN_BATCH.reset(token)


def row_clean(instance: models.Model, exclude: Iterable[str] | None = None) -> None:
    """full_clean() without its per-row queries: fields, clean() and the check constraints (in Python).
    The unique constraints and foreign keys are left to `batch_errors`, which checks them for a batch.
    (validate_unique runs for `unique=True` fields, but not for the primary key, which a batch reserves.)"""
    exclude = set(exclude or ()) | {f.name for f in instance._meta.concrete_fields if f.is_relation}
    errors: dict[str, list] = {}
    try:
        instance.full_clean(exclude=exclude | {instance._meta.pk.name}, validate_constraints=False)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    for field in instance._meta.concrete_fields:
        if isinstance(field, BlindIndexField):
            field.pre_save(instance, add=False)  # so the batch's unique check sees the values to be saved
    exclude |= set(errors) - {NON_FIELD_ERRORS}  # as full_clean: no constraint check on a field already wrong
    for name, messages in constraints.check_errors(type(instance), instance, exclude).items():
        errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def batch_errors(model: type[models.Model], instances: Sequence[models.Model],
                 exclude: Iterable[str] | None = None) -> list[dict[str, list]]:
    """The database-dependent checks of a batch: unique constraints and foreign keys, keyed by the field a
    person typed (a blind index reports under its source field), each naming its field."""
    sources = {f.name: f.source for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)}
    exclude = set(exclude or ())
    rotating = model is Member and blind_index_rotation_pending()
    if rotating:
        # During a key rotation an old-key row holds another digest: each member's login ID and email are
        # checked under every key (a query per row, only while old blind-index keys are configured).
        clashes = [member_unique_clashes(instance, exclude=exclude) for instance in instances]
        exclude |= {index_field for index_field, _source in UNIQUE_INDEXES}
    found = []
    for instance, unique, missing in zip(instances, constraints.batch_errors(model, instances, exclude=exclude),
                                         constraints.foreign_keys_missing(model, instances, exclude=exclude),
                                         strict=True):
        errors: dict[str, list] = {}
        for name, messages in [*unique.items(), *missing.items()]:
            key = sources.get(name, name)
            errors.setdefault(key, []).extend(services._named(instance, key, item) for item in messages)
        if rotating:
            for name, messages in clashes[len(found)].items():
                errors.setdefault(name, []).extend(messages)
        found.append(errors)
    return found


class RowErrors:
    """Every error of a batch, keyed "row N: field" (N counts from 1 in the caller's input)."""

    def __init__(self) -> None:
        self.errors: dict[str, list] = {}

    def add(self, row: int, errors: Mapping[str, list]) -> None:
        for name, messages in errors.items():
            self.errors.setdefault(f"row {row}: {name}", []).extend(messages)

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def reserve_pks(model: type[models.Model], count: int) -> list[int]:
    """`count` new primary keys for `model`, taken from its sequence (or after the highest on SQLite)."""
    if count <= 0:
        return []
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [connection.ops.quote_name(table), column, count])
            return [row[0] for row in cursor.fetchall()]
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT COALESCE(MAX({connection.ops.quote_name(column)}), 0) FROM {quoted}")
        top = cursor.fetchone()[0]
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            top = max(top, row[0] if row else 0)
    return list(range(top + 1, top + 1 + count))


def write(model: type[models.Model], instances: Sequence[models.Model]) -> None:
    """Insert validated rows whose primary keys are set: one COPY on PostgreSQL, bulk_create elsewhere."""
    if not instances:
        return
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and instances[0].pk is None)]
    for instance in instances:
        for field in fields:
            if field.is_relation:
                related = field.get_cached_value(instance, default=None)
                if related is not None and getattr(instance, field.attname) is None:
                    setattr(instance, field.attname, related.pk)  # a parent saved after it was assigned
    if connection.vendor == "postgresql":
        from psycopg import sql

        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(model._meta.db_table), sql.SQL(", ").join(sql.Identifier(f.column) for f in fields))
        wrapper = connections[connection.alias]  # the wrapper itself: the proxy costs a lookup per value
        # Blind indexes were computed by row_clean from the values being written; the rest as save() does.
        values = [(field, isinstance(field, BlindIndexField)) for field in fields]
        # Django's exceptions (IntegrityError, ...) for COPY's errors too, as for every other statement.
        with wrapper.wrap_database_errors, wrapper.cursor() as cursor, \
                cursor.copy(statement.as_string(cursor.cursor)) as copy:
            for instance in instances:
                copy.write_row([getattr(instance, field.attname) if indexed
                                else field.get_db_prep_save(field.pre_save(instance, True), wrapper)
                                for field, indexed in values])
    else:
        model._default_manager.bulk_create(instances, batch_size=500)
    for instance in instances:
        instance._state.adding = False
        instance._state.db = connection.alias


def copy_rows(model: type[models.Model], attnames: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows of ready column values (in the order of `attnames`) that their service has built from
    checked records: one COPY on PostgreSQL, without a model instance per row; bulk_create elsewhere.
    Returns the number of rows written."""
    if connection.vendor != "postgresql":
        instances = [model(**dict(zip(attnames, row, strict=True))) for row in rows]
        model._default_manager.bulk_create(instances, batch_size=500)
        return len(instances)
    from psycopg import sql

    columns = [model._meta.get_field(name).column for name in attnames]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(sql.Identifier(column) for column in columns))
    written = 0
    wrapper = connections[connection.alias]
    with wrapper.wrap_database_errors, wrapper.cursor() as cursor, \
            cursor.copy(statement.as_string(cursor.cursor)) as copy:
        for row in rows:
            copy.write_row(row)
            written += 1
    return written


def row_checks_skippable(model: type[models.Model]) -> bool:
    """Whether copy_rows_keys_checked may skip PostgreSQL's per-row foreign-key checks for `model`: only a
    superuser may set session_replication_role, and a table with a trigger of its own on INSERT (a rule the
    database enforces, such as members_identifier_basis_fits_kind) always keeps its checks."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on' AND NOT EXISTS (SELECT 1 FROM pg_trigger "
                       "WHERE tgrelid = %s::regclass AND NOT tgisinternal AND tgtype & 4 <> 0)",
                       [connection.ops.quote_name(model._meta.db_table)])
        return cursor.fetchone()[0]


def copy_rows_keys_checked(model: type[models.Model], attnames: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """copy_rows for a batch whose foreign keys are checked once for the batch, not once per row.

    PostgreSQL checks a foreign key row by row (a query that finds the referenced row and locks it FOR KEY SHARE,
    about 5 µs a key; 12 consent records of 4 keys each are a fifth of what a demo member costs). Here each key's
    referenced rows are found and locked the same way with one SELECT for the batch; a value that is not there
    raises IntegrityError, naming the key, before anything is written. Then, where this connection may (a
    superuser) and the table has no trigger of its own on INSERT, the COPY runs with session_replication_role
    set to replica for that statement only, which skips the per-row checks already made; elsewhere they run as
    usual. Only inside a transaction, which holds the locks until the rows are committed."""
    rows = list(rows)
    if connection.vendor != "postgresql" or not connection.in_atomic_block or not rows:
        return copy_rows(model, attnames, rows)
    with connection.cursor() as cursor:
        for position, name in enumerate(attnames):
            field = model._meta.get_field(name)
            if not field.is_relation:
                continue
            wanted = {row[position] for row in rows} - {None}
            target = field.target_field
            column, table = (connection.ops.quote_name(name) for name in (target.column, target.model._meta.db_table))
            cursor.execute(f"SELECT {column} FROM {table} WHERE {column} = ANY(%s) FOR KEY SHARE", [list(wanted)])
            missing = wanted - {value for (value,) in cursor.fetchall()}
            if missing:
                raise IntegrityError(f"{model._meta.db_table}.{field.column}: {len(missing)} value(s) not present "
                                     f"in {target.model._meta.db_table}, e.g. {sorted(missing, key=str)[0]!r}")
        if not row_checks_skippable(model):
            return copy_rows(model, attnames, rows)
        cursor.execute("SHOW session_replication_role")
        role = cursor.fetchone()[0]
        with transaction.atomic():  # a failed COPY takes the setting back with its savepoint
            cursor.execute("SET LOCAL session_replication_role = replica")
            written = copy_rows(model, attnames, rows)
            cursor.execute("SELECT set_config('session_replication_role', %s, true)", [role])
    return written


def _member_checked(number: int, row: Mapping[str, Any], password_hash: str | None,
                    pk: int | None = None) -> tuple[Member, dict[str, list]]:
    """One row's member, normalised and validated like member_create (inside a batch), and its errors."""
    unknown = set(row) - set(services.MEMBER_FIELDS)
    if unknown:
        raise TypeError(f"row {number}: unknown fields: {', '.join(sorted(unknown))}")
    values, errors = services._normalized(row)
    member = Member(pk=pk, password=password_hash or services.unusable_password(),
                    **{key: value for key, value in values.items() if key not in errors})
    return member, services._errors_of(member, exclude=list(errors)) | errors


def members_create(rows: Sequence[Mapping[str, Any]], *, password_hash: str,
                   pks: Sequence[int] | None = None) -> list[Member]:
    """Create members from rows of member fields (as member_create takes them), all or none.

    Each row is normalised and validated like member_create (without the password rules: the rows share a
    given hash); login ID and email must be unique among the rows and against the saved members."""
    rows = list(rows)
    pks = list(pks) if pks is not None else reserve_pks(Member, len(rows))
    problems, members = RowErrors(), []
    with _batch_mode(), validators.answers_kept():
        for number, (row, pk) in enumerate(zip(rows, pks, strict=True), start=1):
            member, errors = _member_checked(number, row, password_hash, pk)
            problems.add(number, errors)
            members.append(member)
    for number, errors in enumerate(batch_errors(Member, members), start=1):
        problems.add(number, errors)
    problems.raise_any()
    write(Member, members)
    return members


def members_create_each(rows: Sequence[Mapping[str, Any]]) -> tuple[list[Member | None], dict[int, dict[str, list]]]:
    """Create each member of `rows` that passes every check, skipping the others whole (a partner import).

    Each row is normalised and validated like member_create and gets its own unusable password (the member
    sets one from an invitation); login ID and email are checked against the saved members and the rows
    before it, once for the batch. Returns the saved member of each row (None for a refused one) and the
    errors of each refused row, by its position in `rows`, keyed by field as member_create keys them."""
    rows = list(rows)
    members, refused = [], {}
    with _batch_mode(), validators.answers_kept():
        for number, row in enumerate(rows, start=1):
            member, errors = _member_checked(number, row, None)
            members.append(member)
            if errors:
                refused[number - 1] = errors
    # A refused row takes no login ID or email: only the rows still standing are checked against each other.
    standing = [position for position in range(len(rows)) if position not in refused]
    for position, errors in zip(standing, batch_errors(Member, [members[p] for p in standing]), strict=True):
        if errors:
            refused[position] = errors
    standing = [position for position in range(len(rows)) if position not in refused]
    for position, pk in zip(standing, reserve_pks(Member, len(standing)), strict=True):
        members[position].pk = pk
    try:
        with transaction.atomic():
            write(Member, [members[position] for position in standing])
    except IntegrityError:
        # Another transaction saved one of these login IDs or emails after the batch's check: each row then goes
        # through member_create, whose INSERT reports such a clash under its field.
        for position in standing:
            try:
                members[position] = services.member_create(password=None, **rows[position])
            except ValidationError as error:
                refused[position] = error.error_dict
    return [None if position in refused else member for position, member in enumerate(members)], refused


class LearningRecords:
    """Enrolments (with the identifiers they collect), payments, complaints and certifications of a batch,
    each checked by the same rules as enrollment_create, payment_record, complaint_receive and
    certification_issue, then written together by `save()`. Rows are numbered as the caller numbers them."""

    def __init__(self, members: Sequence[Member], *, members_are_new: bool = False) -> None:
        self.problems = RowErrors()
        self.identifiers: list[SensitiveIdentifier] = []
        self.enrollments: list[Enrollment] = []
        self.payments: list[Payment] = []
        self.complaints: list[Complaint] = []
        self.certifications: list[Certification] = []
        self.bases: list[SensitiveIdentifierBasis] = []  # derived from the identifiers: nothing to check
        self._rows: dict[int, int] = {}  # id(instance) -> row number, for the batch-level errors
        # The identifier kinds each member holds: none for members just created, else one query.
        self._held: dict[int, set[str]] = defaultdict(set)
        if not members_are_new and members:
            for member_id, kind in SensitiveIdentifier.objects.filter(
                    member_id__in=[member.pk for member in members]).values_list("member_id", "kind"):
                self._held[member_id].add(kind)

    def _keep(self, row: int, instance: models.Model, errors: Mapping[str, list], into: list) -> bool:
        self.problems.add(row, errors)
        self._rows[id(instance)] = row
        if not errors:
            into.append(instance)
        return not errors

    def enrollment(self, row: int, *, member: Member, course: Course, started_on: datetime.date,
                   ended_on: datetime.date, payment_method: str, **details: Any) -> Enrollment:
        with _batch_mode():
            enrollment, identifiers, bases, errors = services.enrollment_checked(
                member=member, course=course, started_on=started_on, ended_on=ended_on,
                payment_method=payment_method, held=self._held[member.pk], **details)
        if self._keep(row, enrollment, errors, self.enrollments):
            for identifier in identifiers:
                identifier.member = member
                self._rows[id(identifier)] = row
                self._held[member.pk].add(identifier.kind)
            self.identifiers += identifiers
            self.bases += bases
        return enrollment

    def payment(self, row: int, **fields: Any) -> Payment:
        with _batch_mode():
            payment, errors = services.payment_checked(**fields)
        self._keep(row, payment, errors, self.payments)
        return payment

    def complaint(self, row: int, **fields: Any) -> Complaint:
        with _batch_mode():
            complaint, errors = services.complaint_checked(**fields)
        self._keep(row, complaint, errors, self.complaints)
        return complaint

    def certification(self, row: int, **fields: Any) -> Certification:
        with _batch_mode():
            certification, errors = services.certification_checked(**fields)
        self._keep(row, certification, errors, self.certifications)
        return certification

    def save(self) -> None:
        """Check what needs the database once for the batch, then write everything, or nothing."""
        with transaction.atomic():
            # Payments point at their enrolments: the enrolments' keys are reserved first.
            for enrollment, pk in zip(self.enrollments, reserve_pks(Enrollment, len(self.enrollments)), strict=True):
                enrollment.pk = pk
            # Bases point at their identifiers: those keys are reserved too.
            for identifier, pk in zip(self.identifiers, reserve_pks(SensitiveIdentifier, len(self.identifiers)),
                                      strict=True):
                identifier.pk = pk
            for model, instances in self._groups():
                for instance, errors in zip(instances, batch_errors(model, instances), strict=True):
                    self.problems.add(self._rows[id(instance)], self._renamed(instance, errors))
            self.problems.raise_any()
            for model, instances in self._groups():
                write(model, instances)
                if model is Enrollment:
                    write(SensitiveIdentifierBasis, self.bases)

    def _groups(self) -> list[tuple[type[models.Model], list]]:
        return [(SensitiveIdentifier, self.identifiers), (Enrollment, self.enrollments), (Payment, self.payments),
                (Complaint, self.complaints), (Certification, self.certifications)]

    @staticmethod
    def _renamed(instance: models.Model, errors: Mapping[str, list]) -> dict[str, list]:
        # An identifier's clash is reported under the field the person typed, as the services do.
        if isinstance(instance, SensitiveIdentifier):
            field = "rrn" if instance.kind == SensitiveIdentifier.Kind.RRN else "card_number"
            return {field: [m for messages in errors.values() for m in messages]} if errors else {}
        return dict(errors)
