from celery import shared_task
from celery.utils.log import get_task_logger

from members import services

logger = get_task_logger(__name__)


@shared_task(bind=True, max_retries=3, default_retry_delay=60, soft_time_limit=240, time_limit=300,
             autoretry_for=(ConnectionError,), retry_backoff=True)
def refresh_blind_indexes(self, after_pk: int = 0, batch_size: int = 500) -> dict:
    """Recompute members' blind indexes one bounded batch at a time, chaining itself until done."""
    updated, last_pk, has_more = services.member_blind_indexes_refresh(after_pk=after_pk, batch_size=batch_size)
    logger.info("blind indexes: %d updated up to member %d (more: %s)", updated, last_pk, has_more)
    if has_more:
        refresh_blind_indexes.apply_async(kwargs={"after_pk": last_pk, "batch_size": batch_size},
                                          queue=(self.request.delivery_info or {}).get("routing_key"))
    return {"updated": updated, "last_pk": last_pk, "has_more": has_more}
