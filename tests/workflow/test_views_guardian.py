"""The guardian's workspace pages: queue, case page, actions, identity, workload, downloads."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from concerns.models import Membership
from concerns.roles import Role
from tests.factories import OrganisationFactory, case_in_state, make_user, raise_concern
from workflow.models import Case, CaseEvent, EventKind, InternalNote, Message, Outcome
from workflow.services import handling
from workflow.services import reporter as reporter_actions
from workflow.services.raising import NewAttachment

pytestmark = pytest.mark.django_db

SECRET_TEXT = "The night rota leaves the ward without a registrar."


def url(case: Case, suffix: str = "") -> str:
    return f"/cases/{case.reference}/{suffix}"


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def kinds(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("kind", flat=True))


@pytest.fixture
def case(org):
    return raise_concern(org).case


@pytest.fixture
def assigned(case, guardian):
    return handling.case_assign(case=case, guardian=guardian, actor=guardian)


# --- queue -------------------------------------------------------------------------------


def _queue_refs(client, query: str = "") -> list[str]:
    response = client.get(f"/cases/{query}")
    assert response.status_code == 200
    return [c.reference for c in response.context["cases"]]


def test_queue_lists_the_cases_of_the_guardians_organisation_only(client, org, other_org, guardian):
    # Given a case in the guardian's organisation and one elsewhere
    mine = raise_concern(org).case
    theirs = raise_concern(other_org).case
    client.force_login(guardian)
    # When the guardian opens the queue
    response = client.get("/cases/")
    # Then only their organisation's case is listed, in a live-updatable container
    refs = [c.reference for c in response.context["cases"]]
    assert refs == [mine.reference]
    assert theirs.reference not in response.content.decode()
    assert 'data-live-socket="/ws/queue/"' in response.content.decode()


def test_queue_filters_by_status_route_and_assignment(client, org, guardian, other_guardian):
    # Given an acknowledged open case assigned to me, a confidential one assigned to a colleague,
    # and an unassigned one
    acknowledged = case_in_state(raise_concern(org).case, "acknowledged", guardian=guardian)
    colleagues = raise_concern(org, route="confidential", reporter=make_user(Role.REPORTER)).case
    handling.case_assign(case=colleagues, guardian=other_guardian, actor=other_guardian)
    unassigned = raise_concern(org).case
    client.force_login(guardian)
    # Then each filter narrows the queue
    assert _queue_refs(client, "?status=acknowledged") == [acknowledged.reference]
    assert _queue_refs(client, "?route=confidential") == [colleagues.reference]
    assert _queue_refs(client, "?assigned=me") == [acknowledged.reference]
    assert _queue_refs(client, "?assigned=none") == [unassigned.reference]


def test_queue_filters_by_category_and_organisation(client, org, guardian):
    # Given a guardian who serves two organisations
    second = OrganisationFactory(code="RZ9", name="East Placement Trust")
    Membership.objects.create(user=guardian, organisation=second)
    safety = raise_concern(org).case
    bullying = raise_concern(org, categories=("bullying-harassment",)).case
    east = raise_concern(second).case
    client.force_login(guardian)
    # Then category and organisation filters each work
    assert _queue_refs(client, "?category=bullying-harassment") == [bullying.reference]
    assert _queue_refs(client, "?organisation=RZ9") == [east.reference]
    assert set(_queue_refs(client)) == {safety.reference, bullying.reference, east.reference}


def test_queue_filters_by_due_and_sorts(client, org, guardian):
    # Given one case overdue, one due soon and one due later
    now = timezone.now()
    overdue = raise_concern(org).case
    soon = raise_concern(org).case
    later = raise_concern(org).case
    Case.objects.filter(pk=overdue.pk).update(due_at=now - dt.timedelta(days=1))
    Case.objects.filter(pk=soon.pk).update(due_at=now + dt.timedelta(days=1))
    Case.objects.filter(pk=later.pk).update(due_at=now + dt.timedelta(days=30))
    client.force_login(guardian)
    # Then due filters and sorting work, and the tags say so
    assert _queue_refs(client, "?due=overdue") == [overdue.reference]
    assert _queue_refs(client, "?due=soon") == [soon.reference]
    assert _queue_refs(client, "?sort=due") == [overdue.reference, soon.reference, later.reference]
    assert _queue_refs(client, "?sort=oldest") == [
        overdue.reference,
        soon.reference,
        later.reference,
    ]
    assert _queue_refs(client, "?sort=newest")[0] == later.reference
    body = client.get("/cases/").content.decode()
    assert "Overdue" in body and "Due soon" in body


def test_queue_ignores_unknown_filter_values(client, org, guardian, case):
    client.force_login(guardian)
    assert _queue_refs(client, "?status=bogus&sort=drop+table&per_page=7&page=x") == [
        case.reference
    ]


def test_queue_paginates_without_counting_everything(client, org, guardian):
    # Given seven cases
    refs = [raise_concern(org).case.reference for _ in range(7)]
    client.force_login(guardian)
    # When the guardian pages through five at a time
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/cases/?per_page=5&sort=oldest")
    second = client.get(first.context["next_url"])
    # Then the pages hold the cases in order, and no COUNT over the queue was needed
    assert [c.reference for c in first.context["cases"]] == refs[:5]
    assert [c.reference for c in second.context["cases"]] == refs[5:]
    assert second.context["next_url"] == ""
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)


def test_queue_query_count_does_not_grow_with_page_size(
    client, org, guardian, other_guardian, django_assert_num_queries
):
    # Given fifty-one cases, some assigned, each with two categories
    for i in range(51):
        raised = raise_concern(org, categories=("patient-safety", "worker-safety"))
        if i % 2:
            handling.case_assign(case=raised.case, guardian=other_guardian, actor=other_guardian)
    client.force_login(guardian)
    with CaptureQueriesContext(connection) as small:
        response = client.get("/cases/?per_page=5")
    assert len(response.context["cases"]) == 5
    # When the page holds fifty cases, Then the number of queries is the same
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get("/cases/?per_page=50")
    assert len(response.context["cases"]) == 50


@pytest.mark.parametrize("who", ["reporter", "committee"])
def test_queue_is_not_found_for_non_guardians(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/cases/").status_code == 404


def test_queue_sends_anonymous_visitors_to_sign_in(client, db):
    response = client.get("/cases/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- workload ------------------------------------------------------------------------------


def test_workload_shows_open_and_overdue_cases_per_guardian(client, org, guardian, lead):
    # Given two cases assigned to the guardian (one overdue) and one unassigned
    first = handling.case_assign(case=raise_concern(org).case, guardian=guardian, actor=guardian)
    handling.case_assign(case=raise_concern(org).case, guardian=guardian, actor=guardian)
    raise_concern(org)
    Case.objects.filter(pk=first.pk).update(due_at=timezone.now() - dt.timedelta(days=2))
    client.force_login(lead)
    # When the lead opens the workload page
    response = client.get("/cases/workload/")
    # Then the guardian's row shows 2 open, 1 overdue, and 1 case is unassigned
    assert response.status_code == 200
    row = next(r for r in response.context["rows"] if r.guardian == guardian)
    assert (row.open_cases, row.overdue) == (2, 1)
    assert response.context["unassigned"] == 1


@pytest.mark.parametrize("who", ["guardian", "reporter", "committee"])
def test_workload_is_not_found_for_anyone_but_leads(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/cases/workload/").status_code == 404


# --- the case page -------------------------------------------------------------------------


def test_case_page_shows_the_concern_timeline_and_conversation(client, assigned, guardian):
    # Given a message and an internal note on the case
    handling.case_message_send(case=assigned, actor=guardian, body="Thank you for telling us.")
    handling.case_note_add(case=assigned, actor=guardian, body="Check the rota for March.")
    client.force_login(guardian)
    # When the guardian opens the case
    response = client.get(url(assigned))
    body = response.content.decode()
    # Then the concern, the conversation, the notes (marked internal) and the timeline show
    assert response.status_code == 200
    assert SECRET_TEXT in body
    assert "Thank you for telling us." in body
    assert "Check the rota for March." in body
    assert "never shown to the reporter" in body
    assert "Anonymous — contact only through the conversation" in body
    assert [e.kind for e in response.context["events"]] == kinds(assigned)
    assert "Message to reporter" in body


@pytest.mark.parametrize("who", ["reporter", "committee", "outsider_guardian"])
def test_case_page_is_not_found_for_those_who_may_not_see_it(client, request, case, who):
    client.force_login(request.getfixturevalue(who))
    response = client.get(url(case))
    assert response.status_code == 404
    assert SECRET_TEXT not in response.content.decode()


def test_case_page_sends_anonymous_visitors_to_sign_in(client, case):
    response = client.get(url(case))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_unknown_reference_is_the_same_404(client, guardian, outsider_guardian, case):
    client.force_login(outsider_guardian)
    hidden = client.get(url(case))
    missing = client.get("/cases/SU-2000-99999/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_open_reporter_is_named(client, org, guardian, reporter):
    case = raise_concern(
        org, route="open", reporter=reporter, reporter_name="Rita Open", reporter_contact="07700"
    ).case
    client.force_login(guardian)
    assert "Rita Open" in client.get(url(case)).content.decode()


# --- confidential identity -----------------------------------------------------------------


@pytest.fixture
def confidential(org, guardian, reporter):
    case = raise_concern(
        org,
        route="confidential",
        reporter=reporter,
        reporter_name="Rita Hidden",
        reporter_contact="rita.hidden@example.org",
    ).case
    return handling.case_assign(case=case, guardian=guardian, actor=guardian)


def test_confidential_identity_is_hidden_until_revealed(client, confidential, guardian, reporter):
    # Given the confidential reporter has written in their conversation
    reporter_actions.concern_message_reply(case=confidential, actor=reporter, body="Any news?")
    client.force_login(guardian)
    body = client.get(url(confidential)).content.decode()
    assert "Rita Hidden" not in body
    assert "rita.hidden@example.org" not in body
    # The reporter's account name does not leak through the timeline or conversation either.
    assert "Any news?" in body
    assert reporter.username not in body.lower()
    assert reporter.get_full_name() not in body
    assert "Reveal identity" in body


def test_reveal_requires_a_reason(client, confidential, guardian):
    client.force_login(guardian)
    response = client.post(url(confidential, "identity/"), {"reveal-reason": "   "})
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body and "Give a reason" in body
    assert "Rita Hidden" not in body
    assert EventKind.IDENTITY_VIEWED not in kinds(confidential)


def test_reveal_shows_the_identity_once_and_logs_it(client, confidential, guardian):
    client.force_login(guardian)
    # When the guardian reveals the identity with a reason
    response = client.post(url(confidential, "identity/"), {"reveal-reason": "Need to meet"})
    # Then the name shows in that response only, and the view is logged with the reason
    assert response.status_code == 200
    assert "Rita Hidden" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    event = CaseEvent.objects.filter(case=confidential, kind=EventKind.IDENTITY_VIEWED).get()
    assert event.actor == guardian and event.note == "Need to meet"
    assert "Rita Hidden" not in str(dict(client.session))
    assert "Rita Hidden" not in client.get(url(confidential)).content.decode()


@pytest.mark.parametrize("who", ["other_guardian", "reporter", "committee", "outsider_guardian"])
def test_reveal_is_refused_to_everyone_else(client, request, confidential, who):
    client.force_login(request.getfixturevalue(who))
    response = client.post(url(confidential, "identity/"), {"reveal-reason": "Curious"})
    assert response.status_code == (403 if who == "other_guardian" else 404)
    assert "Rita Hidden" not in response.content.decode()
    assert EventKind.IDENTITY_VIEWED not in kinds(confidential)


def test_reveal_is_refused_for_an_anonymous_route(client, assigned, guardian):
    client.force_login(guardian)
    assert client.post(url(assigned, "identity/"), {"reveal-reason": "x"}).status_code == 403


# --- actions: denial for every role ---------------------------------------------------------

ACTIONS = {
    "acknowledge": ("actions/acknowledge/", lambda c: {"acknowledge-version": c.version}),
    "start_investigation": (
        "actions/start_investigation/",
        lambda c: {"start_investigation-version": c.version},
    ),
    "give_feedback": ("actions/give_feedback/", lambda c: {"give_feedback-version": c.version}),
    "close": ("actions/close/", lambda c: {"close-version": c.version}),
    "refer": (
        "actions/refer/",
        lambda c: {"refer-version": c.version, "refer-destination": "hr", "refer-note": "Pay"},
    ),
    "reopen": (
        "actions/reopen/",
        lambda c: {"reopen-version": c.version, "reopen-note": "New facts"},
    ),
    "assign": ("assign/", lambda c: {"assign-version": c.version}),
    "message": ("messages/", lambda c: {"message-body": "Hello"}),
    "note": ("notes/", lambda c: {"note-body": "Internal"}),
    "triage": (
        "triage/",
        lambda c: {"triage-version": c.version, "triage-categories": ["bullying-harassment"]},
    ),
    "outcome": (
        "outcome/",
        lambda c: {
            "outcome-version": c.version,
            "outcome-upheld": "upheld",
            "outcome-findings": "F",
        },
    ),
    "detriment": ("detriment/", lambda c: {"detriment-suffered": "no"}),
    "reveal": ("identity/", lambda c: {"reveal-reason": "Because"}),
}


def _post_action(client, case, action, **extra):
    suffix, data = ACTIONS[action]
    return client.post(url(case, suffix), {**data(case), **extra})


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("who", ["reporter", "committee", "outsider_guardian"])
def test_actions_are_not_found_for_those_who_may_not_see_the_case(
    client, request, assigned, action, who
):
    client.force_login(request.getfixturevalue(who))
    before = fresh(assigned).version
    response = _post_action(client, assigned, action, **{"assign-guardian": "1"})
    assert response.status_code == 404
    assert fresh(assigned).version == before


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_actions_send_anonymous_visitors_to_sign_in(client, assigned, action):
    before = fresh(assigned).version
    response = _post_action(client, assigned, action)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert fresh(assigned).version == before


@pytest.mark.parametrize("action", sorted(set(ACTIONS) - {"note"}))
def test_a_guardian_who_is_not_assigned_cannot_act(client, assigned, other_guardian, action):
    # Given a case assigned to a colleague
    client.force_login(other_guardian)
    before = fresh(assigned).version
    # When another guardian of the organisation tries to act on it (even taking it)
    response = _post_action(client, assigned, action, **{"assign-guardian": other_guardian.pk})
    # Then they are refused and nothing changes
    assert response.status_code == 403
    assert fresh(assigned).version == before
    assert not Message.objects.filter(case=assigned).exists()


def test_any_guardian_of_the_organisation_may_add_an_internal_note(
    client, assigned, other_guardian
):
    client.force_login(other_guardian)
    response = _post_action(client, assigned, "note")
    assert response.status_code == 302
    assert InternalNote.objects.filter(case=assigned, author=other_guardian).exists()


# --- assignment ----------------------------------------------------------------------------


def test_a_guardian_can_assign_an_unassigned_case_to_themselves(client, case, guardian):
    client.force_login(guardian)
    page = client.get(url(case)).content.decode()
    assert "Assign to me" in page
    response = client.post(
        url(case, "assign/"), {"assign-version": case.version, "assign-guardian": guardian.pk}
    )
    assert response.status_code == 302 and response["Location"].startswith(url(case))
    assert fresh(case).assigned_guardian == guardian
    assert "The case is assigned to you." in client.get(response["Location"]).content.decode()


def test_a_guardian_cannot_assign_someone_else(client, case, guardian, other_guardian):
    client.force_login(guardian)
    response = client.post(
        url(case, "assign/"), {"assign-version": case.version, "assign-guardian": other_guardian.pk}
    )
    assert response.status_code == 403
    assert fresh(case).assigned_guardian is None


def test_a_lead_reassigns_to_any_guardian_of_the_organisation(
    client, assigned, lead, other_guardian, outsider_guardian
):
    client.force_login(lead)
    page = client.get(url(assigned))
    choices = list(page.context["forms"]["assign"].fields["guardian"].queryset)
    assert other_guardian in choices and outsider_guardian not in choices
    response = client.post(
        url(assigned, "assign/"),
        {"assign-version": assigned.version, "assign-guardian": other_guardian.pk},
    )
    assert response.status_code == 302
    assert fresh(assigned).assigned_guardian == other_guardian
    assert kinds(assigned).count(EventKind.ASSIGNED) == 2


def test_a_lead_cannot_assign_a_guardian_of_another_organisation(
    client, assigned, lead, outsider_guardian, guardian
):
    client.force_login(lead)
    response = client.post(
        url(assigned, "assign/"),
        {"assign-version": assigned.version, "assign-guardian": outsider_guardian.pk},
    )
    assert response.status_code == 400
    assert fresh(assigned).assigned_guardian == guardian


# --- stale pages and refusals ----------------------------------------------------------------


@pytest.mark.parametrize("action", ["acknowledge", "triage", "outcome", "assign"])
def test_a_stale_page_is_told_the_case_changed_and_nothing_is_applied(
    client, assigned, guardian, lead, action
):
    # Given a page rendered at this version, then someone else changes the case
    stale = fresh(assigned)
    handling.case_note_add(case=assigned, actor=lead, body="Meanwhile")
    before = fresh(assigned)
    client.force_login(guardian)
    # When the stale form is posted
    response = _post_action(client, stale, action, **{"assign-guardian": guardian.pk})
    # Then the page says the case changed, offers the current version, and nothing changed
    assert response.status_code == 409
    body = response.content.decode()
    assert "There is a problem" in body and "The case changed" in body
    after = fresh(assigned)
    assert after.version == before.version
    assert after.status == before.status and after.assigned_guardian == before.assigned_guardian
    assert not Outcome.objects.filter(case=assigned).exists()
    assert list(after.concern.categories.values_list("slug", flat=True)) == ["patient-safety"]
    assert f'value="{after.version}"' in body


def test_a_refused_transition_explains_why(client, assigned, guardian):
    # Given a case under investigation, with a question already sent to the reporter
    case = case_in_state(assigned, "investigating", guardian=guardian)
    client.force_login(guardian)
    client.post(url(case, "messages/"), {"message-body": "Which ward?"})
    # When the guardian gives feedback without writing any (issue 17: the earlier message
    # no longer counts, and the form asks for the text)
    response = client.post(
        url(case, "actions/give_feedback/"), {"give_feedback-version": fresh(case).version}
    )
    # Then the page explains what is missing and the status is unchanged
    assert response.status_code == 400
    assert "Write your feedback to the reporter" in response.content.decode()
    assert fresh(case).status == "investigating"


def test_a_stale_close_explains_why(client, assigned, guardian):
    case = case_in_state(assigned, "feedback_given", guardian=guardian)
    client.force_login(guardian)
    response = client.post(url(case, "actions/close/"), {"close-version": case.version})
    assert response.status_code == 409
    assert "Record the outcome before closing" in response.content.decode()
    assert fresh(case).status == "feedback_given"


def test_an_unknown_action_is_not_found(client, assigned, guardian):
    client.force_login(guardian)
    response = client.post(url(assigned, "actions/withdraw/"), {"withdraw-version": 1})
    assert response.status_code == 404


def test_a_blank_message_is_a_form_error_not_a_message(client, assigned, guardian):
    client.force_login(guardian)
    response = client.post(url(assigned, "messages/"), {"message-body": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body and 'href="#id_message-body"' in body
    assert 'aria-describedby="id_message-body-hint id_message-body-error"' in body
    assert not Message.objects.filter(case=assigned).exists()


def test_refer_needs_a_destination_and_a_reason(client, assigned, guardian):
    client.force_login(guardian)
    response = client.post(url(assigned, "actions/refer/"), {"refer-version": assigned.version})
    assert response.status_code == 400
    assert fresh(assigned).status == "received"
    response = client.post(
        url(assigned, "actions/refer/"),
        {"refer-version": assigned.version, "refer-destination": "hr", "refer-note": "Pay dispute"},
    )
    assert response.status_code == 302
    assert fresh(assigned).status == "referred"
    assert EventKind.REFERRAL in kinds(assigned)


def test_reopen_needs_a_reason(client, assigned, guardian):
    case = case_in_state(assigned, "closed", guardian=guardian)
    client.force_login(guardian)
    response = client.post(url(case, "actions/reopen/"), {"reopen-version": case.version})
    assert response.status_code == 400 and fresh(case).status == "closed"
    response = client.post(
        url(case, "actions/reopen/"), {"reopen-version": case.version, "reopen-note": "New facts"}
    )
    assert response.status_code == 302 and fresh(case).status == "reopened"


def test_triage_correction_is_recorded(client, assigned, guardian):
    client.force_login(guardian)
    response = client.post(
        url(assigned, "triage/"),
        {
            "triage-version": assigned.version,
            "triage-categories": ["bullying-harassment"],
            "triage-standards": ["1.7"],
            "triage-note": "Mis-filed",
        },
    )
    assert response.status_code == 302
    case = fresh(assigned)
    assert list(case.concern.categories.values_list("slug", flat=True)) == ["bullying-harassment"]
    assert list(case.concern.standards.values_list("code", flat=True)) == ["1.7"]
    assert kinds(case)[-1] == EventKind.TRIAGE


def test_detriment_is_recorded_by_the_guardian(client, assigned, guardian):
    client.force_login(guardian)
    response = client.post(
        url(assigned, "detriment/"), {"detriment-suffered": "yes", "detriment-note": "Rota cut"}
    )
    assert response.status_code == 302
    detriment = fresh(assigned).detriments.get()
    assert (detriment.suffered, detriment.source) == ("yes", "guardian")


# --- the whole path through the pages --------------------------------------------------------


def test_a_case_goes_from_received_to_closed_through_the_pages(client, case, guardian):
    client.force_login(guardian)

    def post(suffix: str, data: dict) -> None:
        response = client.post(url(case, suffix), data)
        assert response.status_code == 302, response.content.decode()[:2000]
        assert response["Location"].startswith(url(case))

    def version() -> int:
        return fresh(case).version

    post("assign/", {"assign-version": version(), "assign-guardian": guardian.pk})
    post("actions/acknowledge/", {"acknowledge-version": version(), "acknowledge-note": "Hi"})
    post("actions/start_investigation/", {"start_investigation-version": version()})
    post(
        "actions/give_feedback/",
        {
            "give_feedback-version": version(),
            "give_feedback-message": "We spoke to the rota lead; it is fixed.",
        },
    )
    post(
        "outcome/",
        {
            "outcome-version": version(),
            "outcome-upheld": "partly",
            "outcome-findings": "Rota gap confirmed.",
            "outcome-actions": "Extra registrar.",
            "outcome-lessons": "Check rotas monthly.",
        },
    )
    post("actions/close/", {"close-version": version()})

    closed = fresh(case)
    assert closed.status == "closed"
    assert kinds(case) == [
        EventKind.RAISED,
        EventKind.ASSIGNED,
        EventKind.TRANSITION,
        EventKind.TRANSITION,
        EventKind.TRANSITION,
        EventKind.MESSAGE_TO_REPORTER,  # the feedback, written with the move
        EventKind.OUTCOME,
        EventKind.TRANSITION,
    ]
    transitions = CaseEvent.objects.filter(case=case, kind=EventKind.TRANSITION).order_by("seq")
    assert [(e.from_state, e.to_state) for e in transitions] == [
        ("received", "acknowledged"),
        ("acknowledged", "investigating"),
        ("investigating", "feedback_given"),
        ("feedback_given", "closed"),
    ]
    # And the page shows the closed case: the timeline, the question put to the reporter, and
    # reopening as the only action left
    page = client.get(url(case))
    body = page.content.decode()
    assert "Feedback given → Closed" in body
    assert "would you speak up again?" in body
    assert [name for name, _, _ in page.context["actions"]] == ["reopen"]


# --- attachments ---------------------------------------------------------------------------


@pytest.fixture
def with_attachment(org):
    raised = raise_concern(
        org,
        attachments=[
            NewAttachment(
                filename="Rita_Smith_statement.pdf",
                content_type="application/pdf",
                data=b"%PDF-1.4 statement",
            )
        ],
    )
    return raised.case, raised.concern.attachments.get()


def test_attachment_downloads_decrypted_without_the_reporters_filename(
    client, with_attachment, guardian
):
    case, attachment = with_attachment
    client.force_login(guardian)
    page = client.get(url(case)).content.decode()
    assert "Rita_Smith" not in page
    response = client.get(url(case, f"attachments/{attachment.pk}/"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 statement"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert case.reference in disposition and "Rita" not in disposition
    assert response["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("who", ["reporter", "committee", "outsider_guardian"])
def test_attachment_is_not_found_for_those_who_may_not_see_the_case(
    client, request, with_attachment, who
):
    case, attachment = with_attachment
    client.force_login(request.getfixturevalue(who))
    assert client.get(url(case, f"attachments/{attachment.pk}/")).status_code == 404


def test_attachment_download_sends_anonymous_visitors_to_sign_in(client, with_attachment):
    case, attachment = with_attachment
    response = client.get(url(case, f"attachments/{attachment.pk}/"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_attachment_cannot_be_fetched_through_another_case(
    client, org, with_attachment, guardian
):
    _, attachment = with_attachment
    other = raise_concern(org).case
    client.force_login(guardian)
    assert client.get(url(other, f"attachments/{attachment.pk}/")).status_code == 404
