"""Key rotation (`manage.py rotate_keys`), the key canaries checked at start-up, and the ledger of values
that cannot be decrypted. The key ring itself is in members/encryption.py.

Rotation, step by step (the README's production notes say the same for operators):
1. Put the new key in FIELD_ENCRYPTION_KEY (or BLIND_INDEX_KEY) and the old one in FIELD_ENCRYPTION_OLD_KEYS
   (or BLIND_INDEX_OLD_KEYS); restart. Old tokens still open, lookups and uniqueness use every key's digest.
2. `manage.py rotate_keys` rewrites every encrypted field of every model (found through the fields) and every
   blind index, in bounded batches, each committed on its own. A row already sealed in the current format by
   the current key, with indexes under the current key, is left alone, so a run that was stopped is simply
   run again. A value that cannot be decrypted is reported, recorded and skipped; the run goes on.
3. When a run ends with nothing left on an old key, the canaries are rewritten under the new keys and the old
   keys can be removed from the settings.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.core import checks
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import DatabaseError, connection, models, transaction

from members.encryption import (
    BlindIndexField,
    DecryptionError,
    EncryptedFieldMixin,
    blind_index,
    blind_index_keys,
    key_ring,
    report_undecryptable,
    seal_field_of,
)

logger = logging.getLogger("members.keys")

CANARY_PLAINTEXT = b"privacy-backoffice key canary"
CANARY_ASSOCIATED_DATA = b"members.KeyCanary.value\x00field_encryption"
CANARY_INDEX_TEXT = "privacy-backoffice key canary"


# --- values that cannot be decrypted -------------------------------------------------------------------------

def decryption_failure_record(*, table: str, column: str, row: str) -> bool:
    """Record where a value could not be decrypted (never the value); True when it was not known yet."""
    from members.models import DecryptionFailure

    if connection.in_atomic_block and connection.needs_rollback:
        return True  # the transaction is already broken; the log line is the record
    _failure, created = DecryptionFailure.objects.get_or_create(table=table, column=column, row=row)
    return created


# --- canaries ------------------------------------------------------------------------------------------------

def _index_canary() -> bytes:
    return blind_index("exact", CANARY_INDEX_TEXT).encode()


def _canary_values() -> dict[str, bytes]:
    return {"field_encryption": key_ring().seal(CANARY_PLAINTEXT, CANARY_ASSOCIATED_DATA),
            "blind_index": _index_canary()}


def canary_write(*, replace: bool = False) -> None:
    """Store the canaries under the keys in force (missing ones only, unless `replace`)."""
    from members.models import KeyCanary

    for purpose, value in _canary_values().items():
        if replace:
            KeyCanary.objects.update_or_create(purpose=purpose, defaults={"value": value})
        else:
            KeyCanary.objects.get_or_create(purpose=purpose, defaults={"value": value})


def _ids(ring_ids: list[bytes]) -> str:
    return ", ".join(key_id.hex() for key_id in ring_ids) or "none"


def key_problems() -> list[str]:
    """What is wrong with the keys in force against the canaries this database holds ([] when all is well).

    A database without the canary table (before `migrate`) or out of reach says nothing; one without canaries
    gets them written under the keys in force.
    """
    from members.models import KeyCanary

    try:
        stored = {canary.purpose: bytes(canary.value) for canary in KeyCanary.objects.all()}
        if len(stored) < len(KeyCanary.Purpose):
            canary_write()
            stored = {canary.purpose: bytes(canary.value) for canary in KeyCanary.objects.all()}
    except (DatabaseError, RuntimeError) as error:  # RuntimeError: a test runner blocking database access
        logger.debug("key canaries not checked: %s", error)
        return []
    problems = []
    token = stored.get("field_encryption", b"")
    ring = key_ring()
    try:
        ring.open(token, CANARY_ASSOCIATED_DATA)
    except DecryptionError:
        old = [key_id for key_id in ring.ciphers if key_id != ring.current.key_id]
        problems.append(
            f"FIELD_ENCRYPTION_KEY is wrong: the personal data in this database was sealed with key id "
            f"{token[1:5].hex()}, which is neither FIELD_ENCRYPTION_KEY (id {ring.current.key_id.hex()}) nor one of "
            f"FIELD_ENCRYPTION_OLD_KEYS (ids: {_ids(old)}). Start with the key this database was written with; "
            f"to change it, keep the old key in FIELD_ENCRYPTION_OLD_KEYS until `manage.py rotate_keys` has run.")
    digest = stored.get("blind_index", b"")
    if digest not in {blind_index_under(key) for key in blind_index_keys()}:
        problems.append(
            "BLIND_INDEX_KEY is wrong: the blind indexes in this database (email, mobile, login ID lookups) were "
            "made with another key, which is neither BLIND_INDEX_KEY nor one of BLIND_INDEX_OLD_KEYS. Start with "
            "the key this database was written with; to change it, keep the old key in BLIND_INDEX_OLD_KEYS "
            "until `manage.py rotate_keys` has run.")
    return problems


def blind_index_under(key: str) -> bytes:
    from members.encryption import _digest

    return _digest(key, "exact", CANARY_INDEX_TEXT).encode()


@checks.register("keys")
def check_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """manage.py check (and runserver, check --deploy): the keys in force open this database's canaries."""
    return [checks.Error(problem, id="members.E010" if problem.startswith("FIELD") else "members.E011")
            for problem in key_problems()]


