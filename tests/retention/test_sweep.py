"""The retention sweep (policy §3): expired archive rows destroyed in batches, legal holds and undecryptable
rows skipped and reported, purpose-ended data destroyed for members who stay, the ledger exact."""

import datetime
import importlib
from io import StringIO
from types import SimpleNamespace

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connections
from django.db.models import Sum
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from members import services as members_services
from members.models import Enrollment, PaymentMethod, SensitiveIdentifier
from retention.models import (
    ArchiveDataKey,
    ArchivedRecord,
    DestructionLog,
    PurposeErasure,
    RetentionRule,
    SweepReceipt,
    SweepRun,
)
from retention.partitions import partition_name
from retention.services import legal_hold_place, legal_hold_release, member_withdraw, retention_sweep
from retention.tasks import retention_sweep as retention_sweep_task
from tests.members.factories import CourseFactory
from tests.retention.factories import staff, world

pytestmark = pytest.mark.django_db(databases="__all__")


def later(**delta) -> time_machine.travel:
    return time_machine.travel(timezone.now() + relativedelta(**delta), tick=False)


def sweep_ledger_total() -> int:
    return DestructionLog.objects.filter(event="sweep").aggregate(total=Sum("count"))["total"] or 0


def withdrawn_worlds(count: int, **kwargs) -> list:
    worlds = [world(serial=n, **kwargs) for n in range(count)]
    for w in worlds:
        member_withdraw(member=w.member, actor=None, reason="탈퇴")
    return worlds


def test_the_sweep_destroys_only_expired_rows_in_batches_and_the_ledger_counts_them_exactly():
    # given: three withdrawn members; after 3 years and a day the 3-year rules have expired, the 5-year not.
    # Mid-month: run on the last day of a month (Seoul time), the sweep a day later would find their month wholly
    # expired and drop it whole, not in batches (test_a_wholly_past_month_is_counted_into_the_ledger_...).
    with on(2026, 6, 10):
        withdrawn_worlds(3, ended_days_ago=1)
        five_year = set(ArchivedRecord.objects.filter(rule="ecommerce_contract")
                        .values_list("archive_key", flat=True))
        # when
        with later(years=3, days=1):
            report = retention_sweep(batch_size=2)
    # then
    assert report.rules["employment_insurance_refund"].destroyed == 6
    assert report.rules["disability_awareness"].destroyed == 3
    assert report.rules["ecommerce_complaint"].destroyed == 3
    assert set(ArchivedRecord.objects.values_list("archive_key", flat=True)) == five_year
    assert ArchiveDataKey.objects.count() == len(five_year)
    assert sweep_ledger_total() == report.destroyed == 12
    assert DestructionLog.objects.filter(event="sweep", method="crypto_shred", count__gt=2).count() == 0
    assert not SweepReceipt.objects.exists()
    run = SweepRun.objects.get(run_id=report.run_id)
    assert (run.status, run.destroyed) == ("finished", 12)
    # the ledger names the rule's approver and never a value
    refund = RetentionRule.objects.get(code="employment_insurance_refund")
    entry = DestructionLog.objects.filter(rule=refund.code).first()
    assert entry.category == refund.data_category


def test_a_second_sweep_finds_nothing_to_do():
    withdrawn_worlds(1, ended_days_ago=1)
    with later(years=6):
        first = retention_sweep()
        second = retention_sweep()
    assert first.destroyed == 5
    assert second.destroyed == 0
    assert sweep_ledger_total() == 5


def test_nothing_is_destroyed_before_its_day():
    withdrawn_worlds(1, ended_days_ago=1)
    before = ArchivedRecord.objects.count()
    with later(years=3, days=-2):
        report = retention_sweep()
    assert report.destroyed == 0
    assert ArchivedRecord.objects.count() == before


def test_records_under_a_legal_hold_are_skipped_and_reported_until_it_is_released():
    # given
    held, _free = withdrawn_worlds(2, ended_days_ago=1)
    officer = staff()
    hold = legal_hold_place(member=held.member, actor=officer, reason="소송 진행 중 (서울중앙지법 2026가합1234)",
                            until=timezone.localdate() + relativedelta(years=10))
    # when
    with later(years=6):
        report = retention_sweep()
    # then
    assert report.held == 5
    assert report.destroyed == 5
    assert ArchivedRecord.objects.count() == 5
    assert SweepRun.objects.get(run_id=report.run_id).held == 5
    # when released
    legal_hold_release(hold=hold, actor=officer)
    with later(years=6):
        again = retention_sweep()
    assert (again.destroyed, again.held) == (5, 0)
    assert not ArchivedRecord.objects.exists()


