"""The daily retention sweep at 03:00 Asia/Seoul, in django-celery-beat so the officer sees and can change it."""

from django.db import migrations

TASK_NAME = "retention: daily sweep (파기)"


def schedule(apps, schema_editor):
    if schema_editor.connection.alias != "default":
        return
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute="0", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Seoul")
    PeriodicTask.objects.get_or_create(name=TASK_NAME, defaults={
        "task": "retention.tasks.retention_sweep", "crontab": crontab, "enabled": True, "kwargs": "{}",
        "description": "보존 기간이 끝난 분리 보관 기록과 목적이 달성된 개인정보를 파기합니다 (개인정보처리방침 §3)."})


def unschedule(apps, schema_editor):
    if schema_editor.connection.alias != "default":
        return
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("retention", "0001_retention_rules_archive_ledger"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
