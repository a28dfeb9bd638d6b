"""``{{ category|worded_at:concern.raised_at }}``: a category's name as it was worded when the
concern was raised (setup.services.category_wording_at)."""

from __future__ import annotations

import datetime as dt

from django import template

from concerns.models import Category
from setup.services import category_wording_at

register = template.Library()


@register.filter
def worded_at(category: Category, at: dt.datetime | None) -> str:
    if at is None:
        return category.name
    return category_wording_at(category=category, at=at)
