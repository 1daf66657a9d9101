"""Reads of the disclosures registries and ledger."""

import datetime
import re
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db.models import Q, QuerySet
from django.utils import timezone

from consents.models import ConsentItem, PolicyVersion
from consents.selectors import items_in_force
from disclosures.models import CorrectionNotice, ImportedMember, Processor, Provision, Recipient, RegistryChange


def policy_outdated() -> QuerySet:
    """The registry changes made since the latest published policy version: while there are any, the
    published policy no longer describes the registries, until a new version is published (policy §12)."""
    latest = PolicyVersion.objects.published().order_by("-published_at", "-pk").first()
    changes = RegistryChange.objects.exclude(action=RegistryChange.Action.SEED).select_related("actor")
    return changes.filter(changed_at__gt=latest.published_at) if latest else changes


def policy_recipients(at: datetime.datetime | None = None) -> list[Recipient]:
    """Recipients active on that day, for the policy page (partner companies are listed under their group)."""
    on = timezone.localdate(at) if at else timezone.localdate()
    recipients = list(Recipient.objects.active(on).filter(group__isnull=True))
    partners: dict[int, list[str]] = {}
    for group_id, name in (Recipient.objects.active(on).filter(group__isnull=False).order_by("order", "name")
                           .values_list("group_id", "name")):
        partners.setdefault(group_id, []).append(name)
    for recipient in recipients:
        recipient.partner_names = partners.get(recipient.pk, [])
    return recipients


def policy_processors(at: datetime.datetime | None = None) -> list[Processor]:
    on = timezone.localdate(at) if at else timezone.localdate()
    return list(Processor.objects.filter(Q(contract_start__lte=on), Q(contract_end__isnull=True)
                                         | Q(contract_end__gte=on)))


def member_provisions(member_id: int) -> QuerySet:
    """Every provision of one member's data (recipient, purpose, items, date, basis), newest first: for the
    member's pages and for "download my data"."""
    return (Provision.objects.filter(member_id=member_id).select_related("recipient", "consent_record__item")
            .order_by("-provided_at", "-pk"))


def notices_to_send() -> QuerySet:
    return CorrectionNotice.objects.filter(sent_at__isnull=True).select_related("recipient").order_by("created_at")


@dataclass
class UnregisteredRecipient:
    """A third-party consent item in force whose recipient is not yet in the registry: still shown on the
    policy page from the consent's own wording, since members are asked to consent to it."""

    name: str
    purpose: str
    items_text: str
    retention: str
    partner_names: tuple = ()


def _unregistered(version: PolicyVersion | None) -> list[UnregisteredRecipient]:
    items = ConsentItem.objects.filter(kind=ConsentItem.Kind.THIRD_PARTY, recipients__isnull=True)
    if version is None:
        items = items.filter(pk__in=items_in_force().values("pk"))
    else:
        items = items.filter(Q(introduced_in__published_at__isnull=False,
                               introduced_in__effective_at__lte=version.effective_at) | Q(introduced_in=version))
    return [UnregisteredRecipient(item.recipient, item.purpose, item.items, item.retention) for item in items]


def policy_tables(version: PolicyVersion | None) -> dict:
    """The policy page's §5 and §6 tables (consents.policy calls this through its provider hook)."""
    at = version.effective_at if version is not None else None
    return {"recipients": [*policy_recipients(at), *_unregistered(version)], "processors": policy_processors(at)}


def member_sources(member_id: int) -> QuerySet:
    """Where one member's data came from (policy §1 수집방법): each import from a partner company, with its
    date and the partner's consent reference, newest first."""
    return (ImportedMember.objects.filter(member_id=member_id).select_related("source", "batch")
            .order_by("-batch__imported_at", "-pk"))


_PERIOD = re.compile(r"^\s*(\d+)\s*(년|개월|일)\s*간?\s*$")
_UNITS = {"년": "years", "개월": "months", "일": "days"}


def recipient_retention_period(recipient: Recipient) -> relativedelta | None:
    """How long the recipient keeps what it received, read from the registry's own wording of policy §5
    ("3년", "6개월", "90일"); a partner company keeps it as its group says. None for a period that is not a
    length of time ("본인확인 서비스 제공기간", "회원탈퇴 시 ..."): the recipient keeps it while the service
    is provided to the member, that is until the member withdraws."""
    match = _PERIOD.match(recipient.terms.retention or "")
    if not match or int(match.group(1)) <= 0:
        return None
    return relativedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
