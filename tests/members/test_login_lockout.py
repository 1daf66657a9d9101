"""Five failed logins lock the account, or the address, for 30 minutes (안전성 확보조치 기준), on the admin login and
on any login that authenticates with its request; the officer sees and lifts lockouts; axes' tables never
hold a plaintext login ID or password."""

import datetime
import re

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.db import connection
from django.test import Client, RequestFactory

from members.encryption import blind_index
from tests.members.factories import MemberFactory

pytestmark = pytest.mark.django_db

PASSWORD = "officer-Passphrase-2023"
LOGIN = "/admin/login/"
NOW = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)  # 19:00 in Seoul


@pytest.fixture
def officer():
    return MemberFactory(login_id="officer", is_staff=True, is_superuser=True, password=PASSWORD)


def _login(client: Client, login_id: str, password: str, ip: str = "203.0.113.7"):
    return client.post(LOGIN, {"username": login_id, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip)


def _logged_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


@time_machine.travel(NOW, tick=False)
def test_thirty_wrong_passwords_then_the_right_one_does_not_log_in(officer):
    # given an attacker trying passwords for the officer's account
    client = Client()
    responses = [_login(client, "officer", f"guess-{n:02d}-password") for n in range(30)]
    # when the right password comes after them
    response = _login(client, "officer", PASSWORD)
    # then the login stays locked, from the 5th failure on, without hashing more guesses
    assert [r.status_code for r in responses[:4]] == [200] * 4
    assert all(r.status_code == 429 for r in responses[4:])
    assert response.status_code == 429
    assert not _logged_in(client)


@time_machine.travel(NOW, tick=False)
def test_the_lockout_page_says_in_korean_when_to_try_again(officer):
    client = Client()
    for n in range(5):
        response = _login(client, "officer", f"guess-{n}-password")
    page = response.content.decode()
    assert response.status_code == 429
    assert "로그인이 잠겼습니다" in page
    assert "2026-03-02 19:30" in page  # 30 minutes after the 5th failure, in Seoul time
    assert response["Retry-After"] == "1800"
    assert "officer" not in page


def test_an_account_is_locked_whatever_address_the_failures_come_from(officer):
    client = Client()
    with time_machine.travel(NOW, tick=False):
        for n in range(5):
            _login(client, "officer", "wrong-password-1234", ip=f"198.51.100.{n + 1}")
        assert _login(client, "officer", PASSWORD, ip="192.0.2.200").status_code == 429
    # 30 minutes later the account opens again
    with time_machine.travel(NOW + datetime.timedelta(minutes=30, seconds=1), tick=False):
        assert _login(client, "officer", PASSWORD, ip="192.0.2.200").status_code == 302
        assert _logged_in(client)


@time_machine.travel(NOW, tick=False)
def test_an_address_is_locked_whatever_accounts_it_tries(officer):
    client = Client()
    for n in range(5):
        _login(client, f"someone{n}", "wrong-password-1234", ip="203.0.113.9")
    assert _login(client, "officer", PASSWORD, ip="203.0.113.9").status_code == 429
    assert _login(client, "officer", PASSWORD, ip="203.0.113.10").status_code == 302


@time_machine.travel(NOW, tick=False)
def test_any_login_that_authenticates_with_its_request_is_covered(officer):
    # given a login page of another app, which calls authenticate() with its request
    def attempt(password: str):
        return authenticate(RequestFactory().post("/accounts/login/", REMOTE_ADDR="203.0.113.50"),
                            username="officer", password=password)

    for _ in range(5):
        assert attempt("wrong-password-1234") is None
    # then the right password is refused too
    assert attempt(PASSWORD) is None


@time_machine.travel(NOW, tick=False)
def test_axes_tables_hold_the_login_id_index_never_the_login_id_or_password(officer):
    client = Client()
    for n in range(6):
        _login(client, "Officer", f"secret-guess-{n}")
    _login(Client(), "officer", PASSWORD, ip="192.0.2.1")  # a success from elsewhere: locked (same account)
    with connection.cursor() as cursor:
        rows = []
        for table in ("axes_accessattempt", "axes_accessfailurelog", "axes_accesslog"):
            cursor.execute(f"SELECT * FROM {table}")
            rows += [(table, row) for row in cursor.fetchall()]
        cursor.execute("SELECT DISTINCT username FROM axes_accessattempt")
        usernames = {row[0] for row in cursor.fetchall()}
    assert rows
    assert usernames == {blind_index("login_id", "officer")}
    for table, row in rows:
        text = " ".join(str(value) for value in row).lower()
        assert "officer" not in text, (table, row)
        assert "secret-guess" not in text, (table, row)
        assert PASSWORD.lower() not in text, (table, row)


@time_machine.travel(NOW, tick=False)
def test_the_officer_sees_a_lockout_and_lifts_it(officer):
    # given a staff account locked by failed logins
    member = MemberFactory(login_id="learner", password="learner-Passphrase-2023", is_staff=True)
    attacker = Client()
    for n in range(5):
        _login(attacker, "learner", f"wrong-{n}-password", ip=f"198.51.100.{n + 1}")
    assert _login(Client(), "learner", "learner-Passphrase-2023", ip="192.0.2.5").status_code == 429
    console = Client()
    console.force_login(officer)
    # when the officer opens the lockout list
    page = console.get("/admin/axes/accessattempt/", {"locked_out": "yes"})
    # then it shows the account (by member number) and until when it is locked, in Korean
    html = page.content.decode()
    assert page.status_code == 200
    assert f'/admin/members/member/{member.pk}/change/' in html
    assert "2026-03-02 19:30" in html
    assert "로그인 잠금" in html
    # and lifting it lets the member log in again
    ids = [str(pk) for pk in page.context["cl"].queryset.values_list("pk", flat=True)]
    lifted = console.post("/admin/axes/accessattempt/", {"action": "lift_account_lockout", "_selected_action": ids})
    assert lifted.status_code == 302
    response = _login(Client(), "learner", "learner-Passphrase-2023", ip="192.0.2.5")
    assert response.status_code == 302
    # the failures stay in the failure log
    failures = console.get("/admin/axes/accessfailurelog/")
    assert failures.status_code == 200
    assert failures.context["cl"].result_count == 5


def test_staff_without_the_delete_permission_cannot_lift_a_lockout(officer):
    from django.contrib.auth.models import Permission

    staff = MemberFactory(is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename="view_accessattempt"))
    client = Client()
    client.force_login(staff)
    page = client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert "lift_account_lockout" not in page.content.decode()


