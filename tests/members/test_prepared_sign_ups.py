"""A sign-up's INSERT is bound on the server and kept prepared once a connection has run it a few times
(members.prepared): the same statement, the same checks and field-named refusals, and nothing prepared where the
setting is off or where an execute wrapper rewrites statements."""

import os
import subprocess
import sys

import pgtrigger
import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models.constants import OnConflict
from django.db.models.functions import Now
from django.db.models.sql import InsertQuery
from django.test.utils import CaptureQueriesContext

from members import prepared, services, validators
from members.encryption import BlindIndexField, blind_index
from members.models import Member

pytestmark = pytest.mark.django_db

PREPARED_INSERTS = """SELECT coalesce(sum(generic_plans + custom_plans), 0), count(*) FROM pg_prepared_statements
                      WHERE statement LIKE 'INSERT INTO "members_member"%%'"""


def _prepared_inserts() -> tuple[int, int]:
    """(runs of the member INSERTs prepared on this connection, how many such statements)."""
    with connection.cursor() as cursor:
        cursor.execute(PREPARED_INSERTS)
        return cursor.fetchone()


def _sign_up(number: int, **fields) -> Member:
    return services.member_create(login_id=f"prep{number:05d}", password=None, name="김민수",
                                  email=f"prep{number:05d}@example.com", mobile=f"010-3{number:03d}-{number:04d}",
                                  **fields)


def test_a_sign_up_insert_run_often_on_one_connection_is_prepared_and_reused():
    # given: the threshold the settings give (DATABASE_PREPARE_THRESHOLD, 5 by default)
    threshold = connection.connection.prepare_threshold
    assert threshold == 5
    runs_before, _ = _prepared_inserts()
    # when
    members = [_sign_up(n) for n in range(threshold + 5)]
    # then: from the run after the threshold on, the prepared statement ran; its text holds placeholders, never
    # a member's values
    runs_after, statements = _prepared_inserts()
    assert statements >= 1
    assert runs_after - runs_before >= 4
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE 'INSERT INTO %%'")
        texts = [row[0] for row in cursor.fetchall()]
    assert all("$1" in text and "@example.com" not in text and "prep" not in text for text in texts)
    assert Member.objects.filter(pk__in=[member.pk for member in members]).count() == len(members)
    # and the rows read back as they were written
    assert Member.objects.get(pk=members[-1].pk).email == members[-1].email


def test_a_prepared_sign_up_names_the_clashing_field_and_leaves_the_transaction_usable():
    # given: the statement prepared
    for n in range(8):
        _sign_up(n)
    # when: the same email in another case, then another sign-up in the same transaction
    with transaction.atomic():
        with pytest.raises(ValidationError) as caught:
            services.member_create(login_id="other0001", password=None, name="김민수", email="PREP00003@example.com")
        later = _sign_up(50)
    # then
    assert caught.value.message_dict == {"email": ["Email: this email address is already registered."]}
    assert Member.objects.filter(pk=later.pk).exists()
    assert Member.objects.count() == 9


def test_a_prepared_sign_up_writes_into_the_table_the_search_path_finds_first():
    # given: the statement prepared against the main table
    for n in range(8):
        _sign_up(n)
    main_count = Member.objects.count()
    # when: a schema of its own first on the search_path (as the benches do), and a sign-up there
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA prepared_elsewhere")
        cursor.execute("CREATE TABLE prepared_elsewhere.members_member (LIKE public.members_member INCLUDING ALL)")
        cursor.execute("SET LOCAL search_path TO prepared_elsewhere, public")
        _sign_up(60)
        cursor.execute("SELECT count(*) FROM prepared_elsewhere.members_member")
        elsewhere = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM public.members_member")
        main_after = cursor.fetchone()[0]
        transaction.set_rollback(True)
    # then: the row went where the search path pointed, not into the main table the statement was prepared on
    assert elsewhere == 1
    assert main_after == main_count


def test_sign_ups_inside_an_execute_wrapper_are_bound_on_the_client():
    # when: pgtrigger.ignore puts a second statement before each one, which a server-bound statement cannot hold
    with transaction.atomic(), pgtrigger.ignore("consents.ConsentRecord:append_only"):
        members = [_sign_up(n) for n in range(8)]
    # then
    assert Member.objects.filter(pk__in=[member.pk for member in members]).count() == 8


def test_sign_ups_are_not_prepared_with_the_threshold_off():
    # given: what DATABASE_PREPARE_THRESHOLD=off gives a connection (behind a pooler in transaction mode)
    raw = connection.connection
    kept, raw.prepare_threshold = raw.prepare_threshold, None
    try:
        runs_before, statements_before = _prepared_inserts()
        # when
        for n in range(10):
            _sign_up(n)
        # then: no prepared statement ran or was made
        assert _prepared_inserts() == (runs_before, statements_before)
    finally:
        raw.prepare_threshold = kept
    assert Member.objects.count() == 10


