"""Partner imports (policy §1 수집방법): members' data received from a source company that obtained their
consent. Members are created or updated through members.services only; each imported row records the source,
the batch and the partner's consent reference; a bad row is skipped whole and reported; each new member gets
an invitation to set a password (and is asked for the required consents at first login)."""

import csv
import datetime
import io
import secrets
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from disclosures.models import ImportBatch, ImportedMember, Source
from members import bulk as member_bulk
from members import services as member_services
from members.encryption import NORMALIZERS
from members.models import Member

ENCODINGS = ("utf-8", "cp949")
# The columns a partner file may have, by the Korean or English header; anything else refuses the file,
# so that a partner cannot hand us items the policy does not collect (PIPA §16).
HEADERS = {
    "이름": "name", "성명": "name", "name": "name",
    "이메일": "email", "email": "email",
    "휴대전화번호": "mobile", "mobile": "mobile",
    "회사명": "company_name", "소속사": "company_name", "company_name": "company_name",
    "부서": "department", "department": "department",
    "직책": "job_title", "job_title": "job_title",
    "사번": "employee_number", "employee_number": "employee_number",
    "회사전화번호": "company_phone", "company_phone": "company_phone",
    "생년월일": "birth_date", "birth_date": "birth_date",
    "로그인ID": "login_id", "login_id": "login_id",
    "동의참조번호": "consent_reference", "consent_reference": "consent_reference",
}
REQUIRED = ("name", "email", "consent_reference")


def decode(content: bytes, encoding: str = "auto") -> tuple[str, str]:
    """The file's text and the encoding it was read in: UTF-8 (with or without BOM), else CP949."""
    for candidate in ENCODINGS if encoding == "auto" else (encoding,):
        try:
            return content.decode("utf-8-sig" if candidate == "utf-8" else candidate), candidate
        except (UnicodeDecodeError, LookupError):
            continue
    raise ValidationError({"file": _("File: it is neither UTF-8 nor CP949 text; save it as CSV again.")})


def _columns(header: list[str]) -> list[str]:
    names = [HEADERS.get(column.strip()) for column in header]
    unknown = [column for column, name in zip(header, names, strict=True) if name is None]
    if unknown:
        raise ValidationError({"file": _("File: unknown columns %(columns)s; the import takes only the items the "
                                         "policy collects.") % {"columns": ", ".join(unknown)}})
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise ValidationError({"file": _("File: required columns are missing: %(columns)s.")
                               % {"columns": ", ".join(missing)}})
    return names


def _login_id_candidate(email: str) -> str:
    """A login ID from the email's local part (letters, digits, _) and a random suffix."""
    local = "".join(ch for ch in email.split("@")[0].lower() if ch.isascii() and (ch.isalnum() or ch == "_"))
    base = (local if local[:1].isalpha() else f"m{local}")[:14] or "member"
    return f"{base}_{secrets.randbelow(10 ** 5):05d}"


def _login_id(email: str) -> str:
    """A login ID from the email, unique among the members."""
    return _login_ids([email], taken=set())[0]


def _login_ids(emails: list[str], *, taken: set[str]) -> list[str]:
    """A login ID for each email, unique among the members, each other and `taken` (normalised login IDs the
    batch already uses): drawn for all at once and checked with one query, then drawn again for any clash."""
    normalize = NORMALIZERS["login_id"]
    chosen = [_login_id_candidate(email) for email in emails]
    redraw = list(range(len(emails)))
    while redraw:
        held = Member.objects.holding_login_ids(chosen[position] for position in redraw)
        used = set(taken) | {normalize(chosen[position]) for position in range(len(emails))
                             if position not in redraw}
        again = []
        for position in redraw:
            key = normalize(chosen[position])
            if key in held or key in used:
                chosen[position] = _login_id_candidate(emails[position])
                again.append(position)
            else:
                used.add(key)
        redraw = again
    return chosen


