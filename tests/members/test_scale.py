"""At a million members: bulk writes checked once per batch, a member list with a fixed number of queries,
benchmarks that leave the main tables as they were, and sign-ups that issue only the statements they need."""

import datetime
import re
from io import StringIO

import psycopg
import pytest
from django.contrib.admin.templatetags.admin_list import items_for_result
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from members import bulk, services
from members.admin_lists import EstimatedCountPaginator, result_rows
from members.demo import Generator
from members.encryption import BlindIndexField
from members.models import Course, Enrollment, Member, Payment, PaymentMethod, SensitiveIdentifier
from tests.members.factories import officer_client, valid_rrn

pytestmark = pytest.mark.django_db


def _statements(**options) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        call_command("demo_data", stdout=StringIO(), stderr=StringIO(), **options)
    return [query["sql"] for query in captured.captured_queries]


def _batch_statements(statements: list[str]) -> list[str]:
    # The officer's account and the course catalogue are made once per run, not per batch.
    first = next(n for n, sql in enumerate(statements) if "nextval" in sql)
    last = max(n for n, sql in enumerate(statements) if sql.startswith("COPY"))
    return statements[first : last + 1]


def test_demo_data_statements_per_batch_do_not_grow_with_the_batch_size():
    # given / when: one batch of 100 members, then one batch of 400
    small = _batch_statements(_statements(members=100, batch_size=100, seed=7))
    large = _batch_statements(_statements(members=400, batch_size=400, seed=7))
    # then: the same statements, however many members the batch holds
    assert len(large) == len(small)
    assert len(large) / 400 < 0.05
    # members, identifiers, enrolments, identifier bases, payments, complaints, certifications
    assert sum(sql.startswith("COPY") for sql in large) == 7


def test_demo_data_statements_grow_with_the_number_of_batches_only():
    # when
    four_batches = _batch_statements(_statements(members=200, batch_size=50, seed=7))
    # then: a handful of statements per batch, none per member
    assert len(four_batches) <= 4 * 20


def test_demo_data_makes_logins_emails_and_mobiles_unique_across_runs():
    # when: the same seed twice, as a second `make run` does
    call_command("demo_data", members=30, seed=1, stdout=StringIO(), stderr=StringIO())
    call_command("demo_data", members=30, seed=1, stdout=StringIO(), stderr=StringIO())
    # then
    members = list(Member.objects.filter(is_staff=False))
    assert len(members) == 60
    for field in ("login_id", "email", "mobile"):
        assert len({getattr(member, field) for member in members}) == 60, field


def test_demo_data_takes_fresh_planner_statistics_after_a_big_load(monkeypatch):
    # given: statistics taken while the member table was empty
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE members_member")
    monkeypatch.setattr("members.management.commands.demo_data.ANALYZE_FROM", 20)
    # when
    statements = _statements(members=25, batch_size=10)
    # then: the planner (and the member list's estimated count) knows the members
    assert any(sql.startswith("ANALYZE") and '"members_member"' in sql for sql in statements)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'members_member'::regclass")
        assert cursor.fetchone()[0] >= 25


def test_demo_data_shows_a_progress_bar():
    err = StringIO()
    call_command("demo_data", members=30, batch_size=10, stdout=StringIO(), stderr=err)
    assert re.search(r"members \[#+\.*\] 30/30 100%", err.getvalue())


def test_demo_data_sends_members_bulk_created_inside_the_batch_transaction():
    from members.signals import members_bulk_created

    seen = []

    def receiver(sender, members, channel, **kwargs):
        seen.append((len(members), channel, all(m.pk for m in members), connection.in_atomic_block))

    members_bulk_created.connect(receiver)
    try:
        call_command("demo_data", members=25, batch_size=10, stdout=StringIO(), stderr=StringIO())
    finally:
        members_bulk_created.disconnect(receiver)
    assert seen == [(10, "import", True, True), (10, "import", True, True), (5, "import", True, True)]


# --- bulk paths validate like the single-row services -----------------------------------------------------

def _rows(count: int, first: int = 1) -> list[dict]:
    return list(Generator(3).member_rows(count, first))


