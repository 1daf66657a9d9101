"""Purpose achieved (policy §2 "목적이 달성된 후에는 지체 없이 파기"): declared rules that destroy, for members who
stay, personal fields whose purpose has ended. The retention sweep runs every rule listed here; adding a case
means adding a rule, never code in a task."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.core import checks
from django.db.models import Exists, Model, OuterRef, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from members.models import Enrollment, Payment, PaymentMethod, SensitiveIdentifier
from members.registry import registry
from retention.models import DestructionMethod


@dataclass(frozen=True)
class PurposeRule:
    code: str
    label: Promise
    model: type[Model]
    fields: tuple[str, ...]
    method: DestructionMethod
    # The rows whose purpose has ended on `today`.
    ended: Callable[[datetime.date], Q]

    @property
    def ledger_rule(self) -> str:
        return f"purpose:{self.code}"


def _textbook_shipped(today: datetime.date) -> Q:
    # The textbook is shipped at the start of the course; once the course ended (or the offer was
    # withdrawn) nothing is left to ship.
    return Q(course__ships_textbook=True) & (Q(ended_on__lt=today) | Q(cancelled_at__isnull=False))


def _card_no_longer_needed(today: datetime.date) -> Q:
    card_enrolments = Enrollment.objects.filter(member=OuterRef("member"), payment_method=PaymentMethod.NAEIL_CARD)
    running = card_enrolments.filter(ended_on__gte=today, cancelled_at__isnull=True)
    # A withdrawn offer paid by card whose payment is not refunded yet: the card number is still needed.
    refund_open = Payment.objects.filter(enrollment__member=OuterRef("member"),
                                         enrollment__payment_method=PaymentMethod.NAEIL_CARD,
                                         enrollment__cancelled_at__isnull=False, refunded_at__isnull=True)
    return Q(kind=SensitiveIdentifier.Kind.NAEIL_CARD) & ~Exists(running) & ~Exists(refund_open)


PURPOSE_RULES = [
    PurposeRule(code="textbook_shipping",
                label=_("Textbook shipping address and phone: the course ended and the textbook was shipped"),
                model=Enrollment, fields=("shipping_address", "shipping_phone"), method=DestructionMethod.ERASE,
                ended=_textbook_shipped),
    PurposeRule(code="naeil_card_number",
                label=_("Naeil learning card number: its enrolments ended and no refund is open"),
                model=SensitiveIdentifier, fields=("value",), method=DestructionMethod.DELETE,
                ended=_card_no_longer_needed),
]


@checks.register(checks.Tags.models)
def check_purpose_rules(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Every field a purpose rule destroys is a declared personal field."""
    return [checks.Error(f"purpose rule {rule.code}: {rule.model._meta.label}.{name} is not declared personal",
                         id="retention.E001")
            for rule in PURPOSE_RULES for name in rule.fields if registry.get(rule.model, name) is None]
