"""PostgreSQL only: the dashboard's 24-month trend of totals as an index-only scan.

The unique index leads with the month, so reading one dimension over a range of months
walked every dimension's rows in that range (about 80 per organisation-month)."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS monthly_count_by_dimension ON reports_monthlycount "
            "(organisation_id, grain, dimension, month) INCLUDE (value, count)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS monthly_count_by_dimension")


class Migration(migrations.Migration):
    dependencies = [("reports", "0004_rollup_month_stale")]
    operations = [migrations.RunPython(create, drop)]
