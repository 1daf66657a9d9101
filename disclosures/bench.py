"""`bench disclosures`: one provision batch of N members through provision_record (consent and statute basis),
and the same with its CSV file, against a plain bulk insert of N ledger rows measured in the same run; the
query count of a batch of N against a batch of 100.

It works in tables of its own: PostgreSQL temporary tables with the same names and columns as the real ones
(the session's temporary schema is searched first), created and dropped inside one transaction. Nothing is
written to the real tables, so they get no rows and no dead tuples.
"""

import datetime
import time
from collections.abc import Callable

from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consents import seed
from consents.models import Channel, ConsentItem, ConsentRecord, ConsentText, PolicyVersion
from disclosures.loading import disclosures_load
from disclosures.models import Basis, Provision, ProvisionBatch, Recipient
from disclosures.services import provision_export, provision_record
from members import services as member_services
from members.demo import Generator
from members.models import Course, Enrollment, Member, PaymentMethod, SensitiveIdentifier

AREA = "disclosures"
SMALL = 100
TABLES = [model._meta.db_table for model in (
    Member, Course, Enrollment, SensitiveIdentifier, PolicyVersion, ConsentItem, ConsentText, ConsentRecord,
    Recipient, ProvisionBatch, Provision,
)] + ["disclosures_registrychange", "disclosures_processor", "disclosures_processingrestriction",
      "disclosures_correctionnotice"]


class _Rollback(Exception):
    pass


def _scratch_tables() -> None:
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f'CREATE TEMPORARY TABLE "{table}" (LIKE public."{table}" INCLUDING ALL) ON COMMIT DROP')


def _members(size: int, generator: Generator) -> list[int]:
    """N members, each enrolled in a refund course with a 주민등록번호 on that basis and the two consents."""
    members = member_services.member_bulk_create(rows=generator.member_rows(size, 20_000_000),
                                                 password_hash=make_password(None), batch_size=2000)
    course = Course.objects.create(code="bench-refund", title="고용보험 환급과정", is_employment_insurance_refund=True)
    start = datetime.date(2026, 3, 2)
    Enrollment.objects.bulk_create([
        Enrollment(member=member, course=course, started_on=start, ended_on=start + datetime.timedelta(days=30),
                   payment_method=PaymentMethod.CORPORATE_INVOICE, applied_ip="203.0.113.9") for member in members
    ], batch_size=2000)
    SensitiveIdentifier.objects.bulk_create([
        SensitiveIdentifier(member=member, kind="rrn", value=generator.rrn(member.birth_date or start),
                            legal_basis="employment_insurance_refund") for member in members
    ], batch_size=2000)
    version = PolicyVersion.objects.create(version=seed.SEED_VERSION, effective_at=timezone.now(),
                                           published_at=timezone.now(), text="bench", text_sha256="0" * 64)
    items = [ConsentItem.objects.create(**spec, introduced_in=version) for spec in seed.ITEMS
             if spec["kind"] == "third_party"]
    ConsentText.objects.create(sha256="0" * 64, text="bench")
    ConsentRecord.objects.bulk_create([
        ConsentRecord(member=member, item=item, policy_version=version, granted=True, channel=Channel.WEB,
                      text_id="0" * 64) for member in members for item in items
    ], batch_size=5000)
    disclosures_load()
    return [member.pk for member in members]


def _timed(action: Callable[[], object]) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        action()
        seconds = time.perf_counter() - started
    return seconds, len(queries)


def run(size: int, write: Callable[[str], None]) -> None:
    if connection.vendor != "postgresql":
        raise CommandError("bench disclosures runs on PostgreSQL (it works in temporary tables of its own).")
    figures = {}
    try:
        with transaction.atomic():
            _scratch_tables()
            started = time.perf_counter()
            member_ids = _members(max(size, SMALL), Generator(seed=8))
            setup_seconds = time.perf_counter() - started
            actor = Member.objects.get(pk=member_ids[0])
            moel = Recipient.objects.get(name="고용노동부 한국산업인력공단")
            batch_ids = member_ids[:size]

            def plain_insert() -> None:
                batch = ProvisionBatch.objects.create(recipient=moel, items=moel.item_codes, basis=Basis.STATUTE,
                                                      basis_text="-", purpose="baseline", actor=actor,
                                                      member_count=size)
                now = timezone.now()
                Provision.objects.bulk_create([
                    Provision(batch=batch, member_id=member_id, recipient=moel, items=batch.items, basis=batch.basis,
                              purpose=batch.purpose, provided_at=now, actor=actor) for member_id in batch_ids])

            def provide(basis: str, ids: list[int], export: bool = False) -> Callable[[], object]:
                call = provision_export if export else provision_record
                recipient = Recipient.objects.get(pk=moel.pk)  # fresh: each call loads its consent item itself
                return lambda: call(recipient=recipient, members=ids, items=moel.item_codes, basis=basis,
                                    actor=actor, purpose="bench")

            figures["plain"] = _timed(plain_insert)
            figures["consent"] = _timed(provide(Basis.CONSENT, batch_ids))
            figures["statute"] = _timed(provide(Basis.STATUTE, batch_ids))
            figures["export"] = _timed(provide(Basis.STATUTE, batch_ids, export=True))
            figures["consent small"] = _timed(provide(Basis.CONSENT, member_ids[:SMALL]))
            figures["statute small"] = _timed(provide(Basis.STATUTE, member_ids[:SMALL]))
            raise _Rollback
    except _Rollback:
        pass
    plain = figures["plain"][0]
    write(f"disclosures bench on {connection.vendor}: one provision batch of {size:,} members "
          f"(set-up of {max(size, SMALL):,} members with enrolments, RRNs and consents: {setup_seconds:.1f} s)")
    write(f"{'measure':<56}{'rows/s':>12}{'ratio':>8}{'queries':>9}")
    rows = [("plain bulk insert of the ledger rows (baseline)", "plain"),
            ("provision_record, consent basis", "consent"),
            ("provision_record, statute basis (employment insurance)", "statute"),
            ("provision_export: record + CSV file (decrypts)", "export")]
    for label, key in rows:
        seconds, queries = figures[key]
        write(f"{label:<56}{size / seconds:>12,.0f}{seconds / plain:>8.2f}{queries:>9}")
    for basis in ("consent", "statute"):
        small, large = figures[f"{basis} small"][1], figures[basis][1]
        write(f"queries, {basis} basis: {SMALL} members {small}, {size:,} members {large} "
              f"(ratio {large / small:.2f}; {'does not grow' if large == small else 'GROWS'} with the batch)")
    write("work done in temporary tables dropped at the end: the real tables got no rows and no dead tuples")