def test_bulk_members_refuse_a_clash_inside_the_batch_and_with_a_saved_member_naming_row_and_field():
    # given
    saved = services.member_create(login_id="taken01", password=None, name="김민수", email="taken@example.com")
    rows = _rows(3)
    rows[1]["email"] = "TAKEN@example.com"
    rows[2]["login_id"] = rows[0]["login_id"]
    # when
    with pytest.raises(ValidationError) as caught:
        bulk.members_create(rows, password_hash="!")
    # then: the same messages as member_create, under the row and the field typed
    errors = caught.value.message_dict
    assert errors["row 2: email"] == ["Email: this email address is already registered."]
    assert errors["row 3: login_id"] == ["Login ID: this login ID is already in use."]
    assert Member.objects.exclude(pk=saved.pk).count() == 0


def test_bulk_members_use_the_field_validators_and_name_the_field():
    rows = _rows(2)
    rows[1]["mobile"] = "011-12"
    with pytest.raises(ValidationError) as caught:
        bulk.members_create(rows, password_hash="!")
    assert list(caught.value.message_dict) == ["row 2: mobile"]
    assert Member.objects.count() == 0


def test_bulk_learning_records_apply_the_enrolment_rules_of_the_service():
    # given
    members = bulk.members_create(_rows(2), password_hash="!")
    python = Course.objects.create(code="py", title="파이썬")
    refund = Course.objects.create(code="refund", title="환급", is_employment_insurance_refund=True)
    started = datetime.date(2024, 3, 1)
    records = bulk.LearningRecords(members, members_are_new=True)
    # when: an RRN for a course that does not collect one, and a refund course without one
    records.enrollment(1, member=members[0], course=python, started_on=started, ended_on=started,
                       payment_method=PaymentMethod.CORPORATE_INVOICE, rrn="900101-1234568")
    records.enrollment(2, member=members[1], course=refund, started_on=started, ended_on=started,
                       payment_method=PaymentMethod.CORPORATE_INVOICE)
    with pytest.raises(ValidationError) as caught:
        records.save()
    # then: enrollment_create's own messages
    errors = caught.value.message_dict
    assert errors["row 1: rrn"][0].startswith("Resident registration number: collected only for")
    assert errors["row 2: rrn"][0].startswith("Resident registration number: required to enrol")
    assert not Enrollment.objects.exists()


def test_bulk_learning_records_check_constraints_and_payment_rules_without_a_statement_per_row():
    # given
    members = bulk.members_create(_rows(3), password_hash="!")
    course = Course.objects.create(code="py", title="파이썬")
    records = bulk.LearningRecords(members, members_are_new=True)
    started = datetime.date(2024, 3, 1)
    enrollment = records.enrollment(1, member=members[0], course=course, started_on=started,
                                    ended_on=started - datetime.timedelta(days=1),
                                    payment_method=PaymentMethod.CREDIT_CARD)
    good = records.enrollment(2, member=members[1], course=course, started_on=started, ended_on=started,
                              payment_method=PaymentMethod.CREDIT_CARD)
    # when
    with CaptureQueriesContext(connection) as captured:
        records.payment(2, enrollment=good, amount=1000, method=PaymentMethod.BANK_TRANSFER)
        records.payment(3, enrollment=good, amount=0, method=PaymentMethod.CREDIT_CARD)
    # then
    assert len(captured.captured_queries) == 0
    with pytest.raises(ValidationError) as caught:
        records.save()
    errors = caught.value.message_dict
    assert errors["row 1: ended_on"] == ["End date: a course cannot end before it starts."]
    assert errors["row 2: method"] == ["Payment method: must match the method chosen on enrolment."]
    assert errors["row 3: amount"] == ["Amount: a payment must be more than 0 won."]
    assert enrollment.pk is None or not Enrollment.objects.filter(pk=enrollment.pk).exists()
    assert not Payment.objects.exists()


def test_bulk_identifier_refused_when_the_member_already_holds_one_of_its_kind():
    # given: a member saved earlier with an RRN
    member = services.member_create(login_id="holder01", password=None, name="김민수", email="h@example.com",
                                    rrn="900101-1234568", rrn_legal_basis="employment_insurance_refund")
    course = Course.objects.create(code="refund", title="환급", is_employment_insurance_refund=True)
    records = bulk.LearningRecords([member])
    # when: held identifiers come from one query, so the course needs no new RRN
    records.enrollment(1, member=member, course=course, started_on=datetime.date(2024, 1, 1),
                       ended_on=datetime.date(2024, 1, 2), payment_method=PaymentMethod.CORPORATE_INVOICE)
    records.save()
    # then
    assert Enrollment.objects.filter(member=member).count() == 1
    assert SensitiveIdentifier.objects.filter(member=member).count() == 1


# --- single-row writes -----------------------------------------------------------------------------------

