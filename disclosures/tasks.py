from smtplib import SMTPException

from celery import shared_task
from celery.utils.log import get_task_logger

from disclosures import imports

logger = get_task_logger(__name__)


@shared_task(bind=True, max_retries=5, default_retry_delay=60, soft_time_limit=240, time_limit=300,
             autoretry_for=(ConnectionError, SMTPException), retry_backoff=True)
def send_invitations(self, batch_id: int, base_url: str) -> dict:
    """A partner import's invitations, INVITE_BATCH at a time, chaining itself until every created member of
    the import has one; a run that finds them all sent sends nothing."""
    sent, more = imports.invitations_send(batch_id=batch_id, base_url=base_url)
    logger.info("import %d: %d invitations sent (more: %s)", batch_id, sent, more)
    if more:
        send_invitations.apply_async(args=(batch_id, base_url),
                                     queue=(self.request.delivery_info or {}).get("routing_key"))
    return {"sent": sent, "more": more}