@checks.register(checks.Tags.models)
def check_row_seals(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Encrypted values are bound to their row by its seal: every model with one has a RowSealField."""
    return [checks.Error(f"{model._meta.label} has encrypted fields but no RowSealField (members/encryption.py)",
                         hint="Add `seal = RowSealField()` to the model.", id="members.E012")
            for model in apps.get_models()
            if any(isinstance(f, EncryptedFieldMixin) for f in model._meta.concrete_fields)
            and seal_field_of(model) is None]


def refuse_to_start_with_wrong_keys() -> None:
    """For the web (wsgi) and the Celery worker and beat: raise ImproperlyConfigured naming the wrong key."""
    problems = key_problems()
    if problems:
        raise ImproperlyConfigured("Refusing to start: " + " ".join(problems))


# --- rotation ------------------------------------------------------------------------------------------------

@dataclass
class RotationTarget:
    model: type[models.Model]
    encrypted: list[EncryptedFieldMixin]
    indexes: list[BlindIndexField]

    @property
    def label(self) -> str:
        return self.model._meta.label

    def unique_indexes(self) -> list[BlindIndexField]:
        single = {c.fields[0] for c in self.model._meta.constraints
                  if isinstance(c, models.UniqueConstraint) and len(c.fields) == 1 and c.condition is None}
        return [f for f in self.indexes if f.unique or f.name in single]


def rotation_targets() -> list[RotationTarget]:
    """Every concrete model with an encrypted field or a blind index, found through its fields."""
    targets = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = model._meta.concrete_fields
        encrypted = [f for f in fields if isinstance(f, EncryptedFieldMixin)]
        indexes = [f for f in fields if isinstance(f, BlindIndexField)]
        if encrypted or indexes:
            targets.append(RotationTarget(model, encrypted, indexes))
    return targets


@dataclass
class BatchReport:
    label: str
    seen: int = 0
    rewritten: int = 0
    undecryptable: list[tuple[str, str]] = field(default_factory=list)  # (column, row)
    index_clashes: list[tuple[str, str]] = field(default_factory=list)  # (column, row)
    last_pk: int = 0
    has_more: bool = False


def rotate_batch(target: RotationTarget, *, after_pk: int = 0, batch_size: int = 500) -> BatchReport:
    """Rewrite one batch of rows after `after_pk` under the current keys, in its own transaction.

    The rows are read with SELECT ... FOR UPDATE (a concurrent save waits rather than being overwritten) as
    plain columns: each token is opened once (which also finds every damaged one) and its plaintext bytes
    sealed again as they are. Rerunning it changes nothing: a token in the current format under the current
    key, and an index equal to its value's digest under BLIND_INDEX_KEY, are left as they are.
    """
    ring = key_ring()
    model = target.model
    table, quote = model._meta.db_table, connection.ops.quote_name
    report = BatchReport(target.label, last_pk=after_pk)
    seal = seal_field_of(model)
    encrypted = {f.name: f for f in target.encrypted}
    plain_sources = [model._meta.get_field(i.source) for i in target.indexes if i.source not in encrypted]
    columns = [model._meta.pk, *([seal] if seal else []), *target.encrypted, *plain_sources, *target.indexes]
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = (f"SELECT {', '.join(quote(f.column) for f in columns)} FROM {quote(table)} "
           f"WHERE {quote(model._meta.pk.column)} > %s ORDER BY {quote(model._meta.pk.column)} LIMIT %s{lock}")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, [after_pk, batch_size])
            rows = cursor.fetchall()
        changes: dict[object, dict[str, object]] = {}
        for row in rows:
            values = dict(zip((f.name for f in columns), row, strict=True))
            pk = values[model._meta.pk.name]
            row_seal = seal.to_python(values[seal.name]).bytes if seal and values[seal.name] else b""
            changed, opened = {}, {}
            for name, field in encrypted.items():
                token = values[name]
                if token is None or not len(token):  # NULL, or erased by retention: nothing to re-seal
                    continue
                token, binding = bytes(token), field._column_binding + row_seal
                try:
                    plaintext = ring.open(token, binding)
                    opened[name] = field._load(plaintext)
                except (DecryptionError, UnicodeDecodeError, ValidationError, ValueError) as error:
                    report.undecryptable.append((f"{table}.{field.column}", str(pk)))
                    report_undecryptable(table, field.column, pk, type(error).__name__)
                    continue
                if not ring.is_current(token):
                    changed[field.column] = ring.seal(plaintext, binding)
            for index in target.indexes:
                source = opened.get(index.source, values.get(index.source))
                if index.source in encrypted and index.source not in opened and values[index.source] is not None:
                    continue  # cannot be decrypted (reported above): its index stays until it is entered again
                digest = blind_index(index.normalizer, source)
                if digest != values[index.name]:
                    changed[index.column] = digest
            if changed:
                changes[pk] = changed
        _drop_index_clashes(target, changes, report)
        _write(model, changes)
    report.seen, report.rewritten = len(rows), len(changes)
    report.last_pk = rows[-1][0] if rows else after_pk
    report.has_more = len(rows) == batch_size
    return report


def _drop_index_clashes(target: RotationTarget, changes: dict, report: BatchReport) -> None:
    """A new digest already held by another row (a duplicate let in before this rotation) is not written;
    it is reported for the officer to resolve, and the rest of the batch goes on."""
    for index in target.unique_indexes():
        wanted: dict[str, object] = {}
        clashing = []
        for pk, values in changes.items():
            digest = values.get(index.column)
            if digest and digest in wanted:
                clashing.append(pk)  # two rows of this batch with the same value
            elif digest:
                wanted[digest] = pk
        if wanted:
            taken = (target.model._base_manager.filter(**{f"{index.attname}__in": list(wanted)})
                     .exclude(pk__in=list(wanted.values())).values_list(index.attname, flat=True))
            clashing += [wanted[digest] for digest in taken]
        for pk in clashing:
            del changes[pk][index.column]
            report.index_clashes.append((f"{target.model._meta.db_table}.{index.column}", str(pk)))
    for pk in [pk for pk, values in changes.items() if not values]:
        del changes[pk]


def _write(model: type[models.Model], changes: dict) -> None:
    """One UPDATE statement per set of changed columns, sent with executemany."""
    by_columns: dict[tuple[str, ...], list[list]] = {}
    for pk, values in changes.items():
        columns = tuple(sorted(values))
        by_columns.setdefault(columns, []).append([values[c] for c in columns] + [pk])
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for columns, params in by_columns.items():
            assignments = ", ".join(f"{quote(c)} = %s" for c in columns)
            cursor.executemany(f"UPDATE {quote(model._meta.db_table)} SET {assignments} "
                               f"WHERE {quote(model._meta.pk.column)} = %s", params)


# Secrets of other apps that the field key wraps (the archive's data keys) are re-wrapped by the same run.
# Each app registers its step from its AppConfig.ready (members imports no other app); a step re-wraps in
# bounded batches of its own and returns (rows seen, rows rewritten).
ROTATION_STEPS: list[Callable[..., tuple[int, int]]] = []


def rotation_step(step: Callable[..., tuple[int, int]]) -> None:
    if step not in ROTATION_STEPS:
        ROTATION_STEPS.append(step)


@dataclass
class RotationSummary:
    seen: int = 0
    rewritten: int = 0
    undecryptable: list[tuple[str, str]] = field(default_factory=list)
    index_clashes: list[tuple[str, str]] = field(default_factory=list)
    batches: int = 0
    finished: bool = False


def rotate_keys(*, batch_size: int = 500, max_batches: int | None = None,
                progress: Callable[[BatchReport, int], None] | None = None) -> RotationSummary:
    """Rewrite every encrypted value and blind index of every model under the current keys.

    Stops after `max_batches` batches when given (run it again to go on); when a run goes through every row,
    the canaries are rewritten under the current keys.
    """
    summary = RotationSummary()
    for target in rotation_targets():
        after_pk, has_more = 0, True
        while has_more:
            if max_batches is not None and summary.batches >= max_batches:
                return summary
            report = rotate_batch(target, after_pk=after_pk, batch_size=batch_size)
            summary.batches += 1
            summary.seen += report.seen
            summary.rewritten += report.rewritten
            summary.undecryptable += report.undecryptable
            summary.index_clashes += report.index_clashes
            for column, row in report.undecryptable:
                logger.warning("rotate_keys: %s of row %s cannot be decrypted; skipped", column, row)
            for column, row in report.index_clashes:
                logger.warning("rotate_keys: %s of row %s clashes with another row; left under the old key",
                               column, row)
            if progress:
                progress(report, summary.seen)
            after_pk, has_more = report.last_pk, report.has_more
    for step in ROTATION_STEPS:
        seen, rewritten = step(batch_size=batch_size)
        summary.seen += seen
        summary.rewritten += rewritten
    canary_write(replace=True)
    summary.finished = True
    return summary