def test_member_create_checks_login_id_and_email_with_its_insert_alone():
    # when
    with CaptureQueriesContext(connection) as captured:
        services.member_create(login_id="lean01", password=None, name="김민수", email="lean@example.com",
                               mobile="010-2345-6789")
    statements = [q["sql"] for q in captured.captured_queries]
    # then: the INSERT alone, which skips a clashing row; no savepoint around it (it writes one row or nothing)
    assert [sql.split()[0] for sql in statements] == ["INSERT"]
    assert "ON CONFLICT DO NOTHING" in statements[0]


def test_member_create_refused_by_validation_writes_nothing_and_opens_no_savepoint():
    # when: a wrong mobile number, inside a transaction that goes on afterwards
    with transaction.atomic():
        with CaptureQueriesContext(connection) as captured, pytest.raises(ValidationError) as caught:
            services.member_create(login_id="wrong01", password=None, name="김민수", email="wrong@example.com",
                                   mobile="011-12")
        later = services.member_create(login_id="right01", password=None, name="김민수", email="right@example.com")
    # then: the field is named; only the SELECT that would report a clash as well was sent (no savepoint, no
    # INSERT), and the transaction went on
    assert caught.value.message_dict == {"mobile": ["Mobile phone: enter a Korean mobile number, as 010-1234-5678."]}
    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["SELECT"]
    assert list(Member.objects.values_list("pk", flat=True)) == [later.pk]


def test_member_create_with_an_identifier_writes_both_in_one_savepoint():
    # when
    with CaptureQueriesContext(connection) as captured:
        member = services.member_create(login_id="withrrn01", password=None, name="김민수", email="rrn@example.com",
                                        birth_date=datetime.date(1990, 1, 1), rrn=valid_rrn(),
                                        rrn_legal_basis="employment_insurance_refund")
    # then: the member, the identifier and its basis between one savepoint and its release
    assert [q["sql"].split()[0] for q in captured.captured_queries] == [
        "SAVEPOINT", "INSERT", "INSERT", "INSERT", "RELEASE"]
    assert SensitiveIdentifier.objects.filter(member=member).count() == 1


@pytest.mark.django_db(transaction=True)
def test_member_create_outside_a_transaction_commits_its_one_insert():
    # when: no transaction around the call (a sign-up request's own)
    member = services.member_create(login_id="alone01", password=None, name="김민수", email="alone@example.com")
    # then: the row is committed; another connection sees it
    settings = connection.settings_dict
    with psycopg.connect(dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"] or None,
                         port=settings["PORT"] or None, password=settings["PASSWORD"] or None) as other:
        assert other.execute("SELECT count(*) FROM members_member WHERE id = %s", [member.pk]).fetchone() == (1,)
    assert not connection.in_atomic_block


def test_member_create_refused_by_its_insert_names_the_field_and_leaves_the_transaction_usable():
    # given
    services.member_create(login_id="first01", password=None, name="김민수", email="first@example.com")
    # when: the same email in another case, inside a transaction that goes on afterwards
    with transaction.atomic():
        with pytest.raises(ValidationError) as caught:
            services.member_create(login_id="second01", password=None, name="김민수", email="FIRST@example.com")
        later = services.member_create(login_id="third01", password=None, name="김민수", email="third@example.com")
    # then
    assert caught.value.message_dict == {"email": ["Email: this email address is already registered."]}
    assert Member.objects.filter(pk=later.pk).exists()
    assert Member.objects.count() == 2


def test_member_create_reports_a_clash_with_the_other_errors_at_once():
    services.member_create(login_id="taken02", password=None, name="김민수", email="taken2@example.com")
    with pytest.raises(ValidationError) as caught:
        services.member_create(login_id="taken02", password=None, name="김민수", email="taken2@example.com",
                               mobile="011-12")
    assert caught.value.message_dict == {"login_id": ["Login ID: this login ID is already in use."],
                                         "email": ["Email: this email address is already registered."],
                                         "mobile": ["Mobile phone: enter a Korean mobile number, as 010-1234-5678."]}


@override_settings(BLIND_INDEX_OLD_KEYS="an-old-blind-index-key-0123456789abcdef")
def test_member_create_during_a_key_rotation_checks_every_key_with_a_select_first():
    with CaptureQueriesContext(connection) as captured:
        services.member_create(login_id="rotating01", password=None, name="김민수", email="r@example.com")
    statements = [q["sql"] for q in captured.captured_queries]
    assert [sql.split()[0] for sql in statements] == ["SELECT", "SAVEPOINT", "INSERT", "RELEASE"]
    assert "ON CONFLICT" not in statements[-2]


