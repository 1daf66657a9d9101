"""load_policy: the seed policy's items, contacts, complaint bodies, version and beat schedule, idempotently."""

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from consents.loading import RECONFIRMATION_TASK_PATH
from consents.models import ComplaintBody, ConsentItem, ConsentText, PolicyContact, PolicyVersion

pytestmark = pytest.mark.django_db


def _counts() -> tuple:
    return (ConsentItem.objects.count(), PolicyContact.objects.count(), ComplaintBody.objects.count(),
            PolicyVersion.objects.count(), PeriodicTask.objects.filter(task=RECONFIRMATION_TASK_PATH).count(),
            ConsentText.objects.count())


def test_load_policy_loads_the_version_in_force_since_2023_12_01_and_running_it_again_changes_nothing():
    # when
    call_command("load_policy", verbosity=0)
    first = _counts()
    version = PolicyVersion.objects.get()
    call_command("load_policy", verbosity=0)
    # then
    assert _counts() == first
    assert first[:5] == (12, 2, 4, 1, 1)
    assert version.version == "2023-12-01"
    assert timezone.localtime(version.effective_at).date().isoformat() == "2023-12-01"
    assert PolicyVersion.objects.get().text_sha256 == version.text_sha256
    assert set(ConsentItem.objects.filter(required=True).values_list("code", flat=True)) == {
        "collection_required", "provision_nice"}
    assert set(ConsentItem.objects.values_list("kind", flat=True)) == set(ConsentItem.Kind.values)
    third = ConsentItem.objects.filter(kind="third_party")
    assert all(item.recipient for item in third)
    assert PolicyContact.objects.get(role="officer").name == "신승철"


def test_the_re_confirmation_task_is_scheduled_in_the_database_beat():
    call_command("load_policy", verbosity=0)
    task = PeriodicTask.objects.get(task=RECONFIRMATION_TASK_PATH)
    assert task.enabled
    assert task.crontab.hour == "10"
    assert str(task.crontab.timezone) == "Asia/Seoul"
