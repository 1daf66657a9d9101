"""Records whose keeping period ends (issue 7 point 6; policy §2 "목적이 달성된 후에는 지체 없이 파기", PIPA §21):
evidence held outside the archive — consent records, the provision ledger, staff-access records — destroyed by
the retention sweep through declared rules, like the purpose rules of retention.purposes. Each rule names the
event its period runs from, the period and why, and the owning app's one purge path; the sweep adds the
bounded batches, legal holds, the destruction ledger and --dry-run (retention.services.records).

Chosen per record type, from the policy, DESIGN.md and Korean law:

- Provision ledger (disclosures.Provision, 제3자 제공 기록): kept while the recipient keeps what it received,
  so that a correction can still be sent to it (policy §7) and the member can be told who holds their data
  (PIPA §35): the recipient's period as policy §5 states it ("3년"), from the day of provision; a recipient
  that keeps data "while the service is provided" keeps it until the member withdraws. Never less than one
  year, because the yearly notice of use and provision (PIPA §20-2) reports the year's provisions.
- Staff-access records (members.StaffAccessChange, 접근권한 부여·변경·말소 기록): at least 3 years
  (안전성 확보조치 기준 §5②), counted from the day the record stopped describing access someone holds: the
  next change of the same account or group, the member's withdrawal, or the record itself when it revoked
  the access. The latest record of a staff account or of a group is what documents access held today, so it
  stays while that access lasts.
- Consent records of a withdrawn member (consents.ConsentRecord with its MarketingNotice rows and the legal
  guardian's consent): an active member's records are the current state of their consents and are never
  purged. After withdrawal they are the evidence of the basis on which the member's data was collected and
  provided, needed exactly as long as something of the member is still kept under a law: an archived record
  (contract and payment records 5 years, refund review 3 years, ...) or a provision ledger row (which points
  at the consent it relied on). They are destroyed at the first sweep after the last of those is gone; no
  law sets a period of its own for them, so nothing keeps them longer (PIPA §21).

Not purged here, on purpose: the destruction ledger, rule changes, archive openings and sweep runs (they
are the proof that destruction happened and hold no member's values); registry changes (the recipients' and
processors' history, published in the policy's versions); policy versions and consent texts (no member's
data). The access log (접속기록, kept at least 2 years) does not exist yet: it gets its rule here when it does.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.core import checks
from django.db.models import Exists, Min, Model, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from consents.models import ConsentRecord, GuardianConsent, MarketingNotice
from consents.selectors import consent_evidence_count
from consents.services import consent_records_purge
from disclosures.models import Provision, Recipient
from disclosures.selectors import recipient_retention_period
from disclosures.services import provisions_purge
from members.models import Member, StaffAccessChange
from members.staff_access import staff_access_changes_purge
from retention import crypto
from retention.models import ArchivedRecord, DestructionMethod
from retention.routers import archive_alias

PROVISION_FLOOR = relativedelta(years=1)  # PIPA §20-2: the yearly notice reports the year's provisions
STAFF_ACCESS_PERIOD = relativedelta(years=3)  # 안전성 확보조치 기준 §5②


@dataclass(frozen=True)
class RecordRule:
    code: str
    label: Promise
    # The destruction ledger's data category, in the policy's words (like RetentionRule.data_category).
    category: str
    legal_basis: Promise
    trigger: Promise
    period: Promise
    # The rows `due` selects: their primary keys are what `purge` and `count` take.
    model: type[Model]
    # The rows whose period has ended on `on` (legal holds are the sweep's to apply).
    due: Callable[[datetime.date], QuerySet]
    # Paths from those rows to the member(s) a legal hold names.
    held_paths: tuple[str, ...]
    # The owning app's purge service, and how many rows it would delete; both by record type (model label).
    purge: Callable[[list[int]], dict[str, int]]
    count: Callable[[list[int]], dict[str, int]]
    # Of a batch of due keys, those something in another database still keeps (`live`: as it stands now,
    # else as it will stand on `on`), each with the first day that may change it (None: any day).
    kept: Callable[[list[int], datetime.date, bool], dict[int, datetime.date | None]] = field(
        default=lambda ids, on, live: {})
    method: DestructionMethod = DestructionMethod.DELETE

    @property
    def ledger_rule(self) -> str:
        return f"record:{self.code}"

    def held(self, member_ids: list[int]) -> Q:
        condition = Q(pk__in=[])
        for path in self.held_paths:
            condition |= Q(**{f"{path}__in": member_ids})
        return condition


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def provisions_due(on: datetime.date) -> Q:
    """Provision rows whose recipient's retention period (at least PROVISION_FLOOR) has ended on `on`."""
    floor = on - PROVISION_FLOOR
    due = Q(pk__in=[])
    for recipient in Recipient.objects.select_related("group"):
        period = recipient_retention_period(recipient)
        if period is None:
            due |= Q(recipient=recipient, provided_at__lt=_start_of(floor), member__status=Member.Status.WITHDRAWN,
                     member__withdrawn_at__lt=_start_of(on))
        else:
            due |= Q(recipient=recipient, provided_at__lt=_start_of(min(floor, on - period)))
    return due


def _provisions(on: datetime.date) -> QuerySet:
    return Provision.objects.filter(provisions_due(on))


