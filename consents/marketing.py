"""Marketing consent rules (정보통신망법 §50, Decree §62-2 and §62-3): result notices, the 2-year
re-confirmation, and no SMS at night without its own consent."""

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from consents.models import ConsentItem, ConsentRecord, MarketingNotice
from consents.selectors import current_consents
from consents.sms import sms_sender
from members.models import Member

logger = logging.getLogger(__name__)

MARKETING_EMAIL, MARKETING_SMS, MARKETING_NIGHT = "marketing_email", "marketing_sms", "marketing_night"
MARKETING_CODES = (MARKETING_EMAIL, MARKETING_SMS, MARKETING_NIGHT)
SENDER = "(주)알파코"
NIGHT_STARTS, NIGHT_ENDS = datetime.time(21), datetime.time(8)
RECONFIRM_YEARS = 2
RECONFIRM_NOTICE_DAYS = 30


def marketing_may_send(member: Member, channel: str, at: datetime.datetime) -> bool:
    """May advertising go to this member by `channel` ("email" or "sms") at `at`? Only with an active consent
    for that channel; SMS between 21:00 and 08:00 Asia/Seoul also needs the night-time consent (email is
    exempt, Decree §61-2)."""
    if channel not in ("email", "sms") or not member.is_active:
        return False
    state = current_consents([member.pk], codes=MARKETING_CODES, at=at).get(member.pk, {})

    def active(code: str) -> bool:
        return code in state and state[code].granted

    if channel == "email":
        return active(MARKETING_EMAIL)
    local = timezone.localtime(at).time()
    night = local >= NIGHT_STARTS or local < NIGHT_ENDS
    return active(MARKETING_SMS) and (not night or active(MARKETING_NIGHT))


def marketing_result_notices(*, member: Member, records: Iterable[ConsentRecord]) -> list[MarketingNotice]:
    """Record a result notice for each marketing opt-in or opt-out and send it once the change is committed
    (정보통신망법 §50⑧: within 14 days; a worker sends them right after the commit)."""
    notices = MarketingNotice.objects.bulk_create(
        [MarketingNotice(kind=MarketingNotice.Kind.RESULT, member=member, record=record) for record in records])
    if notices:
        # One task for the change's notices (a sign-up may opt in to three), sent by a worker after commit: the
        # member's request never waits on the mail server. A broker that cannot be reached is logged (robust); the
        # notices then stay unsent for the daily resend.
        from consents.tasks import send_marketing_notices

        ids = [notice.pk for notice in notices]
        transaction.on_commit(lambda: send_marketing_notices.delay(ids), robust=True)
    return notices


def _body(notice: MarketingNotice) -> tuple[str, str]:
    record, item = notice.record, notice.record.item
    with translation.override("ko"):
        when = timezone.localtime(record.recorded_at).strftime("%Y-%m-%d")
        if notice.kind == MarketingNotice.Kind.RESULT:
            done = "수신 동의" if record.granted else "수신 거부(동의 철회)"
            subject = f"[{SENDER}] 광고성 정보 {done} 처리 결과 안내"
            body = (f"전송자: {SENDER}\n처리 내용: {item.title_ko} - {done}\n처리 일자: {when}\n"
                    "수신 동의는 회원 페이지의 [동의 관리]에서 언제든지 변경하실 수 있습니다.")
        else:
            subject = f"[{SENDER}] 광고성 정보 수신 동의 여부 확인 안내"
            body = (f"전송자: {SENDER}\n고객님은 {when}에 {item.title_ko}에 동의하셨습니다.\n"
                    f"관련 법령(정보통신망법 시행령 제62조의3)에 따라 {RECONFIRM_YEARS}년마다 수신 동의 여부를 "
                    f"확인해 드립니다. 수신을 계속 원하시면 별도 조치가 필요 없으며, 원하지 않으시면 회원 페이지의 "
                    "[동의 관리]에서 철회하실 수 있습니다.")
    return subject, body


def _message(notice: MarketingNotice) -> tuple[str, str, str]:
    """(channel, recipient, text): the notice goes by the channel its consent is about."""
    subject, body = _body(notice)
    member = notice.member
    if notice.record.item.kind == ConsentItem.Kind.MARKETING_EMAIL or not member.mobile:
        return "email", member.email, f"{subject}\n{body}"
    return "sms", member.mobile, f"{subject}\n{body}"