def test_a_legal_hold_needs_a_reason_and_a_date_ahead():
    w = world()
    with pytest.raises(ValidationError) as error:
        legal_hold_place(member=w.member, actor=staff(), reason=" ", until=datetime.date(2000, 1, 1))
    assert set(error.value.message_dict) == {"reason", "until"}


def test_a_row_that_cannot_be_decrypted_is_skipped_and_reported_and_the_sweep_goes_on():
    # given: one record whose data key was wrapped by a key this system does not hold
    withdrawn_worlds(1, ended_days_ago=1)
    broken = ArchivedRecord.objects.get(rule="ecommerce_complaint")
    ArchiveDataKey.objects.filter(archive_key=broken.archive_key).update(wrapped_by="deadbeef")
    # when
    with later(years=6):
        report = retention_sweep()
    # then
    line = report.rules["ecommerce_complaint"]
    assert (line.undecryptable, line.undecryptable_ids, line.destroyed) == (1, [broken.pk], 0)
    assert report.destroyed == 4
    assert list(ArchivedRecord.objects.values_list("pk", flat=True)) == [broken.pk]
    assert SweepRun.objects.get(run_id=report.run_id).undecryptable == 1


def test_the_dry_run_reports_per_rule_and_changes_nothing():
    withdrawn_worlds(1, ended_days_ago=1)
    out = StringIO()
    with later(years=3, days=1):
        call_command("retention_sweep", "--dry-run", stdout=out)
    assert ArchivedRecord.objects.count() == 5
    assert not DestructionLog.objects.filter(event="sweep").exists()
    text = out.getvalue()
    assert "Dry run: nothing was changed." in text
    assert any(line.split()[:3] == ["employment_insurance_refund", "2", "2"] for line in text.splitlines())


def test_the_command_destroys_and_prints_totals():
    withdrawn_worlds(1, ended_days_ago=1)
    out = StringIO()
    with later(years=6):
        call_command("retention_sweep", "--batch-size", "1", stdout=out)
    assert not ArchivedRecord.objects.exists()
    assert out.getvalue().splitlines()[-1].split()[:2] == ["total", "5"]


SEOUL = datetime.timezone(datetime.timedelta(hours=9))


def on(*args: int) -> time_machine.travel:
    return time_machine.travel(datetime.datetime(*args, 12, tzinfo=SEOUL), tick=False)


def test_the_task_works_in_bounded_batches_and_chains_itself_until_done(monkeypatch):
    # given: twelve rows that expire on 9 June 2029, swept later that month (so they go in batches), and a
    # task allowed two batches of two
    with on(2026, 6, 10):
        withdrawn_worlds(3, ended_days_ago=1)
    monkeypatch.setattr("retention.tasks.BATCHES_PER_TASK", 2)
    chained = []
    monkeypatch.setattr(retention_sweep_task, "apply_async", lambda **kwargs: chained.append(kwargs))
    # when: each chained call runs in turn
    results = []
    with on(2029, 6, 20):
        while not results or results[-1]["has_more"]:
            results.append(retention_sweep_task.apply(kwargs={"batch_size": 2}).get())
            assert len(results) < 20
    # then
    assert len(results) > 2
    assert all(r["destroyed"] <= 4 for r in results)
    assert sum(r["destroyed"] for r in results) == 12 == sweep_ledger_total()
    assert len(chained) == len(results) - 1
    assert not ArchivedRecord.objects.filter(destroy_after__lt=datetime.date(2029, 6, 20)).exists()


def test_a_wholly_past_month_is_counted_into_the_ledger_and_its_partitions_dropped_in_one_transaction():
    # given: the same twelve rows, swept once their month (June 2029) is wholly past
    with on(2026, 6, 10):
        withdrawn_worlds(3, ended_days_ago=1)
    kept = set(ArchivedRecord.objects.filter(destroy_after__gte=datetime.date(2029, 7, 1))
               .values_list("archive_key", flat=True))
    # when: one batch of budget is enough for the whole month
    with on(2029, 7, 5):
        report = retention_sweep(batch_size=2, max_batches=1)
    # then
    assert report.destroyed == 12 == sweep_ledger_total()
    assert DestructionLog.objects.filter(event="sweep", method="crypto_shred").count() == 3  # one per rule
    assert set(ArchivedRecord.objects.values_list("archive_key", flat=True)) == kept
    assert ArchiveDataKey.objects.count() == len(kept)
    archive = connections[ArchivedRecord.objects.db]
    with archive.cursor() as cursor:
        tables = set(archive.introspection.table_names(cursor))
    june = datetime.date(2029, 6, 1)
    assert partition_name(ArchivedRecord._meta.db_table, june) not in tables
    assert partition_name(ArchiveDataKey._meta.db_table, june) not in tables