def test_member_check_constraint_is_checked_without_the_database():
    member = Member(status=Member.Status.WITHDRAWN, withdrawn_at=None)
    with CaptureQueriesContext(connection) as captured, pytest.raises(ValidationError) as caught:
        member.validate_constraints(exclude={"login_id_index", "email_index"})
    assert len(captured.captured_queries) == 0
    assert "member_withdrawn_at_matches_status" in str(caught.value)


def test_member_create_duplicates_keep_their_field_named_messages():
    services.member_create(login_id="dup01", password=None, name="김민수", email="dup@example.com")
    with pytest.raises(ValidationError) as caught:
        services.member_create(login_id="DUP01", password=None, name="김민수", email="Dup@example.com")
    assert caught.value.message_dict == {"login_id": ["Login ID: this login ID is already in use."],
                                         "email": ["Email: this email address is already registered."]}


# --- the officer's lists ---------------------------------------------------------------------------------

def _list_queries(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_member_list_runs_the_same_number_of_queries_at_10_and_at_1000_members():
    # given
    client = officer_client()
    services.member_bulk_create(rows=_rows(10), password_hash="!")
    at_10 = _list_queries(client, "/admin/members/member/")
    services.member_bulk_create(rows=_rows(990, first=100), password_hash="!")
    # when
    at_1000 = _list_queries(client, "/admin/members/member/")
    # then
    assert len(at_1000) == len(at_10)
    assert sum("COUNT(" in sql.upper() for sql in at_1000) <= 1  # no second count for the full result


def test_member_list_pages_hold_50_members():
    # given
    client = officer_client()
    services.member_bulk_create(rows=_rows(60), password_hash="!")
    # when
    first, second = client.get("/admin/members/member/"), client.get("/admin/members/member/?p=2")
    # then: the officer's account and 60 members, over two pages
    assert len(first.context["cl"].result_list) == 50
    assert len(second.context["cl"].result_list) == 11


def test_big_member_list_counts_nothing_and_loads_only_the_shown_columns(monkeypatch):
    # given: the table looks big to the paginator (its estimate comes from pg_class)
    client = officer_client()
    services.member_bulk_create(rows=_rows(30), password_hash="!")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE members_member")
    monkeypatch.setattr("members.admin_lists.ESTIMATE_FROM", 5)
    # when
    queries = _list_queries(client, "/admin/members/member/")
    # then
    assert not any("COUNT(" in sql.upper() for sql in queries)
    page = next(sql for sql in queries if "FROM \"members_member\"" in sql and "ORDER BY" in sql)
    for hidden in ("home_address", "employee_number", "ipin_ci", "department", "birth_date"):
        assert f'"{hidden}"' not in page


@pytest.mark.parametrize("language", ["ko", "en"])
def test_big_lists_action_checkbox_is_djangos_markup_without_a_template_per_row(language):
    # given
    from django.contrib import admin

    member = services.member_create(login_id="boxed01", password=None, name="김민수", email="box@example.com")
    member_admin = admin.site._registry[Member]
    # when / then
    with translation.override(language):
        assert member_admin.action_checkbox(member) == admin.ModelAdmin.action_checkbox(member_admin, member)


@pytest.mark.parametrize("language", ["ko", "en"])
def test_big_list_rows_are_djangos_markup_rendered_once_per_row(language):
    # given: a filtered page, whose links carry the filters back to the list
    client = officer_client()
    services.member_bulk_create(rows=_rows(30), password_hash="!")
    # when
    with translation.override(language):
        response = client.get("/admin/members/member/?status__exact=active", headers={"accept-language": language})
        cl = response.context["cl"]
        rows = result_rows(cl)
        djangos = ["".join(items_for_result(cl, result, None)) for result in cl.result_list]
    # then: the same cells as Django's items_for_result, each row in the page whole
    assert len(rows) == 31  # and the officer
    assert rows == djangos
    assert "_changelist_filters=status__exact" in rows[0]
    page = response.content.decode()
    assert all(f"<tr>{row}</tr>" in page for row in rows)


def test_big_list_rows_are_left_to_django_in_a_popup():
    # given
    client = officer_client()
    services.member_bulk_create(rows=_rows(3), password_hash="!")
    # when: a raw-ID pop-up, whose links carry the value back to the opener
    response = client.get("/admin/members/member/?_popup=1&_to_field=id")
    # then
    assert result_rows(response.context["cl"]) is None
    assert "data-popup-opener" in response.content.decode()


def test_member_list_of_a_table_analysed_while_small_counts_up_to_the_cap_not_the_whole_table(monkeypatch):
    # given: statistics taken when the table held one member (or never taken: -1), then a bulk load, and no
    # autovacuum since (a server without it, or a load a moment ago)
    client = officer_client()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE members_member")
    services.member_bulk_create(rows=_rows(30), password_hash="!")
    monkeypatch.setattr("members.admin_lists.ESTIMATE_FROM", 5)
    # when
    queries = _list_queries(client, "/admin/members/member/")
    paginator = EstimatedCountPaginator(Member.objects.order_by("-pk"), 50)
    # then: no COUNT without a LIMIT under it (it read the whole table on every page), and the page says "about"
    counts = [sql for sql in queries if "COUNT(" in sql.upper()]
    assert counts
    assert all("LIMIT" in sql.upper() for sql in counts), counts
    assert paginator.count >= 6
    assert paginator.estimated


def test_estimated_paginator_counts_filtered_lists_up_to_a_cap(monkeypatch):
    services.member_bulk_create(rows=_rows(12), password_hash="!")
    monkeypatch.setattr("members.admin_lists.ESTIMATE_FROM", 5)
    paginator = EstimatedCountPaginator(Member.objects.filter(status="active").order_by("pk"), 5)
    assert paginator.count >= 6  # beyond the cap: the planner's estimate, never below the rows counted
    small = EstimatedCountPaginator(Member.objects.filter(pk__lt=0).order_by("pk"), 5)
    assert small.count == 0


def test_big_list_says_about_before_an_estimated_count_and_nothing_before_an_exact_one(monkeypatch):
    # given: 30 members, counted from pg_class once the table looks big, exactly while it does not
    client = officer_client()
    services.member_bulk_create(rows=_rows(30), password_hash="!")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE members_member")
    url = "/admin/members/member/"

    def counts() -> tuple[str, str]:
        page = client.get(url, {"status__exact": "active"}, headers={"accept-language": "ko"}).content.decode()
        unfiltered = client.get(url, headers={"accept-language": "ko"}).content.decode()
        return (re.search(r'<p class="paginator">(.*?)</p>', unfiltered, re.S).group(1),
                re.search(r'<span class="small quiet">(.*?)\(', page, re.S).group(1))

    exact_paginator, exact_search = counts()
    monkeypatch.setattr("members.admin_lists.ESTIMATE_FROM", 5)
    # when
    estimated_paginator, estimated_search = counts()
    # then
    assert "약" not in exact_paginator
    assert "31 회원" in exact_paginator
    assert "약" not in exact_search
    assert re.search(r"약 \d+ 회원", estimated_paginator), estimated_paginator
    assert re.search(r"결과 약 \d+개 나옴", estimated_search), estimated_search


def test_payment_list_does_not_load_the_enrolments_encrypted_columns():
    # given
    client = officer_client()
    member = bulk.members_create(_rows(1), password_hash="!")[0]
    course = Course.objects.create(code="arps", title="ARPS", ships_textbook=True)
    enrollment = services.enrollment_create(member=member, course=course, started_on=datetime.date(2024, 1, 1),
                                            ended_on=datetime.date(2024, 1, 1),
                                            payment_method=PaymentMethod.CREDIT_CARD,
                                            shipping_address="서울특별시 중구 세종대로 110", applied_ip="10.0.0.1")
    services.payment_record(enrollment=enrollment, amount=1000, method=PaymentMethod.CREDIT_CARD)
    # when
    queries = _list_queries(client, "/admin/members/payment/")
    # then
    joined = "\n".join(queries)
    assert "ARPS" not in joined  # the course title is read from the row, not typed into the SQL
    for column in ("applied_ip", "shipping_address", "shipping_phone"):
        assert column not in joined


def test_no_pattern_index_on_any_blind_index_column():
    # given: the blind-index columns of every model
    from django.apps import apps

    columns = {(model._meta.db_table, field.column) for model in apps.get_models()
               for field in model._meta.concrete_fields if isinstance(field, BlindIndexField)}
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        indexes = cursor.fetchall()
    # then: each is indexed by a plain B-tree, none by a varchar_pattern_ops "_like" index
    for table, column in columns:
        on_column = [(name, sql) for t, name, sql in indexes if t == table and f"({column})" in sql]
        assert on_column, (table, column)
        for name, sql in on_column:
            assert not name.endswith("_like"), name
            assert "pattern_ops" not in sql, name
            assert "USING btree" in sql


def test_no_pattern_index_on_any_hash_column():
    # given: the columns that hold a hash (a blind index or a SHA-256), and every index of the schema
    from django.apps import apps

    columns = {(model._meta.db_table, field.column) for model in apps.get_models()
               for field in model._meta.concrete_fields
               if isinstance(field, BlindIndexField) or field.column.endswith("sha256")}
    assert ("consents_consentrecord", "text_sha256") in columns
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        indexes = cursor.fetchall()
    # then: a hash is looked up whole, never by prefix: no varchar_pattern_ops "_like" index on any
    for table, column in columns:
        for _table, name, sql in (index for index in indexes if index[0] == table and f"({column}" in index[2]):
            assert not name.endswith("_like"), name
            assert "pattern_ops" not in sql, name


# --- benchmarks leave no trace ---------------------------------------------------------------------------

def _member_table() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), pg_total_relation_size('public.members_member') FROM public.members_member")
        return cursor.fetchone()