def marketing_notices_deliver(notices: QuerySet) -> int:
    """Send the unsent notices of a (bounded) queryset through one email connection and one SMS sender, and
    mark those sent in one update; a failed send stays unsent and is retried daily. Returns how many. The notices
    are locked while they are sent: a delivery running at the same moment (a change's task and the daily resend)
    skips them, so none goes out twice."""
    with transaction.atomic():
        pending = list(notices.filter(sent_at__isnull=True).select_related("record__item", "member")
                       .select_for_update(skip_locked=True, of=("self",)).only(
                           "kind", "record__granted", "record__recorded_at", "record__item__kind",
                           "record__item__title_ko", "member__email", "member__mobile", "member__seal"))
        if not pending:
            return 0
        sent = _send(pending)
        return MarketingNotice.objects.filter(pk__in=sent).update(sent_at=timezone.now())


def _send(pending: list[MarketingNotice]) -> list[int]:
    """Send each notice by its channel; returns the ids of those sent."""
    messages = [(notice, *_message(notice)) for notice in pending]
    sms, sent = sms_sender(), []
    mailer = _mail_connection() if any(channel == "email" for _notice, channel, *_rest in messages) else None
    try:
        for notice, channel, recipient, text in messages:
            if channel == "email" and mailer is None:
                continue  # the mail server could not be reached: left unsent for the resend
            subject, body = text.split("\n", 1)
            try:
                if channel == "email":
                    mailer.send_messages([EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])])
                else:
                    sms.send(to=recipient, body=text)
            except Exception:
                logger.exception("marketing notice %s could not be sent", notice.pk)
                continue
            sent.append(notice.pk)
    finally:
        if mailer is not None:
            mailer.close()
    return sent


def _mail_connection() -> Any:
    """An open connection of the email backend, or None when the mail server cannot be reached (logged): the SMS
    notices of the same delivery still go, and the email ones wait for the daily resend."""
    mailer = get_connection()
    try:
        mailer.open()
    except Exception:
        logger.exception("the mail server could not be reached; email notices stay unsent until the daily resend")
        return None
    return mailer


def marketing_notices_send(*, notice_ids: list[int]) -> int:
    """Send these notices; a notice already sent is not sent again. Returns how many were sent."""
    return marketing_notices_deliver(MarketingNotice.objects.filter(pk__in=notice_ids))


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def next_anniversary(granted_on: datetime.date, today: datetime.date) -> datetime.date:
    """The next 2-year anniversary of a consent on or after today."""
    cycles = max(1, (today.year - granted_on.year) // RECONFIRM_YEARS)
    due = _add_years(granted_on, RECONFIRM_YEARS * cycles)
    while due < today:
        cycles += 1
        due = _add_years(granted_on, RECONFIRM_YEARS * cycles)
    return due


def marketing_reconfirmation_batch(*, after_pk: int = 0, batch_size: int = 1000,
                                   today: datetime.date | None = None, send: bool = True) -> tuple[int, int, bool]:
    """One bounded batch of the re-confirmation sweep (Decree §62-3): for members after `after_pk`, each active
    marketing consent whose 2-year anniversary falls in the next 30 days gets one notice per cycle. Returns
    (notices created, last member pk, whether more remain); running it twice sends nothing twice."""
    today = today or timezone.localdate()
    member_ids = list(Member.objects.filter(pk__gt=after_pk, status=Member.Status.ACTIVE)
                      .order_by("pk").values_list("pk", flat=True)[:batch_size])
    if not member_ids:
        return 0, after_pk, False
    horizon = today + datetime.timedelta(days=RECONFIRM_NOTICE_DAYS)
    due = []
    for member_id, state in current_consents(member_ids, codes=MARKETING_CODES).items():
        for record in state.values():
            if record.granted:
                anniversary = next_anniversary(timezone.localtime(record.recorded_at).date(), today)
                if anniversary <= horizon:
                    due.append(MarketingNotice(kind=MarketingNotice.Kind.RECONFIRMATION, member_id=member_id,
                                               record=record, due_on=anniversary))
    created = 0
    if due:
        with transaction.atomic():
            before = MarketingNotice.objects.filter(record__in=[n.record for n in due],
                                                    kind=MarketingNotice.Kind.RECONFIRMATION).count()
            MarketingNotice.objects.bulk_create(due, ignore_conflicts=True)
            created = MarketingNotice.objects.filter(record__in=[n.record for n in due],
                                                     kind=MarketingNotice.Kind.RECONFIRMATION).count() - before
        if send:
            marketing_notices_deliver(MarketingNotice.objects.filter(member_id__in=member_ids,
                                                                     kind=MarketingNotice.Kind.RECONFIRMATION))
    return created, member_ids[-1], len(member_ids) == batch_size


def marketing_notices_resend(*, limit: int = 500) -> int:
    """Send again, in a bounded batch, notices a failed send left unsent."""
    unsent = MarketingNotice.objects.filter(sent_at__isnull=True).order_by("pk").values_list("pk", flat=True)
    return marketing_notices_deliver(MarketingNotice.objects.filter(pk__in=list(unsent[:limit])))
