"""A model's constraints checked for a whole batch of rows with as few statements as possible.

The constraints in each model's Meta stay the one definition of the rule; this module only decides how to
check them. Django's `Model.validate_constraints` runs one SELECT per constraint per row (a CheckConstraint
is evaluated by the database too). Here a CheckConstraint made of plain comparisons is evaluated in Python,
with SQL's three-valued logic (a condition that comes out NULL passes, as in the database), and every
field-based UniqueConstraint of a model is checked for the whole batch with one SELECT, plus the clashes
inside the batch itself. Anything more exotic (expressions, conditions) falls back to Django's own check.
The database constraints still decide a race between two writers.
"""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import F, Q

_COMPARISONS = {
    "exact": lambda a, b: a == b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


class _NotInPython(Exception):
    """The condition uses something this evaluator does not know; let the database decide."""


def _value(instance: models.Model, name: str) -> Any:
    return getattr(instance, instance._meta.get_field(name).attname)


def _lookup(instance: models.Model, lookup: str, expected: Any) -> bool | None:
    name, _, kind = lookup.partition("__")
    kind = kind or "exact"
    actual = _value(instance, name)
    if isinstance(expected, F):
        expected = _value(instance, expected.name)
    elif hasattr(expected, "resolve_expression"):
        raise _NotInPython(lookup)
    if kind == "isnull":
        return (actual is None) == bool(expected)
    if kind == "in":
        return None if actual is None else actual in expected
    if kind not in _COMPARISONS:
        raise _NotInPython(lookup)
    if actual is None or expected is None:
        return None  # NULL compared with anything is unknown
    return _COMPARISONS[kind](actual, expected)


def condition_holds(condition: Q, instance: models.Model) -> bool | None:
    """True, False, or None (SQL's unknown) for a Q made of field lookups; _NotInPython otherwise."""
    results = []
    for child in condition.children:
        if isinstance(child, Q):
            results.append(condition_holds(child, instance))
        elif isinstance(child, tuple):
            results.append(_lookup(instance, *child))
        else:
            raise _NotInPython(child)
    if condition.connector == Q.AND:
        result = False if False in results else (None if None in results else True)
    elif condition.connector == Q.OR:
        result = True if True in results else (None if None in results else False)
    else:
        raise _NotInPython(condition.connector)
    if condition.negated and result is not None:
        result = not result
    return result


def _add(errors: dict[str, list], key: str, error: ValidationError) -> None:
    errors.setdefault(key, []).append(error)


def check_errors(model: type[models.Model], instance: models.Model, exclude: set[str]) -> dict[str, list]:
    """The CheckConstraints of one row, evaluated in Python where they can be (no statement)."""
    errors: dict[str, list] = {}
    for constraint in model._meta.constraints:
        if not isinstance(constraint, models.CheckConstraint):
            continue
        try:
            if exclude and not exclude.isdisjoint(_fields_of(constraint)):
                continue
            if condition_holds(constraint.condition, instance) is False:
                _add(errors, NON_FIELD_ERRORS, ValidationError(constraint.get_violation_error_message(),
                                                              code=constraint.violation_error_code))
        except _NotInPython:
            try:
                constraint.validate(model, instance, exclude=exclude)
            except ValidationError as error:
                errors = error.update_error_dict(errors)
    return errors


_FIELDS: dict[int, frozenset[str]] = {}


def _fields_of(constraint: models.CheckConstraint) -> frozenset[str]:
    """The fields a check constraint reads (constraints live as long as their model: cached by id)."""
    found = _FIELDS.get(id(constraint))
    if found is None:
        found = _FIELDS[id(constraint)] = frozenset(name.split("__")[0] for name in _names(constraint.condition))
    return found


def _names(condition: Q) -> list[str]:
    names = []
    for child in condition.children:
        if isinstance(child, Q):
            names += _names(child)
        elif isinstance(child, tuple):
            names.append(child[0])
            if isinstance(child[1], F):
                names.append(child[1].name)
        else:
            raise _NotInPython(child)
    return names


def _unique_error(model: type[models.Model], instance: models.Model,
                  constraint: models.UniqueConstraint) -> tuple[str, ValidationError]:
    """The same message, code and key as Django's UniqueConstraint.validate and Model.validate_constraints."""
    if constraint.violation_error_message == constraint.default_violation_error_message:
        message = instance.unique_error_message(model, constraint.fields)
        error = ValidationError(message, code=message.code)
    else:
        error = ValidationError(constraint.get_violation_error_message(), code=constraint.violation_error_code)
    key = constraint.fields[0] if error.code == "unique" and len(constraint.fields) == 1 else NON_FIELD_ERRORS
    return key, error


def batch_errors(model: type[models.Model], instances: Sequence[models.Model], *,
                 exclude: set[str] | None = None, check_database: bool = True) -> list[dict[str, list]]:
    """Each instance's constraint errors, keyed like Model.validate_constraints; one SELECT for the batch.

    `check_database=False` skips the SELECT when the caller knows no saved row can clash (e.g. rows that
    belong to members created in the same batch)."""
    exclude = set(exclude or ())
    errors: list[dict[str, list]] = [check_errors(model, instance, exclude) for instance in instances]
    uniques, fallback = [], []
    for constraint in model._meta.constraints:
        if not isinstance(constraint, models.UniqueConstraint):
            continue
        if constraint.fields and not constraint.condition and constraint.nulls_distinct is not False:
            if not exclude & set(constraint.fields):
                uniques.append(constraint)
        else:
            fallback.append(constraint)
    keys: list[list[tuple | None]] = []  # per constraint, per instance: the values, or None (NULL never clashes)
    for constraint in uniques:
        attnames = [model._meta.get_field(name).attname for name in constraint.fields]
        rows = [tuple(getattr(instance, attname) for attname in attnames) for instance in instances]
        keys.append([None if None in values else values for values in rows])
    saved: list[dict[tuple, Any]] = [{} for _ in uniques]
    if check_database and uniques and instances:
        condition = Q()
        for constraint, values in zip(uniques, keys, strict=True):
            firsts = {value[0] for value in values if value is not None}
            if firsts:
                condition |= Q(**{f"{constraint.fields[0]}__in": firsts})
        if condition:
            columns = sorted({name for constraint in uniques for name in constraint.fields})
            for row in model._default_manager.filter(condition).values("pk", *columns):
                for number, constraint in enumerate(uniques):
                    value = tuple(row[name] for name in constraint.fields)
                    saved[number][value] = row["pk"]
    for number, constraint in enumerate(uniques):
        seen: dict[tuple, int] = {}
        for position, (instance, value) in enumerate(zip(instances, keys[number], strict=True)):
            if value is None:
                continue
            own_pk = None if instance._state.adding else instance.pk
            clash_saved = value in saved[number] and saved[number][value] != own_pk
            if clash_saved or value in seen:
                key, error = _unique_error(model, instance, constraint)
                _add(errors[position], key, error)
            seen.setdefault(value, position)
    for constraint in fallback:
        for position, instance in enumerate(instances):
            try:
                constraint.validate(model, instance, exclude=exclude)
            except ValidationError as error:
                if error.code == "unique" and len(constraint.fields) == 1:
                    _add(errors[position], constraint.fields[0], error)
                else:
                    errors[position] = error.update_error_dict(errors[position])
    return errors


def foreign_keys_missing(model: type[models.Model], instances: Sequence[models.Model],
                         exclude: set[str] | None = None) -> list[dict[str, list]]:
    """ForeignKey.validate checks one row at a time; this checks each foreign key of the batch with one SELECT,
    skipping rows whose related object is a saved instance in hand (written in this same transaction)."""
    errors: list[dict[str, list]] = [{} for _ in instances]
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.ForeignKey) or (exclude and field.name in exclude):
            continue
        wanted: dict[Any, list[int]] = defaultdict(list)
        for position, instance in enumerate(instances):
            value = getattr(instance, field.attname)
            cached = field.get_cached_value(instance, default=None)
            if value is None or (cached is not None and not cached._state.adding and cached.pk == value):
                continue
            wanted[value].append(position)
        if not wanted:
            continue
        found = set(field.remote_field.model._base_manager.filter(
            **{f"{field.target_field.name}__in": list(wanted)}).values_list(field.target_field.name, flat=True))
        for value, positions in wanted.items():
            if value in found:
                continue
            for position in positions:
                _add(errors[position], field.name, ValidationError(
                    field.error_messages["invalid"], code="invalid",
                    params={"model": field.remote_field.model._meta.verbose_name, "pk": value,
                            "field": field.remote_field.field_name, "value": value}))
    return errors
