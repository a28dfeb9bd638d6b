"""DRF's authtoken table held every API token in clear and the tokens never expired. The
app is gone (tokens are django-rest-knox's now, stored hashed): drop its table where an
older deployment still has it, so that no clear token is left behind."""

from django.db import migrations


def _drop(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" in connection.introspection.table_names():
        schema_editor.execute("DROP TABLE authtoken_token")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_h15_security_log")]

    operations = [migrations.RunPython(_drop, migrations.RunPython.noop)]
