"""PostgreSQL only: a covering index so dashboard sums are index-only scans."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS monthly_count_covering ON reports_monthlycount "
            "(organisation_id, grain, month, dimension) INCLUDE (value, count)"
        )
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS monthly_duration_covering ON reports_monthlyduration "
            "(organisation_id, grain, month, measure) INCLUDE (days, count)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS monthly_count_covering")
        schema_editor.execute("DROP INDEX IF EXISTS monthly_duration_covering")


class Migration(migrations.Migration):
    dependencies = [("reports", "0002_reference_data")]
    operations = [migrations.RunPython(create, drop)]
