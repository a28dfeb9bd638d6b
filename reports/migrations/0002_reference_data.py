"""Load the national comparator figures and the quarterly return schema versions (data)."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"


def load(apps, schema_editor):
    NationalFigure = apps.get_model("reports", "NationalFigure")
    ReturnSchema = apps.get_model("reports", "ReturnSchema")
    national = json.loads((DATA / "national_figures.json").read_text(encoding="utf-8"))
    for figure in national["figures"]:
        NationalFigure.objects.update_or_create(
            year=national["year"],
            measure=figure["measure"],
            defaults={
                "label": figure["label"],
                "percent": figure["percent"],
                "cases": national["cases"],
                "source": national["source"],
                "source_url": national["source_url"],
            },
        )
    for path in sorted((DATA / "return_schemas").glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        ReturnSchema.objects.update_or_create(
            version=schema["version"],
            defaults={
                "authority": schema["authority"],
                "title": schema["title"],
                "effective_from": schema["effective_from"],
                "fields": schema["fields"],
            },
        )


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_rollups")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
