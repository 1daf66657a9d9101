"""The files that go to recipients: CSV in UTF-8 with a BOM, so that Excel opens Korean correctly."""

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from disclosures.items import ITEMS
from disclosures.models import CorrectionNotice, ProvisionBatch
from members.models import Enrollment, Member, SensitiveIdentifier

BOM = "\ufeff"
# A cell starting with one of these is run as a formula by spreadsheets (CSV injection): quote it.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return (BOM + buffer.getvalue()).encode("utf-8")


def _learning(member_ids: list[int]) -> dict[int, str]:
    found: dict[int, list[str]] = {}
    for member_id, title, started, ended in (Enrollment.objects.filter(member_id__in=member_ids,
                                                                       cancelled_at__isnull=True)
                                             .order_by("started_on", "pk")
                                             .values_list("member_id", "course__title", "started_on", "ended_on")):
        found.setdefault(member_id, []).append(f"{title}({started:%Y-%m-%d}~{ended:%Y-%m-%d})")
    return {member_id: "; ".join(courses) for member_id, courses in found.items()}


def _last_ip(member_ids: list[int]) -> dict[int, str]:
    """The IP of each member's latest application (later rows overwrite earlier ones)."""
    return {enrollment.member_id: enrollment.applied_ip or ""
            for enrollment in Enrollment.objects.filter(member_id__in=member_ids).order_by("created_at", "pk")
            .only("member_id", "applied_ip", "seal")}


def member_values(member_ids: list[int], items: Sequence[str]) -> dict[int, dict[str, str]]:
    """The current value of each item for each member, in a fixed number of queries."""
    fields = [ITEMS[code].member_field for code in items if ITEMS[code].member_field]
    # The row seal is read with the values: it is part of each value's associated data.
    members = Member.objects.filter(pk__in=member_ids).only("pk", "seal", *fields)
    values = {member.pk: {code: getattr(member, ITEMS[code].member_field) or "" for code in items
                          if ITEMS[code].member_field} for member in members}
    extra = {}
    if "rrn" in items:
        extra["rrn"] = {identifier.member_id: identifier.value for identifier in SensitiveIdentifier.objects
                        .filter(member_id__in=member_ids, kind="rrn").only("member_id", "value", "seal")}
    if "ip" in items:
        extra["ip"] = _last_ip(member_ids)
    if "learning" in items:
        extra["learning"] = _learning(member_ids)
    if "service_log" in items:
        extra["service_log"] = {member_id: f"{timezone.localtime(last_login):%Y-%m-%d %H:%M}" if last_login else ""
                                for member_id, last_login in Member.objects.filter(pk__in=member_ids)
                                .values_list("pk", "last_login")}
    for code, by_member in extra.items():
        for member_id in values:
            values[member_id][code] = by_member.get(member_id, "")
    return values


def provision_csv(batch: ProvisionBatch, member_ids: list[int]) -> bytes:
    """The provision file: one row per provided member, the batch's items in the recipient's order."""
    values = member_values(member_ids, batch.items)
    terms = batch.recipient.terms
    policy_words = [word.strip() for word in terms.items_text.split(",")]
    if batch.items == terms.item_codes and len(policy_words) == len(batch.items):
        header = policy_words  # the policy's own words for this recipient's items (e.g. 연락처)
    else:
        with translation.override("ko"):
            header = [str(ITEMS[code].label) for code in batch.items]
    return csv_bytes(header, ([values[member_id][code] for code in batch.items] for member_id in member_ids))


def correction_csv(notices: Sequence[CorrectionNotice]) -> bytes:
    """The correction notice file for one recipient: for each corrected item, the old value masked and the
    new value as it is now (policy §7)."""
    member_ids = list(dict.fromkeys(notice.member_id for notice in notices))
    codes = list(dict.fromkeys(code for notice in notices for code in notice.items))
    current = member_values(member_ids, [*dict.fromkeys(["name", *codes])])
    with translation.override("ko"):
        header = [_("Notice number"), str(ITEMS["name"].label), _("Corrected item"), _("Before (masked)"),
                  _("After"), _("Corrected at")]
        rows = [[notice.pk, current[notice.member_id]["name"], str(ITEMS[code].label),
                 notice.old_values_masked.get(code, ""), current[notice.member_id][code],
                 f"{timezone.localtime(notice.created_at):%Y-%m-%d %H:%M}"]
                for notice in notices for code in notice.items]
    return csv_bytes(header, rows)
