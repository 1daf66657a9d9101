"""The declaration of personal data: each app says once which of its fields are personal data.

The same declaration drives masking in the admin, "download my data", the withdrawal split, the retention
sweep, the access-log field names and the items list on the policy page (DESIGN.md).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.functional import Promise
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _
from django_cryptography.fields import EncryptedMixin

from members.masking import MASKS


class Category(models.TextChoices):
    ACCOUNT = "account", _("account")
    IDENTITY = "identity", _("identity")
    CONTACT = "contact", _("contact details")
    EMPLOYMENT = "employment", _("employment")
    IDENTITY_VERIFICATION = "identity_verification", _("identity verification (i-PIN)")
    UNIQUE_IDENTIFIER = "unique_identifier", _("unique identifier")
    PAYMENT = "payment", _("payment")
    SERVICE_RECORD = "service_record", _("service use record")
    SHIPPING = "shipping", _("shipping")


class Retention(models.TextChoices):
    """Policy §2: what keeps a field after its purpose ends (the retention issue gives each its period)."""

    EMPLOYMENT_INSURANCE_REFUND = "employment_insurance_refund", _("employment-insurance refund review (3 years)")
    DISABILITY_AWARENESS = "disability_awareness", _("disability-awareness training records (3 years)")
    ECOMMERCE_CONTRACT = "ecommerce_contract", _("contract and withdrawal-of-offer records (5 years)")
    ECOMMERCE_PAYMENT = "ecommerce_payment", _("payment and supply records (5 years)")
    ECOMMERCE_COMPLAINT = "ecommerce_complaint", _("consumer complaint and dispute records (3 years)")


@dataclass(frozen=True)
class PersonalField:
    """One personal field: what it is, how it is protected, shown, kept and exported."""

    model: type[models.Model]
    name: str
    category: Category
    encrypted: bool
    mask: str | dict[str, str]
    export_label: Promise
    retention: tuple[Retention, ...] = ()
    exported: bool = True
    # When `mask` is a dict, this attribute of the row picks the mask (e.g. an identifier's kind).
    mask_key: str = ""

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.name}"

    def mask_names(self) -> list[str]:
        return list(self.mask.values()) if isinstance(self.mask, dict) else [self.mask]

    def masked(self, instance: models.Model) -> str:
        mask = self.mask[getattr(instance, self.mask_key)] if isinstance(self.mask, dict) else self.mask
        return MASKS[mask](getattr(instance, self.name))


@dataclass
class Registry:
    fields: dict[tuple[type[models.Model], str], PersonalField] = field(default_factory=dict)
    discovered: bool = False

    def discover(self) -> None:
        """Import every app's personal_data module once (readers may come before MembersConfig.ready)."""
        if not self.discovered:
            self.discovered = True
            autodiscover_modules("personal_data")

    def declare(self, model: type[models.Model], *declared: PersonalField) -> None:
        for item in declared:
            if item.model is not model:
                raise ValueError(f"{item.label} declared under {model._meta.label}")
            self.fields[(model, item.name)] = item

    def for_model(self, model: type[models.Model]) -> list[PersonalField]:
        self.discover()
        return [item for (owner, _name), item in self.fields.items() if owner is model]

    def get(self, model: type[models.Model], name: str) -> PersonalField | None:
        self.discover()
        return self.fields.get((model, name))

    def __iter__(self) -> Iterator[PersonalField]:
        self.discover()
        return iter(self.fields.values())


registry = Registry()


@cache
def member_path(model: type[models.Model]) -> str:
    """The ORM path from a model's rows to the member they are about, following foreign keys ("member" on an
    enrolment, "identifier__member" on an identifier's correction, "" on the member itself). The subject's
    key is named `member` throughout; keys to staff (corrected_by, actor, approved_by) are not followed."""
    if model._meta.label == settings.AUTH_USER_MODEL:
        return ""
    queue = [(model, "")]
    seen = {model}
    while queue:
        current, path = queue.pop(0)
        for model_field in current._meta.concrete_fields:
            if not isinstance(model_field, models.ForeignKey):
                continue
            target = model_field.related_model
            step = f"{path}__{model_field.name}" if path else model_field.name
            if target._meta.label == settings.AUTH_USER_MODEL:
                if model_field.name == "member":
                    return step
                continue
            if target not in seen:
                seen.add(target)
                queue.append((target, step))
    raise LookupError(f"{model._meta.label} has no foreign-key path to a member")


def personal(model: type[models.Model], name: str, category: Category, *, mask: str | dict[str, str],
             label: Promise, retention: tuple[Retention, ...] = (), encrypted: bool = True, exported: bool = True,
             mask_key: str = "") -> PersonalField:
    return PersonalField(model=model, name=name, category=category, encrypted=encrypted, mask=mask,
                         export_label=label, retention=retention, exported=exported, mask_key=mask_key)


@checks.register(checks.Tags.models)
def check_declarations(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A declaration must name a real field, a known mask, and be encrypted in the model when it says so."""
    errors = []
    for item in registry:
        try:
            model_field = item.model._meta.get_field(item.name)
        except FieldDoesNotExist:
            errors.append(checks.Error(f"{item.label} is declared personal but has no such field", id="members.E001"))
            continue
        for mask in item.mask_names():
            if mask not in MASKS:
                errors.append(checks.Error(f"{item.label}: unknown mask {mask!r}", id="members.E002"))
        if item.encrypted != isinstance(model_field, EncryptedMixin):
            state = "encrypted" if item.encrypted else "not encrypted"
            errors.append(checks.Error(f"{item.label} is declared {state} but the model field is not",
                                       id="members.E003"))
    return errors