def _row_values(names: list[str], row: list[str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    values = {name: cell.strip() for name, cell in zip(names, row, strict=False) if cell.strip()}
    errors: dict[str, list[str]] = {}
    if len(row) != len(names):
        errors["row"] = [_("Row: it has %(found)s cells where the header has %(expected)s.")
                         % {"found": len(row), "expected": len(names)}]
    if not values.get("consent_reference"):
        errors["consent_reference"] = [_("Consent reference: the partner's reference of the member's consent to "
                                         "provide their data is required.")]
    if "birth_date" in values:
        try:
            values["birth_date"] = datetime.date.fromisoformat(values["birth_date"])
        except ValueError:
            errors["birth_date"] = [_("Birth date: use the form YYYY-MM-DD.")]
    return values, errors


# Invitations sent by one task run (one mail connection); the task runs again for the rest.
INVITE_BATCH = 200


def invitations_send(*, batch_id: int, base_url: str, limit: int = INVITE_BATCH) -> tuple[int, bool]:
    """Email up to `limit` members the import created, and not yet invited, a link to set their password
    (Django's password-reset token), over one mail connection; each is marked invited in the same
    transaction. Rows another run holds are skipped (two runs never send the same invitation at once); a
    failed send marks none of the run, which is sent again (at least once). Returns (sent, more to send)."""
    with transaction.atomic():
        rows = list(ImportedMember.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(batch_id=batch_id, action=ImportedMember.Action.CREATED, invited_at__isnull=True)
                    .exclude(member__status=Member.Status.WITHDRAWN)
                    .select_related("member").order_by("pk")[: limit + 1])
        more, rows = len(rows) > limit, rows[:limit]
        messages = [_invitation(row.member, base_url) for row in rows]
        if messages:
            get_connection().send_messages(messages)
            ImportedMember.objects.filter(pk__in=[row.pk for row in rows]).update(invited_at=timezone.now())
    return len(messages), more


def _invitation(member: Member, base_url: str) -> EmailMessage:
    link = base_url.rstrip("/") + reverse("disclosures:invitation", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(member.pk)), "token": default_token_generator.make_token(member)})
    with translation.override("ko"):
        subject = _("Your learning account is ready: set your password")
        body = render_to_string("disclosures/invitation_email.txt", {"member": member, "link": link})
    return EmailMessage(subject, body, None, [member.email])


# Rows created together: each batch's new members are checked and written at once (members.bulk).
IMPORT_BATCH = 1000


@transaction.atomic
def partner_import(*, source: Source, content: bytes, filename: str, actor: Member, base_url: str,
                   encoding: str = "auto") -> ImportBatch:
    """Import one partner file. Each row is created or updated whole or skipped whole; the batch records every
    skipped row with the field and the rule, never the row's values. New members are checked and written
    IMPORT_BATCH rows at a time (members.bulk: the same rules as member_create, the database asked once per
    batch); a row for a member who already exists is an update, through member_update in its own savepoint."""
    text, used = decode(content, encoding)
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise ValidationError({"file": _("File: it is empty.")})
    names = _columns(header)
    batch = ImportBatch.objects.create(source=source, filename=filename[:200], encoding=used, actor=actor)
    rows, report = [], []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        values, errors = _row_values(names, row)
        if errors:
            report.append({"row": number, "errors": errors})
            continue
        rows.append((number, values, values.pop("consent_reference")))
    imported = []
    for start in range(0, len(rows), IMPORT_BATCH):
        imported += _import_rows(rows[start : start + IMPORT_BATCH], batch, source, report)
    imported.sort(key=lambda row: row.row_number)
    report.sort(key=lambda entry: entry["row"])
    ImportedMember.objects.bulk_create(imported)
    batch.created_count = sum(row.action == ImportedMember.Action.CREATED for row in imported)
    batch.updated_count = len(imported) - batch.created_count
    batch.skipped_count, batch.report = len(report), report
    batch.save(update_fields=["created_count", "updated_count", "skipped_count", "report"])
    if batch.created_count:
        invitations_queue(batch=batch, base_url=base_url)
    return batch


