"""Load the HEE Quality Framework standards, the concern categories and the role groups."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "hee_quality_framework_2021.json"

# slug, name, help text, the standards it bears on ("5" = the whole of domain 5)
CATEGORIES = [
    (
        "patient-safety",
        "Patient safety or quality of care",
        "Something that puts patients or service users at risk, or falls short of good care.",
        ["1.5", "1.7", "1.10"],
    ),
    (
        "bullying-harassment",
        "Bullying or harassment",
        "Being bullied, harassed, belittled or intimidated, or seeing it happen to others.",
        ["1.3", "1.7"],
    ),
    (
        "inappropriate-behaviour",
        "Other inappropriate attitudes or behaviours",
        "Behaviour that is unprofessional or disrespectful but is not bullying.",
        ["1.3", "1.4", "1.7"],
    ),
    (
        "worker-safety",
        "Worker safety or wellbeing",
        "Your own safety or wellbeing, or that of colleagues and other learners.",
        ["1.6", "1.7", "4.1"],
    ),
    (
        "education-quality",
        "Education and training quality",
        "Supervision, teaching, access to learning, rotas that stop you attending teaching.",
        ["1.1", "5"],
    ),
    (
        "discrimination",
        "Discrimination or unfair treatment (EDI)",
        "Being treated unfairly because of who you are: race, sex, disability, religion, "
        "sexual orientation, age or any other characteristic.",
        ["1.2", "1.3", "1.8", "2.2", "2.3"],
    ),
    ("other", "Something else", "Anything that does not fit the descriptions above.", ["1.7"]),
]

GROUPS = ["reporter", "guardian", "lead_guardian", "committee", "admin"]


def load(apps, schema_editor):
    QualityDomain = apps.get_model("concerns", "QualityDomain")
    QualityStandard = apps.get_model("concerns", "QualityStandard")
    Category = apps.get_model("concerns", "Category")
    Group = apps.get_model("auth", "Group")
    for domain in json.loads(DATA.read_text(encoding="utf-8")):
        d, _ = QualityDomain.objects.update_or_create(
            number=domain["number"], defaults={"title": domain["title"]}
        )
        for standard in domain["standards"]:
            QualityStandard.objects.update_or_create(
                code=standard["code"],
                defaults={"domain": d, "number": standard["number"], "text": standard["text"]},
            )
    for position, (slug, name, help_text, codes) in enumerate(CATEGORIES):
        category, _ = Category.objects.update_or_create(
            slug=slug, defaults={"name": name, "help_text": help_text, "position": position}
        )
        standards = QualityStandard.objects.none()
        for code in codes:
            if "." in code:
                standards = standards | QualityStandard.objects.filter(code=code)
            else:
                standards = standards | QualityStandard.objects.filter(domain__number=int(code))
        category.standards.set(standards)
    for name in GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("concerns", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
