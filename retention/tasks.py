from celery import shared_task
from celery.utils.log import get_task_logger

from retention import services

logger = get_task_logger(__name__)

BATCHES_PER_TASK = 50


@shared_task(bind=True, max_retries=3, default_retry_delay=60, soft_time_limit=540, time_limit=600,
             autoretry_for=(ConnectionError,), retry_backoff=True)
def retention_sweep(self, batch_size: int = 1000) -> dict:
    """The daily sweep (beat, 03:00 Asia/Seoul): a bounded number of batches, then it chains itself until
    nothing expired is left. A rerun or a duplicate delivery destroys nothing twice."""
    report = services.retention_sweep(batch_size=batch_size, max_batches=BATCHES_PER_TASK)
    logger.info("retention sweep %s: %d destroyed, %d held, %d undecryptable (more: %s)", report.run_id,
                report.destroyed, report.held, report.undecryptable, report.has_more)
    if report.has_more:
        retention_sweep.apply_async(kwargs={"batch_size": batch_size},
                                    queue=(self.request.delivery_info or {}).get("routing_key"))
    return {"run_id": str(report.run_id), "destroyed": report.destroyed, "held": report.held,
            "undecryptable": report.undecryptable, "has_more": report.has_more}
