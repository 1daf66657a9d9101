"""The archive partitioned by destruction month on PostgreSQL (retention.partitions): a data key carries its
record's destroy_after, unique keys include it, and both tables become partitioned, keeping every row."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

from retention.partitions import ArchiveTables, layout_partition

ARCHIVE_HINTS = {"model_name": "archivedatakey"}


def keys_destroy_after(apps, schema_editor):
    ArchiveDataKey = apps.get_model("retention", "ArchiveDataKey")
    ArchivedRecord = apps.get_model("retention", "ArchivedRecord")
    using = schema_editor.connection.alias
    ArchiveDataKey.objects.using(using).update(destroy_after=Subquery(
        ArchivedRecord.objects.using(using).filter(archive_key=OuterRef("archive_key")).values("destroy_after")[:1]))
    # A key whose record is gone has nothing to protect: it goes with the month it was made in.
    for key in ArchiveDataKey.objects.using(using).filter(destroy_after__isnull=True):
        key.destroy_after = key.created_at.date()
        key.save(update_fields=["destroy_after"])


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        layout_partition(cursor, ArchiveTables())


class Migration(migrations.Migration):
    dependencies = [("retention", "0002_daily_sweep_schedule")]

    operations = [
        migrations.AddField(
            model_name="archivedatakey",
            name="destroy_after",
            field=models.DateField(null=True, verbose_name="destroy after"),
        ),
        migrations.RunPython(keys_destroy_after, migrations.RunPython.noop, hints=ARCHIVE_HINTS),
        migrations.AlterField(
            model_name="archivedatakey",
            name="destroy_after",
            field=models.DateField(verbose_name="destroy after"),
        ),
        migrations.AlterField(
            model_name="archivedatakey",
            name="archive_key",
            field=models.CharField(max_length=64, verbose_name="archive key"),
        ),
        migrations.AlterField(
            model_name="archivedrecord",
            name="archive_key",
            field=models.CharField(max_length=64, verbose_name="archive key"),
        ),
        migrations.AlterField(
            model_name="archivedrecord",
            name="subject_key",
            field=models.CharField(max_length=64, verbose_name="subject (pseudonym)"),
        ),
        migrations.AddIndex(
            model_name="archivedrecord",
            index=models.Index(fields=["subject_key"], name="archived_record_subject_idx"),
        ),
        migrations.AddConstraint(
            model_name="archivedatakey",
            constraint=models.UniqueConstraint(fields=("archive_key", "destroy_after"), name="archive_data_key_once"),
        ),
        migrations.AddConstraint(
            model_name="archivedrecord",
            constraint=models.UniqueConstraint(fields=("archive_key", "destroy_after"),
                                               name="archived_record_key_once"),
        ),
        # Not reversible: a partitioned table cannot hold the old unique key on archive_key alone.
        migrations.RunPython(partition, hints=ARCHIVE_HINTS),
    ]