def test_the_daily_schedule_is_in_django_celery_beat_at_three_in_seoul():
    migration = importlib.import_module("retention.migrations.0002_daily_sweep_schedule")
    PeriodicTask.objects.filter(name=migration.TASK_NAME).delete()
    editor = SimpleNamespace(connection=SimpleNamespace(alias="default"))
    migration.schedule(apps, editor)
    migration.schedule(apps, editor)
    task = PeriodicTask.objects.get(name=migration.TASK_NAME)
    assert task.task == "retention.tasks.retention_sweep"
    assert (task.crontab.minute, task.crontab.hour, str(task.crontab.timezone)) == ("0", "3", "Asia/Seoul")
    assert task.enabled


def test_a_receipt_left_by_a_crash_reaches_the_ledger_once():
    # given: a batch committed in the archive whose ledger copy was lost
    import uuid

    withdrawn_worlds(1, ended_days_ago=1)
    receipt = SweepReceipt.objects.create(batch_id=uuid.uuid4(), run_id=uuid.uuid4(), rule="ecommerce_contract",
                                          category="계약", count=7, destroyed_at=timezone.now())
    # when
    retention_sweep()
    retention_sweep()
    # then
    assert DestructionLog.objects.get(batch_id=receipt.batch_id).count == 7
    assert not SweepReceipt.objects.exists()


def test_purpose_ended_textbook_shipping_is_erased_for_a_member_who_stays():
    # given: a course that shipped a textbook ended yesterday; another is still running
    w = world(ended_days_ago=1)
    running = members_services.enrollment_create(
        member=w.member, course=CourseFactory(ships_textbook=True), started_on=timezone.localdate(),
        ended_on=timezone.localdate() + datetime.timedelta(days=30), payment_method=PaymentMethod.CREDIT_CARD,
        shipping_address="부산광역시 해운대구 센텀중앙로 97", shipping_phone="010-4444-5555")
    # when
    report = retention_sweep()
    retention_sweep()
    # then
    assert Enrollment.objects.get(pk=w.textbook.pk).shipping_address == ""
    assert Enrollment.objects.get(pk=w.textbook.pk).shipping_phone == ""
    assert Enrollment.objects.get(pk=running.pk).shipping_address == "부산광역시 해운대구 센텀중앙로 97"
    assert report.rules["purpose:textbook_shipping"].destroyed == 1
    entries = DestructionLog.objects.filter(rule="purpose:textbook_shipping")
    assert [(e.count, e.method, e.category, e.event) for e in entries] == [(1, "erase", "shipping", "purpose_ended")]
    assert PurposeErasure.objects.filter(rule="textbook_shipping").count() == 1


def test_purpose_ended_card_number_is_deleted_once_its_enrolment_ended_and_no_refund_is_open():
    # given: the card enrolment ended yesterday
    w = world(ended_days_ago=1)
    # when
    report = retention_sweep()
    # then: the card number is gone, the 주민등록번호 (refund review) stays
    kinds = set(SensitiveIdentifier.objects.filter(member=w.member).values_list("kind", flat=True))
    assert kinds == {"rrn"}
    assert report.rules["purpose:naeil_card_number"].destroyed == 1
    assert DestructionLog.objects.get(rule="purpose:naeil_card_number").method == "delete"


def test_a_card_number_stays_while_its_enrolment_runs_or_a_refund_is_open():
    # given: one member whose card course still runs, one whose withdrawn offer awaits its refund
    running = world(ended_days_ago=-10, serial=1)
    refund_open = world(ended_days_ago=1, serial=2)
    Enrollment.objects.filter(pk=refund_open.refund.pk).update(cancelled_at=timezone.now())
    # when
    retention_sweep()
    # then
    assert SensitiveIdentifier.objects.filter(member=running.member, kind="naeil_card").exists()
    assert SensitiveIdentifier.objects.filter(member=refund_open.member, kind="naeil_card").exists()
    # and once refunded, it goes
    members_services.payment_refund(payment=refund_open.payment)
    retention_sweep()
    assert not SensitiveIdentifier.objects.filter(member=refund_open.member, kind="naeil_card").exists()


def test_purpose_rules_skip_an_undecryptable_row_and_report_it():
    w = world(ended_days_ago=1)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE members_enrollment SET shipping_address = %s WHERE id = %s",
                       [b"\x01garbage-not-a-valid-token", w.textbook.pk])
    report = retention_sweep()
    line = report.rules["purpose:textbook_shipping"]
    assert (line.undecryptable_ids, line.destroyed) == ([w.textbook.pk], 0)
    assert not PurposeErasure.objects.exists()


def test_records_of_a_rule_made_inactive_are_still_destroyed_on_their_day():
    withdrawn_worlds(1, ended_days_ago=1)
    RetentionRule.objects.update(active=False)
    with later(years=6):
        report = retention_sweep()
    assert report.destroyed == 5
    assert not ArchivedRecord.objects.exists()
