"""load_policy: the seed policy into the registries, idempotently (later issues add their registries here)."""

import json
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from consents import seed
from consents.models import ComplaintBody, ConsentItem, PolicyContact, PolicyVersion
from consents.services import policy_version_publish

# Later apps' registries (recipients and processors, retention rules) load here too. They register their
# loader from their AppConfig.ready, so that consents imports none of them (apps depend one way).
REGISTRY_LOADERS: list[Callable[[], object]] = []


def policy_loader(loader: Callable[[], object]) -> None:
    """Have `load_policy` call `loader` (idempotent) before the seed version is published and frozen."""
    if loader not in REGISTRY_LOADERS:
        REGISTRY_LOADERS.append(loader)


RECONFIRMATION_TASK = "consents: 2-year marketing re-confirmation"
RECONFIRMATION_TASK_PATH = "consents.tasks.marketing_reconfirmation_sweep"


def _schedule_reconfirmation() -> None:
    """The daily beat entry, kept in django-celery-beat's tables so the officer sees it in the admin."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    schedule, _created = CrontabSchedule.objects.get_or_create(minute="0", hour="10", day_of_week="*",
                                                               day_of_month="*", month_of_year="*",
                                                               timezone="Asia/Seoul")
    PeriodicTask.objects.update_or_create(name=RECONFIRMATION_TASK, defaults={
        "task": RECONFIRMATION_TASK_PATH, "crontab": schedule, "interval": None, "kwargs": json.dumps({}),
        "description": "정보통신망법 시행령 제62조의3: 광고성 정보 수신 동의 2년 주기 확인 안내"})


@transaction.atomic
def policy_load(*, schedule: bool = True, registries: bool = True) -> dict:
    version = PolicyVersion.objects.filter(version=seed.SEED_VERSION).first()
    if version is None:
        version = PolicyVersion.objects.create(version=seed.SEED_VERSION, change_summary=seed.SEED_SUMMARY,
                                               effective_at=timezone.make_aware(seed.SEED_EFFECTIVE))
    created = 0
    for order, spec in enumerate(seed.ITEMS, start=1):
        _item, was_created = ConsentItem.objects.get_or_create(
            code=spec["code"], defaults={**spec, "order": order * 10, "introduced_in": version})
        created += was_created
    for spec in seed.CONTACTS:
        PolicyContact.objects.get_or_create(role=spec["role"], defaults=spec)
    for order, spec in enumerate(seed.COMPLAINT_BODIES, start=1):
        ComplaintBody.objects.get_or_create(website=spec["website"], defaults={**spec, "order": order})
    for loader in REGISTRY_LOADERS if registries else ():
        loader()
    if not version.is_published:
        # The historical version was announced before this system existed: published on its effective date.
        policy_version_publish(version=version, published_at=version.effective_at, enforce_notice=False)
    if schedule:
        _schedule_reconfirmation()
    return {"version": version.version, "items": len(seed.ITEMS), "items_created": created,
            "contacts": PolicyContact.objects.count(), "bodies": ComplaintBody.objects.count()}