def _staff_access_changes(on: datetime.date) -> QuerySet:
    cutoff = _start_of(on - STAFF_ACCESS_PERIOD)
    later = StaffAccessChange.objects.filter(Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk")))
    superseded = (Exists(later.filter(member__isnull=False, member=OuterRef("member"), at__lt=cutoff))
                  | Exists(later.filter(group__isnull=False, group=OuterRef("group"), at__lt=cutoff)))
    access_ended = Q(member__isnull=False) & (
        Q(member__status=Member.Status.WITHDRAWN, member__withdrawn_at__lt=cutoff)
        | (Q(member__is_staff=False, member__is_superuser=False) & ~Exists(later.filter(member=OuterRef("member")))))
    return StaffAccessChange.objects.filter(at__lt=cutoff).filter(superseded | access_ended)


def _withdrawn_members_consents(on: datetime.date) -> QuerySet:
    """Withdrawn members (before `on`) holding consent evidence, none of whose provision rows is still kept."""
    kept_provisions = Provision.objects.filter(member=OuterRef("pk")).exclude(provisions_due(on))
    evidence = (Exists(ConsentRecord.objects.filter(member=OuterRef("pk")))
                | Exists(GuardianConsent.objects.filter(member=OuterRef("pk")))
                | Exists(MarketingNotice.objects.filter(member=OuterRef("pk"))))
    return (Member._base_manager.filter(status=Member.Status.WITHDRAWN, withdrawn_at__lt=_start_of(on))
            .filter(evidence).exclude(Exists(kept_provisions)))


def _members_still_kept(member_ids: list[int], on: datetime.date, live: bool) -> dict[int, datetime.date | None]:
    """Members of whom the archive (perhaps another database) still keeps a record — under any blind-index
    key's pseudonym — with the day after the first of those rows' destroy_after (the sweep destroys a row
    the day after it); or, as things stand now, a provision row (it points at the consent it relied on)."""
    subjects = {key: member_id for member_id in member_ids for key in crypto.subject_keys(member_id)}
    rows = ArchivedRecord.objects.using(archive_alias()).filter(subject_key__in=list(subjects))
    if not live:
        rows = rows.filter(destroy_after__gte=on)  # the sweep destroys the others by then
    kept: dict[int, datetime.date | None] = {}
    for key, first in rows.values("subject_key").annotate(first=Min("destroy_after")).values_list("subject_key",
                                                                                                    "first"):
        member_id = subjects[key]
        day = first + datetime.timedelta(days=1)
        kept[member_id] = min(day, kept[member_id]) if kept.get(member_id) else day
    if live:
        for member_id in Provision.objects.filter(member_id__in=member_ids).values_list("member_id", flat=True):
            kept[member_id] = None
    return kept


def _provision_count(ids: list[int]) -> dict[str, int]:
    return {Provision._meta.label: len(ids)}


def _staff_access_count(ids: list[int]) -> dict[str, int]:
    return {StaffAccessChange._meta.label: len(ids)}


# In this order: a consent record can go only once the provision rows relying on it have gone.
RECORD_RULES = [
    RecordRule(
        code="provision_ledger",
        label=_("Provision ledger: the recipient's retention period has passed"),
        category="개인정보 제3자 제공 기록", legal_basis=_("PIPA §17, §20-2, §35; privacy policy §5 and §7"),
        trigger=_("provision to the recipient (or the member's withdrawal, for a recipient that keeps data "
                  "while the service is provided)"),
        period=_("the recipient's retention period in policy §5, at least 1 year"),
        model=Provision, due=_provisions, held_paths=("member",),
        purge=lambda ids: provisions_purge(provision_ids=ids), count=_provision_count),
    RecordRule(
        code="staff_access_changes",
        label=_("Staff access records: 3 years after they stopped describing access held"),
        category="개인정보처리시스템 접근권한 부여·변경·말소 기록",
        legal_basis=_("Standards for personal information security measures §5②: kept at least 3 years"),
        trigger=_("the next change of the same account or group, the member's withdrawal, or the revocation "
                  "itself"),
        period=_("3 years"),
        model=StaffAccessChange, due=_staff_access_changes, held_paths=("member", "actor"),
        purge=lambda ids: staff_access_changes_purge(change_ids=ids), count=_staff_access_count),
    RecordRule(
        code="withdrawn_member_consents",
        label=_("Consent records of a withdrawn member: nothing of the member is kept any longer"),
        category="동의 및 동의 철회 기록 (법정대리인 동의, 마케팅 통지 포함)",
        legal_basis=_("PIPA §21, §22, §22-2: evidence of consent while data collected under it is kept"),
        trigger=_("membership withdrawal, then the destruction of the member's last archived record and "
                  "provision ledger row"),
        period=_("none beyond the records it evidences"),
        model=Member, due=_withdrawn_members_consents, held_paths=("pk",),
        purge=lambda ids: consent_records_purge(member_ids=ids), count=consent_evidence_count,
        kept=_members_still_kept),
]


@checks.register(checks.Tags.models)
def check_record_rules(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Rule codes are unique, so that the ledger names one rule each."""
    codes = [rule.code for rule in RECORD_RULES]
    return [checks.Error(f"record rule {code} is declared twice", id="retention.E002")
            for code in sorted({code for code in codes if codes.count(code) > 1})]
