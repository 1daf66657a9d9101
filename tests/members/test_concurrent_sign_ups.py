"""Two sign-ups at once on PostgreSQL, each on its own connection and outside any transaction (as two requests
are): the INSERT alone decides, and the one that loses is told which field clashed."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from members import services
from members.models import Member
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("clash", ["email", "login_id"])
def test_two_sign_ups_with_one_email_or_login_id_at_once_make_one_member_and_name_the_field(clash):
    # given: two sign-ups sharing only the email, or only the login ID
    rows = [{"login_id": f"race{n}", "name": "김민수", "email": f"race{n}@example.com"} for n in (1, 2)]
    rows[1][clash] = rows[0][clash].upper() if clash == "email" else rows[0][clash]
    # when
    for _attempt in range(5):
        Member.objects.all().delete()
        results, errors = at_once(*[lambda row=row: services.member_create(password=None, **row) for row in rows])
        # then: exactly one member; the other sign-up is refused under the clashing field, never with a 500
        assert Member.objects.count() == 1
        refused = [error for error in errors if error is not None]
        assert len(refused) == 1
        assert isinstance(refused[0], ValidationError)
        assert list(refused[0].message_dict) == [clash]
        assert sum(result is not None for result in results) == 1



def test_two_sign_ups_with_one_email_at_once_on_connections_that_keep_their_insert_prepared():
    for attempt in range(3):
        Member.objects.all().delete()
        ready, prepared = threading.Barrier(2), []

        def sign_up(stream: int, attempt: int = attempt, ready: threading.Barrier = ready,
                    prepared: list = prepared) -> Member:
            # given: this connection has run the INSERT past DATABASE_PREPARE_THRESHOLD, so it is prepared
            connection.ensure_connection()
            for n in range(connection.connection.prepare_threshold + 1):
                services.member_create(password=None, login_id=f"warm{attempt}{stream}{n}", name="김민수",
                                       email=f"warm{attempt}{stream}{n}@example.com")
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_prepared_statements "
                               "WHERE statement LIKE 'INSERT INTO \"members_member\"%%'")
                prepared.append(cursor.fetchone()[0])
            ready.wait(timeout=30)
            # when: both sign up with the same email at the same moment
            return services.member_create(password=None, login_id=f"prace{attempt}{stream}", name="김민수",
                                          email=f"prace{attempt}@example.com")

        results, errors = at_once(*[lambda stream=stream: sign_up(stream) for stream in (1, 2)])
        # then: both INSERTs were prepared; one member has the email, the other sign-up is refused under the
        # email field, never with a 500
        assert prepared == [1, 1]
        assert Member.objects.by_email(f"prace{attempt}@example.com").count() == 1
        refused = [error for error in errors if error is not None]
        assert len(refused) == 1, errors
        assert isinstance(refused[0], ValidationError), errors
        assert list(refused[0].message_dict) == ["email"]
        assert sum(result is not None for result in results) == 1