@pytest.mark.django_db(transaction=True)
def test_bench_members_leaves_the_member_table_as_it_found_it_and_no_query_log():
    # given
    services.member_bulk_create(rows=_rows(20), password_hash="!")
    before = _member_table()
    # when: with DEBUG on, which keeps a query log
    with override_settings(DEBUG=True):
        out = StringIO()
        call_command("bench", "members", size=200, stdout=out)
        logged = len(connection.queries_log)
    # and the report says how the consent records' keys were checked (the suite runs as a superuser)
    assert "per-row checks skipped for their COPY (this user is a superuser)" in out.getvalue()
    # and whether the sign-ups' INSERT was prepared
    assert ("sign-ups: the member INSERT is prepared once it has run 5 times on a connection "
            "(DATABASE_PREPARE_THRESHOLD)") in out.getvalue()
    # then: same rows, same size (no dead rows, no bloat), no schema left, the statements not kept
    assert _member_table() == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'bench%%'")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SHOW search_path")
        assert "bench" not in cursor.fetchone()[0]
    assert logged == 0


@pytest.mark.django_db(transaction=True)
def test_bench_members_times_lookups_lists_and_sign_ups_only_after_a_checkpoint():
    # given: every statement of a run, in order
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    # when
    out = StringIO()
    with connection.execute_wrapper(record):
        call_command("bench", "members", size=200, stdout=out)

    # then: the server's write-back of what was just loaded (demo data, the plaintext copy) is done before the
    # first timed lookup, and again before the first timed sign-up (its INSERT ... ON CONFLICT DO NOTHING)
    def first(predicate, after: int = -1) -> int:
        return next(i for i, sql in enumerate(statements) if i > after and predicate(sql))

    loaded = max(i for i, sql in enumerate(statements) if sql.startswith("ANALYZE bench_plain_member"))
    lookup = first(lambda sql: sql.startswith("SELECT id FROM bench_plain_member WHERE email"))
    sign_up = first(lambda sql: sql.startswith('INSERT INTO "members_member"') and "ON CONFLICT DO NOTHING" in sql,
                    after=lookup)
    checkpoints = [i for i, sql in enumerate(statements) if sql == "CHECKPOINT"]
    assert any(loaded < i < lookup for i in checkpoints)
    assert any(lookup < i < sign_up for i in checkpoints)
    assert "lookups, lists and writes measured after a CHECKPOINT" in out.getvalue()


def test_enrollment_create_reads_only_what_its_rules_need():
    # given
    member = services.member_create(login_id="learner01", password=None, name="김민수", email="l@example.com")
    course = Course.objects.create(code="refund", title="환급", is_employment_insurance_refund=True)
    # when
    with CaptureQueriesContext(connection) as captured:
        services.enrollment_create(member=member, course=course, started_on=datetime.date(2024, 1, 1),
                                   ended_on=datetime.date(2024, 1, 2), payment_method=PaymentMethod.CORPORATE_INVOICE,
                                   rrn="900101-1234568")
    statements = [q["sql"].split()[0] for q in captured.captured_queries]
    # then: the identifiers held (read once), three INSERTs (the identifier, the enrolment, the basis it is
    # held under); no per-constraint or foreign-key SELECT and no savepoint of _save's own
    assert statements == ["SAVEPOINT", "SELECT", "INSERT", "INSERT", "INSERT", "RELEASE"]
