"""The words of every email and in-app notification: "there is something new; sign in to
see it" and a link. Never concern text, names, receipt codes or an anonymous category."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string

from notifications.models import Delivery, Topic

STAFF_HEADLINES = {
    Topic.NEW_CASE: "There is a new case, {reference}.",
    Topic.ASSIGNED: "Case {reference} has been assigned to you.",
    Topic.REPORTER_REPLY: "There is something new on case {reference}.",
    Topic.REMINDER: "Something is due soon on case {reference}.",
    Topic.ESCALATION: "Case {reference} is overdue.",
}


@dataclass(frozen=True)
class Email:
    subject: str
    body: str


def site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def staff_headline(topic: str, reference: str) -> str:
    template = STAFF_HEADLINES.get(topic, "There is something new on case {reference}.")
    return template.format(reference=reference)


def case_path(reference: str) -> str:
    return f"/cases/{reference}/"


def email_for(delivery: Delivery, *, digest: dict[str, int] | None = None) -> Email:
    if delivery.to_reporter:
        context = {"link": site_link("/my-concerns/")}
        subject = "Speak Up: there is something new about your concern"
        template = "notifications/email_reporter.txt"
    elif delivery.topic == Topic.DIGEST:
        context = {"counts": digest or {}, "link": site_link("/cases/")}
        subject = "Speak Up: your daily summary"
        template = "notifications/email_digest.txt"
    else:
        reference = delivery.case.reference
        context = {
            "headline": staff_headline(delivery.topic, reference),
            "link": site_link(case_path(reference)),
        }
        subject = f"Speak Up: something new on case {reference}"
        template = "notifications/email_staff.txt"
    return Email(subject=subject, body=render_to_string(template, context))
