from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def invited_when_imported(apps, schema_editor):
    """Before this field, a created member's invitation was sent as its import committed: that is its time."""
    ImportedMember = apps.get_model("disclosures", "ImportedMember")
    ImportBatch = apps.get_model("disclosures", "ImportBatch")
    ImportedMember.objects.filter(action="created", invited_at__isnull=True).update(
        invited_at=Subquery(ImportBatch.objects.filter(pk=OuterRef("batch_id")).values("imported_at")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ('disclosures', '0003_provision_without_redundant_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='importedmember',
            name='invited_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='invited at'),
        ),
        migrations.RunPython(invited_when_imported, migrations.RunPython.noop),
    ]
