"""Demo members get the required consents and a realistic mix of optional ones, in bulk (channel import)."""

import datetime
import uuid

import psycopg
import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from consents import selectors
from consents.models import ConsentItem, ConsentRecord, PolicyVersion
from consents.services import consents_import
from members import services
from members.bulk import copy_rows_keys_checked, row_checks_skippable
from members.models import Member, PaymentMethod, SensitiveIdentifier, SensitiveIdentifierBasis
from members.signals import members_bulk_created
from tests.members.factories import CourseFactory, MemberFactory, valid_rrn

pytestmark = pytest.mark.django_db


def test_demo_data_records_every_required_consent_and_a_mix_of_optional_ones(policy):
    # when
    call_command("demo_data", members=60, verbosity=0)
    # then
    members = list(Member.objects.filter(is_staff=False).values_list("pk", flat=True))
    state = selectors.current_consents(members)
    items = list(ConsentItem.objects.all())
    assert len(state) == 60
    for member_state in state.values():
        assert {code for code, record in member_state.items() if record.granted} >= {
            item.code for item in items if item.required}
        assert {record.channel for record in member_state.values()} == {"import"}
    optional_shares = [sum(s[item.code].granted for s in state.values()) for item in items if not item.required]
    assert all(share < 60 for share in optional_shares)
    assert sum(optional_shares) > 0


def test_the_records_of_a_batch_are_written_in_a_few_queries_whatever_its_size(policy):
    # given
    call_command("demo_data", members=50, verbosity=0)
    members = list(Member.objects.filter(is_staff=False).order_by("pk"))
    counts = {}
    for size in (5, 45):
        # when
        with CaptureQueriesContext(connection) as queries:
            written = consents_import(members=members[:size] if size == 5 else members[5:])
        counts[size] = len(queries)
        # then
        assert written == size * ConsentItem.objects.count()
    # the keys are checked with a query each, for the batch: no query per row or per record
    assert counts[5] == counts[45] <= 14


def test_a_record_whose_member_is_not_saved_is_refused_and_nothing_of_the_batch_is_written(policy):
    # given a batch in which one member was never saved
    call_command("demo_data", members=3, verbosity=0)
    batch = [*Member.objects.filter(is_staff=False), Member(pk=987_654_321, login_id="ghost")]
    before = ConsentRecord.objects.count()
    # when / then: the batch's check names the key, as the database's own check would refuse the row
    with pytest.raises(IntegrityError, match="member_id"), transaction.atomic():
        consents_import(members=batch)
    assert ConsentRecord.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_the_rows_a_batch_points_at_stay_locked_until_it_commits(policy):
    # given another connection to the same database
    settings = connection.settings_dict
    other = psycopg.connect(dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"] or None,
                            port=settings["PORT"] or None, password=settings["PASSWORD"] or None, autocommit=True)
    try:
        call_command("demo_data", members=2, verbosity=0)
        version = PolicyVersion.objects.current()
        with transaction.atomic():
            # when the batch's records are written but not yet committed
            consents_import(members=list(Member.objects.filter(is_staff=False)))
            # then the policy version they point at cannot be taken from under them (as PostgreSQL's per-row check
            # would lock it, FOR KEY SHARE)
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("SELECT 1 FROM consents_policyversion WHERE id = %s FOR UPDATE NOWAIT", [version.pk])
            # and only that statement skipped the per-row checks
            with connection.cursor() as cursor:
                cursor.execute("SHOW session_replication_role")
                assert cursor.fetchone()[0] == "origin"
        other.execute("SELECT 1 FROM consents_policyversion WHERE id = %s FOR UPDATE NOWAIT", [version.pk])
        # and every record points at rows that are there
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM consents_consentrecord r LEFT JOIN members_member m "
                           "ON m.id = r.member_id WHERE m.id IS NULL")
            assert cursor.fetchone()[0] == 0
    finally:
        other.close()


def test_a_table_with_a_trigger_of_its_own_keeps_it_when_written_in_bulk():
    # given a 주민등록번호 held for an SME core-job course
    member = MemberFactory()
    services.enrollment_create(member=member, course=CourseFactory(is_sme_core_job=True),
                               started_on=datetime.date(2026, 3, 2), ended_on=datetime.date(2026, 4, 30),
                               payment_method=PaymentMethod.CORPORATE_INVOICE, rrn=valid_rrn())
    identifier = SensitiveIdentifier.objects.get(member=member)
    # when a basis that does not fit a 주민등록번호 is written in bulk, then the table's trigger still refuses it
    with pytest.raises(IntegrityError, match="does not fit"), transaction.atomic():
        copy_rows_keys_checked(SensitiveIdentifierBasis, ["identifier_id", "legal_basis", "recorded_at"],
                               [(identifier.pk, "naeil_card_application", datetime.datetime.now(datetime.UTC))])


def test_without_a_loaded_policy_the_receiver_writes_nothing(db):
    call_command("demo_data", members=3, verbosity=0)
    assert ConsentRecord.objects.count() == 0
    members_bulk_created.send(sender=Member, members=list(Member.objects.all()), channel="import")
    assert ConsentRecord.objects.count() == 0


def test_a_user_who_may_not_skip_the_per_row_checks_writes_the_same_records_with_them(policy):
    # given demo members, and this transaction running as a role that is no superuser
    call_command("demo_data", members=3, verbosity=0)
    members = list(Member.objects.filter(is_staff=False))
    role = f"pb_test_clerk_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOSUPERUSER")  # undone with the test's transaction
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute("SHOW is_superuser")
        assert cursor.fetchone()[0] == "off"
        assert not row_checks_skippable(ConsentRecord)
        # when
        written = consents_import(members=members)
        # then the records are written, with the server's own check of each key, and still refused for a member
        # that is not there
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"
        assert written == 3 * ConsentItem.objects.count()
        with pytest.raises(IntegrityError, match="member_id"), transaction.atomic():
            consents_import(members=[Member(pk=987_654_321, login_id="ghost")])
        cursor.execute("RESET ROLE")


def test_only_a_table_without_a_trigger_of_its_own_may_skip_the_per_row_checks(db):
    # the suite runs as a superuser
    assert row_checks_skippable(ConsentRecord)
    # members_identifier_basis_fits_kind is a rule the database enforces on each basis row
    assert not row_checks_skippable(SensitiveIdentifierBasis)
