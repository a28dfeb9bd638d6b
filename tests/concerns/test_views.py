"""The quality standards browser."""

import html
import json
import re
from pathlib import Path

from concerns.models import Category, QualityStandard

DATA = Path(__file__).resolve().parents[2] / "concerns" / "data" / "hee_quality_framework_2021.json"


def test_every_domain_and_standard_is_shown_in_full(client, db):
    # Given the framework loaded by the data migration
    domains = json.loads(DATA.read_text())
    # When anyone (no sign-in needed) opens the standards page
    response = client.get("/standards/")
    page = html.unescape(response.content.decode())
    # Then every domain and every numbered standard appears with its full text
    assert response.status_code == 200
    assert [d["number"] for d in domains] == [1, 2, 3, 4, 5, 6]
    for domain in domains:
        assert f"Domain {domain['number']}: {domain['title']}" in page
        for standard in domain["standards"]:
            assert f'id="standard-{standard["code"]}"' in page
            assert standard["text"] in page
    assert page.count('class="nhsuk-summary-list__row" id="standard-') == (
        QualityStandard.objects.count()
    )


def test_each_category_shows_the_standards_it_maps_to(client, db):
    page = client.get("/standards/").content.decode()
    for category in Category.objects.prefetch_related("standards"):
        row = re.search(
            rf'<tr class="nhsuk-table__row" id="category-{category.slug}">(.*?)</tr>', page, re.S
        )
        assert row, category.slug
        codes = re.findall(r'href="#standard-([\d.]+)"', row.group(1))
        assert sorted(codes) == sorted(s.code for s in category.standards.all())
    bullying = re.search(r'id="category-bullying-harassment">(.*?)</tr>', page, re.S).group(1)
    assert "1.3" in bullying and "1.7" in bullying
