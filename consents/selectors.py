"""Reads of the consent state: the latest record per (member, item) is the current state."""

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from consents.models import ConsentItem, ConsentRecord, GuardianConsent, MarketingNotice, PolicyVersion


def latest_records(members: Iterable[int] | QuerySet, *, codes: Iterable[str] | None = None,
                   at: datetime.datetime | None = None) -> QuerySet:
    """The latest record of each (member, item) for these members (ids or a queryset), in one query."""
    records = ConsentRecord.objects.filter(member__in=members)
    if codes is not None:
        records = records.filter(item__code__in=list(codes))
    if at is not None:
        records = records.filter(recorded_at__lte=at)
    return records.annotate(
        rank=Window(RowNumber(), partition_by=[F("member_id"), F("item_id")],
                    order_by=[F("recorded_at").desc(), F("id").desc()])
    ).filter(rank=1).annotate(code=F("item__code"))


def current_consents(members: Iterable[int] | QuerySet, *, codes: Iterable[str] | None = None,
                     at: datetime.datetime | None = None) -> dict[int, dict[str, ConsentRecord]]:
    """{member id: {item code: latest record}} for many members in one query (records carry `code`; their
    item is not loaded)."""
    state: dict[int, dict[str, ConsentRecord]] = defaultdict(dict)
    for record in latest_records(members, codes=codes, at=at):
        state[record.member_id][record.code] = record
    return dict(state)


def active_codes(member_id: int, *, at: datetime.datetime | None = None) -> set[str]:
    """The codes of the items a member has consented to and not withdrawn."""
    state = current_consents([member_id], at=at).get(member_id, {})
    return {code for code, record in state.items() if record.granted}


def items_in_force(at: datetime.datetime | None = None) -> QuerySet:
    """Items introduced by a published version whose effective date has come."""
    return ConsentItem.objects.filter(introduced_in__published_at__isnull=False,
                                      introduced_in__effective_at__lte=at or timezone.now())


def signup_items(at: datetime.datetime | None = None) -> list[ConsentItem]:
    """The items asked at sign-up: every item in force except analytics cookies, chosen in the cookie banner."""
    return list(items_in_force(at).exclude(kind=ConsentItem.Kind.ANALYTICS_COOKIES).select_related("introduced_in"))


def pending_required_items(member_id: int, at: datetime.datetime | None = None) -> list[ConsentItem]:
    """Required items in force that the member has not (or no longer) consented to: asked again at next login."""
    active = active_codes(member_id, at=at)
    return [item for item in items_in_force(at).filter(required=True) if item.code not in active]


def current_version(at: datetime.datetime | None = None) -> PolicyVersion | None:
    return PolicyVersion.objects.current(at)


def needs_guardian_consent(member, *, today: datetime.date | None = None) -> bool:
    """PIPA §22-2: a member under 14 uses the account only once the legal guardian has consented, whichever
    way the account was made (sign-up asks for it; an import or the admin may not have)."""
    from consents.services import GUARDIAN_AGE, age_on

    birth_date = member.birth_date
    if not isinstance(birth_date, datetime.date):
        return False
    today = today or timezone.localdate()
    return age_on(birth_date, today) < GUARDIAN_AGE and not GuardianConsent.objects.filter(member=member).exists()


def consent_evidence_count(member_ids: Iterable[int]) -> dict[str, int]:
    """How many rows consent_records_purge would delete for these members, by record type (model label)."""
    member_ids = list(member_ids)
    return {model._meta.label: model.objects.filter(member_id__in=member_ids).count()
            for model in (MarketingNotice, ConsentRecord, GuardianConsent)}