def invitations_queue(*, batch: ImportBatch, base_url: str) -> None:
    """Queue the import's unsent invitations for a worker, after commit: a big file's mails do not hold the
    officer's request. A broker that cannot be reached is logged and leaves the rows "not yet sent", which the
    officer queues again from the import list; the import itself stands."""
    from disclosures.tasks import send_invitations

    transaction.on_commit(lambda: send_invitations.delay(batch.pk, base_url), robust=True)


def invitations_pending(batches: Iterable[ImportBatch]) -> list[ImportBatch]:
    """The batches that still have a created member's invitation to send, in one query."""
    batches = list(batches)
    pending = set(ImportedMember.objects.filter(batch__in=batches, action=ImportedMember.Action.CREATED,
                                                invited_at__isnull=True)
                  .exclude(member__status=Member.Status.WITHDRAWN).values_list("batch_id", flat=True))
    return [batch for batch in batches if batch.pk in pending]


def _import_rows(rows: list[tuple[int, dict[str, Any], str]], batch: ImportBatch, source: Source,
                 report: list[dict]) -> list[ImportedMember]:
    """One batch of a file's rows: the members their emails name are read with one query; rows of new members
    are created together; the others (an existing member, or an email an earlier row of the batch brings) go
    one by one, after them, as the rows of the file would."""
    normalize = NORMALIZERS["email"]
    existing = Member.objects.holding_emails(values["email"] for _number, values, _reference in rows)
    new, one_by_one, seen = [], [], set()
    for entry in rows:
        key = normalize(entry[1]["email"])
        if key in existing or key in seen:
            one_by_one.append(entry)
        else:
            seen.add(key)
            new.append(entry)
    given = {NORMALIZERS["login_id"](values["login_id"]) for _number, values, _reference in new
             if values.get("login_id")}
    drawn = iter(_login_ids([values["email"] for _number, values, _reference in new if not values.get("login_id")],
                            taken=given))
    fields = [{**values, "login_id": values.get("login_id") or next(drawn)} for _number, values, _reference in new]
    created, refused = member_bulk.members_create_each(fields)
    imported = []
    for position, ((number, _values, reference), member) in enumerate(zip(new, created, strict=True)):
        if member is None:
            report.append({"row": number, "errors": ValidationError(refused[position]).message_dict})
        else:
            imported.append(ImportedMember(batch=batch, source=source, member=member, row_number=number,
                                           consent_reference=reference[:100], action=ImportedMember.Action.CREATED))
    for number, values, reference in one_by_one:
        try:
            member, action = _import_one(values)
        except ValidationError as error:
            found = error.message_dict if hasattr(error, "error_dict") else {"row": error.messages}
            report.append({"row": number, "errors": {name: [str(message) for message in messages]
                                                     for name, messages in found.items()}})
            continue
        imported.append(ImportedMember(batch=batch, source=source, member=member, row_number=number,
                                       consent_reference=reference[:100], action=action))
    return imported


def _import_one(values: dict[str, Any]) -> tuple[Member, str]:
    """One row, in its own savepoint: the member its email names is updated (unless they have left), or created."""
    with transaction.atomic():
        existing = Member.objects.by_email(values["email"]).first()
        if existing is not None and existing.status == Member.Status.WITHDRAWN:
            raise ValidationError({"email": [_("Email: this member has left; their data is not imported again.")]})
        if existing is not None:
            values.pop("login_id", None)
            return member_services.member_update(member=existing, **values), ImportedMember.Action.UPDATED
        login_id = values.pop("login_id", None) or _login_id(values["email"])
        return (member_services.member_create(login_id=login_id, password=None, **values),
                ImportedMember.Action.CREATED)

