"""A guardian handles a new case from the queue to closed, in a real browser."""

from __future__ import annotations

import re

import pytest
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from concerns.models import Organisation
from concerns.roles import Role
from tests.factories import PASSWORD, make_user, raise_concern, totp_code
from workflow.models import Case, CaseEvent, EventKind

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

MINIMAL_LOGIN = """{% extends "base.html" %}{% block content %}
<form method="post">{% csrf_token %}{{ form.as_p }}<button type="submit">Sign in</button></form>
{% endblock %}"""


@pytest.fixture
def login_template(settings, tmp_path):
    """Use the real sign-in page; only if this branch lacks it, a bare stand-in."""
    try:
        get_template("account/login.html")
        return
    except TemplateDoesNotExist:
        pass
    (tmp_path / "registration").mkdir()
    (tmp_path / "registration" / "login.html").write_text(MINIMAL_LOGIN)
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], tmp_path]}]


def test_a_guardian_takes_a_new_case_from_the_queue_to_closed(browser_page, login_template):
    # Given a guardian and a new anonymous concern in their organisation
    org = Organisation.objects.create(code="RE2E", name="Browser Placement Trust")
    make_user(Role.GUARDIAN, org, username="gwen", first_name="Gwen", last_name="Guardian")
    case = raise_concern(org).case
    page = browser_page

    # When the guardian signs in and opens the queue
    page.goto("/accounts/login/?next=/cases/")
    page.fill("input[name=login]", "gwen")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit], main input[type=submit]").first.click()
    # (issue 15: staff give their authenticator code after the password)
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", totp_code())
    page.locator("main button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"^https?://[^/]+/cases/(\?.*)?$"))
    assert page.get_by_role("heading", name="Cases", exact=True).is_visible()

    # ...opens the new case, takes it and acknowledges it
    page.get_by_role("link", name=case.reference).click()
    page.wait_for_url(re.compile(rf"/cases/{case.reference}/"))
    assert page.get_by_text("Anonymous — contact only through the conversation").is_visible()
    page.get_by_role("button", name="Assign to me").click()
    assert page.get_by_text("The case is assigned to you.").is_visible()
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    assert page.get_by_text("Case acknowledged.").is_visible()

    # ...messages the reporter, records the outcome, gives feedback and closes
    page.get_by_label("Message to the reporter").fill("Thank you. We have changed the rota.")
    page.get_by_role("button", name="Send message").click()
    assert page.get_by_text("Message sent to the reporter.").is_visible()

    page.get_by_text("Record the outcome").click()
    page.get_by_label("Partly upheld").check()
    page.get_by_label("What was found").fill("The rota left nights without a registrar.")
    page.get_by_label("What was done").fill("A second registrar is now rostered.")
    page.get_by_role("button", name="Record outcome").click()
    assert page.get_by_text("Outcome recorded.").is_visible()

    # feedback is written to the reporter with the move (issue 17), in its folded section
    page.locator("#give_feedback summary").click()
    page.get_by_label("Your feedback to the reporter").fill("The rota now has two registrars.")
    page.locator("#give_feedback button[type=submit]").click()
    assert page.get_by_text("Your feedback has been sent to the reporter.").is_visible()
    page.locator("#close summary").click()
    page.get_by_label("Outcome summary for the reporter (optional)").fill("Partly upheld.")
    page.locator("#close button[type=submit]").click()

    # Then the case is closed, the page says so, and every step is in the event log
    assert page.get_by_text("Case closed.").is_visible()
    assert page.locator("#case-status").inner_text() == "Closed"
    case = Case.objects.get(pk=case.pk)
    assert case.status == "closed"
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == [
        EventKind.RAISED,
        EventKind.ASSIGNED,
        EventKind.TRANSITION,
        EventKind.MESSAGE_TO_REPORTER,
        EventKind.OUTCOME,
        EventKind.TRANSITION,
        EventKind.MESSAGE_TO_REPORTER,  # the feedback
        EventKind.TRANSITION,
        EventKind.MESSAGE_TO_REPORTER,  # the outcome summary
    ]
