"""Small display helpers shared by the reporter's and the guardian's pages."""

from __future__ import annotations

import datetime as dt

from django import template

from workflow.models import CaseFile
from workflow.services import files

register = template.Library()

# One NHS.UK tag colour per status, so a queue can be scanned by colour as well as by word
# (the word is always there: colour is never the only signal).
STATUS_TAG = {
    "received": "blue",
    "acknowledged": "aqua-green",
    "investigating": "purple",
    "feedback_given": "green",
    "reopened": "orange",
    "referred": "yellow",
    "closed": "grey",
    "withdrawn": "white",
}


@register.filter
def status_tag(status: str) -> str:
    return STATUS_TAG.get(status, "grey")


@register.filter
def receipt_groups(code: str) -> list[str]:
    """The receipt code in its groups, so each group can be kept whole on a narrow screen."""
    return code.replace("-", " ").split()


@register.filter
def age_days(since: dt.datetime | None, now: dt.datetime) -> str:
    """How long ago, in whole days (no finer: an anonymous concern's hour is not shown)."""
    if since is None:
        return ""
    days = max(0, (now - since).days)
    return "Today" if days == 0 else f"{days} day{'s' if days != 1 else ''}"


@register.filter
def case_file_name(file: CaseFile, reference: str) -> str:
    """A file's neutral name (the case and its number), never the uploaded one."""
    return files.case_file_name(file, reference)


@register.filter
def file_type_name(file: CaseFile) -> str:
    return files.type_name(file.content_type)
