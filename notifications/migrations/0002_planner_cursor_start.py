"""Start the sweeper's cursor after every event already recorded, so installing
notifications on a live system does not send a notification for every event in history."""

from django.db import migrations
from django.db.models import Max


def start_cursor(apps, schema_editor):
    CaseEvent = apps.get_model("workflow", "CaseEvent")
    PlannerCursor = apps.get_model("notifications", "PlannerCursor")
    last = CaseEvent.objects.aggregate(m=Max("pk"))["m"] or 0
    PlannerCursor.objects.update_or_create(name="events", defaults={"safe_event_id": last})


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(start_cursor, migrations.RunPython.noop)]
