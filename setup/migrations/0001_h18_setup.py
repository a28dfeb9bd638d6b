import datetime as dt

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def first_wordings(apps, schema_editor):
    """Each category's wording now, as the wording in use since the beginning: what it was
    called before this migration was not kept anywhere."""
    Category = apps.get_model("concerns", "Category")
    CategoryWording = apps.get_model("setup", "CategoryWording")
    since = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    CategoryWording.objects.bulk_create(
        CategoryWording(
            category=c, version=c.version, name=c.name, help_text=c.help_text, valid_from=since
        )
        for c in Category.objects.all()
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [("concerns", "0002_reference_data")]

    operations = [
        migrations.CreateModel(
            name="RetentionSetting",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("months_after_end", models.PositiveIntegerField(blank=True, null=True)),
                ("set_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("set_by", models.CharField(blank=True, max_length=150)),
            ],
            options={"ordering": ["-set_at", "-id"]},
        ),
        migrations.CreateModel(
            name="CategoryWording",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.PositiveIntegerField()),
                ("name", models.CharField(max_length=120)),
                ("help_text", models.CharField(blank=True, max_length=300)),
                ("valid_from", models.DateTimeField(default=django.utils.timezone.now)),
                ("changed_by", models.CharField(blank=True, max_length=150)),
                (
                    "category",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="wordings",
                        to="concerns.category",
                    ),
                ),
            ],
            options={"ordering": ["category", "-valid_from", "-version"]},
        ),
        migrations.AddConstraint(
            model_name="categorywording",
            constraint=models.UniqueConstraint(
                fields=("category", "version"), name="one_wording_per_version"
            ),
        ),
        migrations.RunPython(first_wordings, migrations.RunPython.noop),
    ]
