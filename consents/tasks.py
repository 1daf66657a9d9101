from celery import shared_task
from celery.utils.log import get_task_logger

from consents import marketing

logger = get_task_logger(__name__)


@shared_task(soft_time_limit=60, time_limit=90)
def send_marketing_notices(notice_ids: list[int]) -> int:
    """The result notices of one consent change (정보통신망법 §50⑧), after its commit; a notice already sent is not
    sent again, and one the mail server refuses stays unsent for the daily resend. Returns how many were sent."""
    return marketing.marketing_notices_send(notice_ids=notice_ids)


@shared_task(bind=True, max_retries=3, default_retry_delay=60, soft_time_limit=240, time_limit=300,
             autoretry_for=(ConnectionError,), retry_backoff=True)
def marketing_reconfirmation_sweep(self, after_pk: int = 0, batch_size: int = 1000) -> dict:
    """The 2-year re-confirmation notices, one bounded batch of members at a time, chaining itself; the first
    batch also resends notices a failed send left behind. Safe to run twice."""
    resent = marketing.marketing_notices_resend() if after_pk == 0 else 0
    created, last_pk, has_more = marketing.marketing_reconfirmation_batch(after_pk=after_pk, batch_size=batch_size)
    logger.info("marketing re-confirmation: %d notices up to member %d (more: %s)", created, last_pk, has_more)
    if has_more:
        marketing_reconfirmation_sweep.apply_async(kwargs={"after_pk": last_pk, "batch_size": batch_size},
                                                   queue=(self.request.delivery_info or {}).get("routing_key"))
    return {"created": created, "resent": resent, "last_pk": last_pk, "has_more": has_more}
