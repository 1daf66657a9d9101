"""Every write to consents and policy versions, and the rules they obey (PIPA §17, §22, §22-2; policy §12)."""

import datetime
import random
from collections.abc import Iterable, Mapping
from typing import Any

import pgtrigger
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consents import selectors
from consents.marketing import marketing_result_notices
from consents.models import (
    Channel,
    ConsentItem,
    ConsentRecord,
    ConsentText,
    GuardianConsent,
    MarketingNotice,
    PolicyVersion,
)
from consents.texts import consent_text, consent_text_hashes, sha256
from members import services as member_services
from members import validators
from members.bulk import copy_rows_keys_checked, row_clean
from members.models import Member
from members.registry import registry

GUARDIAN_AGE = 14
NOTICE_DAYS = 7


def age_on(birth_date: datetime.date, today: datetime.date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def _texts_save(texts: Mapping[str, str]) -> None:
    ConsentText.objects.bulk_create([ConsentText(sha256=key, text=value) for key, value in texts.items()],
                                    ignore_conflicts=True)


def _consent_errors(items: list[ConsentItem], decisions: Mapping[str, bool],
                    shown: Mapping[str, str]) -> tuple[dict[str, list], dict[str, str]]:
    """Check a sign-up's decisions against the items in force; returns errors by field and the texts agreed."""
    errors: dict[str, list] = {}
    known = {item.code: item for item in items}
    for code in sorted((set(decisions) | set(shown)) - set(known)):
        errors.setdefault("consents", []).append(
            _("Consents: %(code)s is not a consent item of the policy in force.") % {"code": code})
    texts = {}
    for item in items:
        field = f"consent_{item.code}"
        hashes = consent_text_hashes(item)
        if shown.get(item.code) not in hashes:
            errors[field] = [_("%(item)s: the text you were shown is not the text in force; please read it again.")
                             % {"item": item.title}]
            continue
        texts[shown[item.code]] = hashes[shown[item.code]]
        if item.required and not decisions.get(item.code):
            errors[field] = [_("%(item)s: this consent is required to use the education service.")
                             % {"item": item.title}]
    return errors, texts


def _guardian_errors(birth_date: Any, guardian: Mapping[str, Any] | None) -> tuple[dict[str, list], bool]:
    """PIPA §22-2: under 14, the legal guardian's name, contact and consent come before the account is used."""
    if not isinstance(birth_date, datetime.date) or age_on(birth_date, timezone.localdate()) >= GUARDIAN_AGE:
        return {}, False
    guardian = guardian or {}
    errors = {}
    if not (guardian.get("name") or "").strip():
        errors["guardian_name"] = [_("Guardian's name: required for a member under 14 (PIPA §22-2).")]
    else:
        try:
            validators.validate_person_name(guardian["name"])
        except ValidationError as error:
            errors["guardian_name"] = error.messages
    contact = (guardian.get("contact") or "").strip()
    if not contact:
        errors["guardian_contact"] = [_("Guardian's contact: required for a member under 14 (PIPA §22-2).")]
    else:
        try:
            validators.normalize_mobile(contact)
        except ValidationError as error:
            errors["guardian_contact"] = error.messages
    if not guardian.get("consent"):
        errors["guardian_consent"] = [_("Guardian's consent: the legal guardian must consent for a member under "
                                        "14 (PIPA §22-2).")]
    return errors, True


@transaction.atomic
def member_sign_up(*, member_fields: Mapping[str, Any], password: str, decisions: Mapping[str, bool],
                   shown: Mapping[str, str], policy_version: Any, guardian: Mapping[str, Any] | None = None,
                   ip: str | None = None, user_agent: str = "") -> Member:
    """Create a member and record every consent decision of the sign-up in the same transaction.

    Each item is asked separately (PIPA §22①); a required item must be granted, an optional one never blocks
    sign-up (§22⑤); the text agreed must be the text in force (its hash); under 14 needs a guardian (§22-2).
    A wrong value anywhere saves nothing.
    """
    now = timezone.now()
    version = selectors.current_version(now)
    items = selectors.signup_items(now)
    errors: dict[str, list] = {}
    if version is None or not items:
        raise ValidationError(_("Sign-up is closed: no privacy policy is in force yet."))
    if str(policy_version) != str(version.pk):
        errors["policy_version"] = [_("Privacy policy: the policy changed while you were signing up; please "
                                      "read the consents again.")]
    consent_errors, texts = _consent_errors(items, decisions, shown)
    guardian_errors, needs_guardian = _guardian_errors(member_fields.get("birth_date"), guardian)
    errors |= consent_errors | guardian_errors
    try:
        # Run even when a consent is refused, so that every field's error is reported at once; a member written
        # here is rolled back with this service's transaction when anything is wrong.
        member = member_services.member_create(password=password, **member_fields)
        if errors:
            raise ValidationError({})
    except ValidationError as error:
        found = error.error_dict if hasattr(error, "error_dict") else {"__all__": error.error_list}
        raise ValidationError({**found, **errors}) from None
    if needs_guardian:
        guardian_record = GuardianConsent(member=member, guardian_name=guardian["name"].strip(),
                                          guardian_contact=validators.normalize_mobile(guardian["contact"]),
                                          consented_at=now, ip=ip or None)
        row_clean(guardian_record)  # the member was created above, in this transaction: no key to look up
        guardian_record.save()
    _texts_save(texts)
    records = ConsentRecord.objects.bulk_create([
        ConsentRecord(member=member, item=item, policy_version=version, granted=bool(decisions.get(item.code)),
                      recorded_at=now, channel=Channel.WEB, ip=ip or None, user_agent=user_agent[:300],
                      text_id=shown[item.code])
        for item in items
    ])
    marketing_result_notices(member=member, records=[r for r in records if r.item.is_marketing and r.granted])
    return member


@transaction.atomic
def consent_change(*, member: Member, item: ConsentItem, granted: bool, channel: str = Channel.WEB,
                   ip: str | None = None, user_agent: str = "", language: str | None = None,
                   at: datetime.datetime | None = None) -> ConsentRecord | None:
    """Grant or withdraw one consent; a change that changes nothing (already in that state) writes no row
    and returns None. Marketing changes send the result notice on commit (정보통신망법 §50⑧)."""
    at = at or timezone.now()
    version = selectors.current_version(at)
    if version is None:
        raise ValidationError(_("No privacy policy is in force yet."))
    # Lock the member row so two simultaneous changes cannot both see the old state.
    if Member.objects.select_for_update().filter(pk=member.pk).values_list("pk", flat=True).first() is None:
        raise ValidationError({"member": [_("Member: this member no longer exists.")]})
    latest = selectors.current_consents([member.pk], codes=[item.code]).get(member.pk, {}).get(item.code)
    if (latest is not None and latest.granted == granted) or (latest is None and not granted):
        return None
    text = consent_text(item, language)
    _texts_save({sha256(text): text})
    record = ConsentRecord(member=member, item=item, policy_version=version, granted=granted, recorded_at=at,
                           channel=channel, ip=ip or None, user_agent=user_agent[:300], text_id=sha256(text))
    # Its keys need no lookup: the member is locked above, the version was read and the text written in this
    # transaction, and the item is the caller's; the database's own constraints still hold them.
    row_clean(record)
    record.save()
    if item.is_marketing:
        marketing_result_notices(member=member, records=[record])
    return record


def consent_grant(*, member: Member, item: ConsentItem, **kwargs: Any) -> ConsentRecord | None:
    return consent_change(member=member, item=item, granted=True, **kwargs)


def consent_withdraw(*, member: Member, item: ConsentItem, **kwargs: Any) -> ConsentRecord | None:
    """Withdrawing a consent that is not active is a no-op: no new row (returns None)."""
    return consent_change(member=member, item=item, granted=False, **kwargs)


@transaction.atomic
def consents_renew(*, member: Member, granted: Iterable[str], ip: str | None = None, user_agent: str = "",
                   language: str | None = None) -> list[ConsentRecord]:
    """Consent again to the required items a new version added (asked at next login; nothing is assumed)."""
    pending = {item.code: item for item in selectors.pending_required_items(member.pk)}
    granted = set(granted)
    missing = [item for code, item in pending.items() if code not in granted]
    if missing:
        raise ValidationError({f"consent_{item.code}": [
            _("%(item)s: this consent is required to use the education service.") % {"item": item.title}]
            for item in missing})
    return [record for item in pending.values()
            if (record := consent_grant(member=member, item=item, ip=ip, user_agent=user_agent, language=language))]


def consents_close_for_withdrawal(*, member: Member, actor: Member | None,
                                  at: datetime.datetime | None = None) -> list[ConsentRecord]:
    """Membership withdrawal (policy §8, 동의 철회) closes every consent still granted; see
    consents_close_for_withdrawals."""
    return consents_close_for_withdrawals(members=[member], actor=actor, at=at)


@transaction.atomic(savepoint=False)
def consents_close_for_withdrawals(*, members: list[Member], actor: Member | None,
                                   at: datetime.datetime | None = None) -> list[ConsentRecord]:
    """Membership withdrawal (policy §8, 동의 철회) closes every consent still granted, one withdrawal record
    each, in the withdrawal's transaction; many members at once in three queries. No marketing result notice
    goes out: the members' contact details are destroyed with their accounts."""
    at = at or timezone.now()
    version = selectors.current_version(at)
    if version is None or not members:
        return []
    state = selectors.current_consents([member.pk for member in members])
    closing = []
    for member in members:
        channel = Channel.WEB if actor is not None and actor.pk == member.pk else Channel.ADMIN
        closing += [
            ConsentRecord(member=member, item_id=record.item_id, policy_version=version, granted=False, recorded_at=at,
                          channel=channel, text_id=record.text_id)
            for record in state.get(member.pk, {}).values() if record.granted]
    return ConsentRecord.objects.bulk_create(closing) if closing else []


def consents_erase_for_withdrawals(*, members: list[Member]) -> list[tuple[str, str, int]]:
    """Membership withdrawal erases the personal fields this app declares (consents.personal_data): the IP
    address and browser on the members' consent records, the guardian's name, contact and IP. The records
    stay as evidence of what was consented to, when and to which text; no rule keeps these fields, so nothing
    of them is archived. The one path that changes a consent record besides the purge (the trigger refuses any
    other UPDATE). Returns (record type, data category, rows) of what was erased, for the destruction ledger."""
    ids = [member.pk for member in members]
    erased = []
    with transaction.atomic(savepoint=False), pgtrigger.ignore("consents.ConsentRecord:append_only"):
        for model in (ConsentRecord, GuardianConsent):
            declared = registry.for_model(model)
            values = {item.name: None if model._meta.get_field(item.name).null else "" for item in declared}
            rows = model.objects.filter(member_id__in=ids)
            if model is ConsentRecord:  # rows that hold nothing any more are not rewritten
                rows = rows.exclude(ip__isnull=True, user_agent="")
            count = rows.update(**values)
            if count:
                erased += [(model._meta.label, category, count)
                           for category in sorted({item.category for item in declared})]
    return erased


def consent_records_purge(*, member_ids: Iterable[int]) -> dict[str, int]:
    """The one path that deletes consent records: the retention sweep destroying a member's data once no law
    keeps it (PIPA §21; the rule is retention.records). The database trigger refuses any other DELETE. The
    evidence that goes with the records goes with them: the marketing notices sent about them and the legal
    guardian's consent (PIPA §22-2). Returns the rows deleted by record type (model label)."""
    member_ids = list(member_ids)
    deleted: dict[str, int] = {}
    with transaction.atomic(), pgtrigger.ignore("consents.ConsentRecord:append_only"):
        for model in (MarketingNotice, ConsentRecord, GuardianConsent):
            _total, by_model = model.objects.filter(member_id__in=member_ids).delete()
            deleted[model._meta.label] = by_model.get(model._meta.label, 0)
    return deleted


def _publish_errors(version: PolicyVersion, published_at: datetime.datetime) -> dict[str, list]:
    if version.is_published:
        return {"published_at": [_("Published at: this version is already published.")]}
    if version.effective_at < published_at + datetime.timedelta(days=NOTICE_DAYS):
        return {"effective_at": [_("Effective at: a change takes effect at least 7 days after it is announced "
                                   "(privacy policy §12); the earliest is %(earliest)s.")
                                 % {"earliest": timezone.localtime(published_at + datetime.timedelta(days=NOTICE_DAYS))
                                    .strftime("%Y-%m-%d %H:%M")}]}
    return {}


@transaction.atomic
def policy_version_publish(*, version: PolicyVersion, published_at: datetime.datetime | None = None,
                           enforce_notice: bool = True) -> PolicyVersion:
    """Publish a draft: its text is rendered from the live registries and frozen with its SHA-256. It takes
    effect no sooner than 7 days after publishing (policy §12); members see a notice until then.
    `enforce_notice=False` is for load_policy's historical version only."""
    from consents.policy import policy_text

    published_at = published_at or timezone.now()
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    errors = _publish_errors(version, published_at)
    if not enforce_notice:
        errors.pop("effective_at", None)
    if errors:
        raise ValidationError(errors)
    version.published_at = published_at
    version.text = policy_text(version)
    version.text_sha256 = sha256(version.text)
    version.full_clean()
    version.save()
    return version


@transaction.atomic
def policy_version_draft(*, version: str, effective_at: datetime.datetime, change_summary: str) -> PolicyVersion:
    draft = PolicyVersion(version=version.strip(), effective_at=effective_at, change_summary=change_summary.strip())
    draft.full_clean()
    draft.save()
    return draft


# A realistic mix for demo members: the share who granted each optional item.
DEMO_SHARES = {
    ConsentItem.Kind.UNIQUE_IDENTIFIER: 0.35, ConsentItem.Kind.THIRD_PARTY: 0.45,
    ConsentItem.Kind.MARKETING_EMAIL: 0.4, ConsentItem.Kind.MARKETING_SMS: 0.3,
    ConsentItem.Kind.MARKETING_NIGHT: 0.08, ConsentItem.Kind.ANALYTICS_COOKIES: 0.55,
}


def consents_import(*, members: list[Member], channel: str = Channel.IMPORT, seed: int = 2023) -> int:
    """Record demo members' consents in bulk (demo data only, never real people's: a partner import's members
    consent at first login): every required item granted and a seeded mix of optional ones. Does nothing
    while no policy is loaded. Returns rows written."""
    version = PolicyVersion.objects.current()
    items = list(selectors.items_in_force())
    if version is None or not items or not members:
        return 0
    texts = {item.code: consent_text(item, "ko") for item in items}
    _texts_save({sha256(text): text for text in texts.values()})
    chooser = random.Random(seed + members[0].pk)
    text_ids = {item.pk: sha256(texts[item.code]) for item in items}
    night = ConsentItem.Kind.MARKETING_NIGHT
    # The items in force, in order: (id, required, kind, share of members who grant it).
    plan = [(item.pk, item.required, item.kind, DEMO_SHARES.get(item.kind, 0.4)) for item in items]

    def rows():
        for member in members:
            sms = False
            for item_id, required, kind, share in plan:
                if required:
                    granted = True
                elif kind == night:
                    granted = sms and chooser.random() < 0.3
                else:
                    granted = chooser.random() < share
                sms = sms or (kind == ConsentItem.Kind.MARKETING_SMS and granted)
                yield (member.pk, item_id, version.pk, granted, member.date_joined, channel, None, "",
                       text_ids[item_id])

    # Evidence written like consent_record writes it, one COPY for the batch, its keys checked once (members/bulk.py).
    return copy_rows_keys_checked(ConsentRecord, ["member_id", "item_id", "policy_version_id", "granted",
                                                  "recorded_at", "channel", "ip", "user_agent", "text_id"], rows())
