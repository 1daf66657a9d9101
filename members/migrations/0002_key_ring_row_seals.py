"""Key ring and damaged data (issue 5): a seal per row for the encrypted values' associated data, the key
canaries, and the ledger of values that cannot be decrypted.

Existing rows get a seal of their own (random, filled in here before the column becomes unique); their
version-1 tokens stay readable until `manage.py rotate_keys` rewrites them bound to the row.
"""

import uuid

import django.utils.timezone
from django.db import migrations, models

import members.encryption

SEALED = ("member", "sensitiveidentifier", "enrollment", "complaint")


def fill_seals(apps, schema_editor):
    for name in SEALED:
        model = apps.get_model("members", name)
        rows = list(model.objects.filter(seal__isnull=True).only("pk"))
        for row in rows:
            row.seal = uuid.uuid4()
        model.objects.bulk_update(rows, ["seal"], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0001_initial"),
    ]

    operations = [
        *[migrations.AddField(model_name=name, name="seal", field=models.UUIDField(null=True, editable=False))
          for name in SEALED],
        migrations.RunPython(fill_seals, migrations.RunPython.noop),
        *[migrations.AlterField(model_name=name, name="seal",
                                field=members.encryption.RowSealField(verbose_name="row seal"))
          for name in SEALED],
        *[members.encryption.unique_seal_index(f"members_{name}") for name in SEALED],
        migrations.CreateModel(
            name="KeyCanary",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("purpose", models.CharField(choices=[("field_encryption", "FIELD_ENCRYPTION_KEY"),
                                                      ("blind_index", "BLIND_INDEX_KEY")],
                                             max_length=20, unique=True, verbose_name="purpose")),
                ("value", models.BinaryField(verbose_name="value")),
                ("written_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="written at")),
            ],
            options={"verbose_name": "key canary", "verbose_name_plural": "key canaries"},
        ),
        migrations.CreateModel(
            name="DecryptionFailure",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("table", models.CharField(max_length=100, verbose_name="table")),
                ("column", models.CharField(max_length=100, verbose_name="column")),
                ("row", models.CharField(max_length=40, verbose_name="row")),
                ("first_seen", models.DateTimeField(default=django.utils.timezone.now, verbose_name="first seen")),
            ],
            options={
                "verbose_name": "value that cannot be decrypted",
                "verbose_name_plural": "values that cannot be decrypted",
                "ordering": ["-first_seen"],
                "constraints": [models.UniqueConstraint(fields=("table", "column", "row"),
                                                        name="decryption_failure_once")],
            },
        ),
    ]
