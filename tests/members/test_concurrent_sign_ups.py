"""Two sign-ups at once on PostgreSQL, each on its own connection and outside any transaction (as two requests
are): the INSERT alone decides, and the one that loses is told which field clashed."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from members import services
from members.models import Member

pytestmark = pytest.mark.django_db(transaction=True)


def _at_once(*calls):
    """Run each call on a thread of its own, started together; (results, errors) in call order."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), [None] * len(calls)

    def run(position, call):
        try:
            barrier.wait()
            results[position] = call()
        except Exception as error:
            errors[position] = error
        finally:
            for connection in connections.all():
                connection.close()

    threads = [threading.Thread(target=run, args=(position, call)) for position, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.parametrize("clash", ["email", "login_id"])
def test_two_sign_ups_with_one_email_or_login_id_at_once_make_one_member_and_name_the_field(clash):
    # given: two sign-ups sharing only the email, or only the login ID
    rows = [{"login_id": f"race{n}", "name": "김민수", "email": f"race{n}@example.com"} for n in (1, 2)]
    rows[1][clash] = rows[0][clash].upper() if clash == "email" else rows[0][clash]
    # when
    for _attempt in range(5):
        Member.objects.all().delete()
        results, errors = _at_once(*[lambda row=row: services.member_create(password=None, **row) for row in rows])
        # then: exactly one member; the other sign-up is refused under the clashing field, never with a 500
        assert Member.objects.count() == 1
        refused = [error for error in errors if error is not None]
        assert len(refused) == 1
        assert isinstance(refused[0], ValidationError)
        assert list(refused[0].message_dict) == [clash]
        assert sum(result is not None for result in results) == 1