def test_lockout_settings():
    from django.conf import settings

    assert settings.AXES_FAILURE_LIMIT == 5
    assert datetime.timedelta(minutes=30) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == ["ip_address", "username"]
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert re.fullmatch(r"members\.lockout\.\w+", settings.AXES_USERNAME_CALLABLE)


@time_machine.travel(NOW, tick=False)
def test_the_command_line_lifts_a_lockout_by_login_id(officer):
    from io import StringIO

    from django.core.management import call_command

    client = Client()
    for n in range(5):
        _login(client, "officer", f"wrong-{n}-password", ip=f"198.51.100.{n + 1}")
    assert _login(client, "officer", PASSWORD, ip="192.0.2.9").status_code == 429
    out = StringIO()
    call_command("login_unlock", login_id=["OFFICER"], stdout=out)
    assert "5 failure counter(s)" in out.getvalue()
    assert _login(client, "officer", PASSWORD, ip="192.0.2.9").status_code == 302


@time_machine.travel(NOW, tick=False)
def test_a_counter_is_never_deleted_outside_the_lift_actions(officer):
    from axes.models import AccessAttempt

    _login(Client(), "officer", "wrong-password-1234")
    attempt = AccessAttempt.objects.get()
    console = Client()
    console.force_login(officer)
    assert console.get(f"/admin/axes/accessattempt/{attempt.pk}/delete/").status_code == 403
    page = console.get("/admin/axes/accessattempt/").content.decode()
    assert "delete_selected" not in page
    assert "lift_account_lockout" in page


@time_machine.travel(NOW, tick=False)
def test_the_lockout_page_reads_english_on_request(officer):
    client = Client()
    for n in range(5):
        response = client.post(LOGIN, {"username": "officer", "password": f"guess-{n}-password"},
                               HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 429
    assert "Try again after 2026-03-02 19:30" in page