@pytest.mark.parametrize(("value", "expected"), [("off", "None"), ("", "None"), ("3", "3"), (None, "5")])
def test_the_prepare_threshold_setting(value, expected):
    environment = {key: item for key, item in os.environ.items() if key != "DATABASE_PREPARE_THRESHOLD"}
    if value is not None:
        environment["DATABASE_PREPARE_THRESHOLD"] = value
    environment.update(DJANGO_SETTINGS_MODULE="config.settings.test",
                       DATABASE_URL="postgres://postgres@127.0.0.1:5432/unused")
    printed = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; "
         "print(settings.DATABASES['default']['OPTIONS']['prepare_threshold'])"],
        env=environment, capture_output=True, text=True, check=True).stdout.strip()
    assert printed == expected


# --- checks a sign-up makes once ------------------------------------------------------------------------

def test_a_sign_up_computes_each_blind_index_once(monkeypatch):
    # given
    computed = []
    original = blind_index
    monkeypatch.setattr("members.encryption.blind_index",
                        lambda normalizer, value: computed.append(normalizer) or original(normalizer, value))
    # when
    member = _sign_up(1)
    # then: each blind index of the member once (validation computes them; the INSERT reuses them)
    assert sorted(computed) == sorted(field.normalizer for field in Member._meta.concrete_fields
                                      if isinstance(field, BlindIndexField))
    assert len(computed) == 4
    assert member.email_index == original("email", member.email)


def test_a_blind_index_follows_a_changed_value_and_a_changed_key(settings):
    # given: a member whose indexes were computed when it was saved
    member = _sign_up(2)
    # when: a new email is saved
    member.email = "changed@example.com"
    member.save()
    # then: the index is the new value's
    assert member.email_index == blind_index("email", "changed@example.com")
    assert Member.objects.by_email("changed@example.com").get() == member
    # when: the key changes and the member is saved again
    old_index = member.email_index
    settings.BLIND_INDEX_KEY = "another-blind-index-key-0123456789abcdefgh"
    member.save()
    # then: the index is computed under the new key
    assert member.email_index == blind_index("email", "changed@example.com") != old_index


def test_a_sign_up_checks_its_email_address_once(monkeypatch):
    # given
    checked = []
    original = validators.EMAIL_VALIDATOR
    monkeypatch.setattr(validators, "EMAIL_VALIDATOR", lambda value: checked.append(value) or original(value))
    # when: normalised, then validated in its stored form by the field's validator
    _sign_up(3)
    # then
    assert checked == ["prep00003@example.com"]


def test_a_refused_email_address_is_refused_by_each_check():
    with validators.answers_kept():
        for _attempt in range(2):
            with pytest.raises(ValidationError):
                validators.normalize_email("not-an-address")


def _compiler_text(member: Member) -> str:
    """The INSERT text Django's compiler writes for a new member (QuerySet._insert with on_conflict=IGNORE)."""
    fields = [field for field in Member._meta.local_concrete_fields if not field.generated
              and field is not Member._meta.auto_field]
    query = InsertQuery(Member, on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, [member])
    compiler = query.get_compiler(using="default")
    compiler.returning_fields = Member._meta.db_returning_fields
    (sql, _params), = compiler.as_sql()
    return sql


def test_a_sign_up_sends_the_compilers_insert_text_with_only_the_values_changed():
    # given: a first sign-up, which compiles the statement
    first = _sign_up(1)
    sent = []

    def record(execute, sql, params, many, context):
        sent.append((sql, params))
        return execute(sql, params, many, context)

    # when: more sign-ups on the same connection
    with connection.execute_wrapper(record):
        later = [_sign_up(n) for n in range(2, 6)]
    # then: each sent one statement, the text the compiler writes for a member, and its own values
    assert [sql for sql, _params in sent] == [_compiler_text(first)] * 4
    assert sent[0][0].endswith('ON CONFLICT DO NOTHING RETURNING "members_member"."id"')
    assert len({tuple(params) for _sql, params in sent}) == 4
    # and every value went in its own column, sealed to its own row
    stored = Member.objects.in_bulk([first.pk, *(member.pk for member in later)])
    assert [stored[member.pk].mobile for member in later] == [f"010-3{n:03d}-{n:04d}" for n in range(2, 6)]
    assert [stored[member.pk].email for member in later] == [f"prep{n:05d}@example.com" for n in range(2, 6)]
    assert len({stored[pk].seal for pk in stored}) == 5


def test_a_sign_up_with_an_expression_for_a_value_is_compiled_for_that_row_and_its_text_not_kept():
    # given: the statement kept from a plain sign-up
    _sign_up(1)
    kept = dict(prepared._STATEMENTS)
    # when: a member whose join time is the database's clock (an expression, written into the text)
    member = Member(login_id="clock0001", name="김민수", email="clock@example.com", date_joined=Now())
    member.set_unusable_password()
    member.insert_unless_taken = True
    with CaptureQueriesContext(connection) as queries:
        member.save()
    # then: its statement calls the clock, the kept texts are unchanged, and the next plain sign-up uses them
    assert "STATEMENT_TIMESTAMP()" in queries.captured_queries[0]["sql"]
    assert kept == prepared._STATEMENTS
    member.refresh_from_db()
    assert member.date_joined is not None
    assert _sign_up(2).pk > member.pk
