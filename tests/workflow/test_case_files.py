"""Files on the conversation and on internal notes: the one check, the recording service,
who sees and downloads what, and the bytes encrypted at rest."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from pypdf import PdfReader

from tests.factories import case_in_state, raise_concern
from workflow.errors import CaseNotFound, InvalidInput, NotPermitted
from workflow.events import case_log_verify
from workflow.models import CaseEvent, CaseFile, EventKind, Message
from workflow.policies import ReceiptHolder
from workflow.services import files, handling
from workflow.services import reporter as reporter_actions
from workflow.services.raising import NewAttachment

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 the rota for ward 7, written by Rita Marker"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SECRET = b"Rita Marker"


def pdf(name="Rita_Marker_rota.pdf", data=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def checked(name="Rita_Marker_rota.pdf", data=PDF):
    return files.file_check(upload=pdf(name, data))


@pytest.fixture
def anonymous_case(org, guardian):
    raised = raise_concern(org)
    case_in_state(raised.case, "investigating", guardian=guardian)
    raised.case.refresh_from_db()
    return raised.case, raised.receipt_code


@pytest.fixture
def confidential_case(org, guardian, reporter):
    raised = raise_concern(org, route="confidential", reporter=reporter)
    case_in_state(raised.case, "investigating", guardian=guardian)
    raised.case.refresh_from_db()
    return raised.case


def holding(client, code):
    assert client.post("/receipt/", {"code": code}).status_code == 302
    return client


def downloaded(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


# --- the one check ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "content_type", "says"),
    [
        ("notes.exe", b"MZ\x90\x00", "application/octet-stream", "not a file type we accept"),
        ("page.html", b"<html>", "text/html", "not a file type we accept"),
        ("report.pdf", b"MZ\x90\x00 a program", "application/pdf", "does not look like a real"),
        ("photo.png", PDF, "image/png", "does not look like a real PNG"),
        ("report.pdf", PDF, "text/html", "does not look like a real PDF"),
        ("empty.pdf", b"", "application/pdf", "is empty"),
    ],
)
def test_the_check_refuses_wrong_disguised_and_empty_files(name, data, content_type, says):
    with pytest.raises(InvalidInput) as refused:
        files.file_check(upload=pdf(name, data, content_type))
    assert says in str(refused.value) and refused.value.problems.keys() == {"file"}


def test_the_check_refuses_a_file_over_the_size_limit(settings):
    settings.SPEAKUP_ATTACHMENTS = type(settings.SPEAKUP_ATTACHMENTS)(max_bytes=64)
    with pytest.raises(InvalidInput, match="larger than 64"):
        files.file_check(upload=pdf(data=PDF + b"x" * 64))


def test_the_check_takes_the_type_from_the_extension_and_the_first_bytes():
    new = files.file_check(upload=pdf("C:\\Users\\rita\\scan.PNG", PNG, "image/png"))
    assert (new.filename, new.content_type, new.data) == ("scan.PNG", "image/png", PNG)


def test_the_raise_form_uses_the_same_check():
    from django import forms

    from workflow.pages.reporter.forms import attachment_check

    with pytest.raises(forms.ValidationError, match="does not look like a real PDF"):
        attachment_check(pdf(data=b"MZ not a pdf"))
    assert attachment_check(pdf()).data == PDF


# --- recording ---------------------------------------------------------------------------------


def test_a_guardians_file_on_a_message_is_numbered_logged_and_encrypted(anonymous_case, guardian):
    case, _ = anonymous_case
    message = handling.case_message_send(
        case=case, actor=guardian, body="The rota we agreed.", files=[checked()]
    )
    stored = CaseFile.objects.get()
    assert (stored.message, stored.note, stored.number, stored.size) == (message, None, 1, len(PDF))
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert event.kind == EventKind.FILE_ATTACHED and event.actor_role == "guardian"
    assert event.note.startswith("File 1 (PDF,") and "message to the reporter" in event.note
    assert "Rita" not in event.note and ".pdf" not in event.note
    assert case_log_verify(case=case) is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT data, filename FROM workflow_casefile")
        data, filename = cursor.fetchone()
    assert SECRET not in bytes(data) and b"%PDF" not in bytes(data)
    assert "Rita" not in filename and bytes(data).startswith(b"gAAAA")
    assert bytes(CaseFile.objects.get().data) == PDF


def test_files_are_numbered_across_the_case(anonymous_case, guardian):
    case, _ = anonymous_case
    handling.case_message_send(case=case, actor=guardian, body="One", files=[checked()])
    handling.case_note_add(case=case, actor=guardian, body="Two", files=[checked(), checked()])
    reporter_actions.concern_message_reply(
        case=case, actor=ReceiptHolder(concern_id=case.concern_id), body="Three", files=[checked()]
    )
    assert list(CaseFile.objects.values_list("number", flat=True)) == [1, 2, 3, 4]
    notes = CaseEvent.objects.filter(case=case, kind=EventKind.FILE_ATTACHED)
    assert [e.actor_role for e in notes] == ["guardian", "guardian", "guardian", "reporter"]
    assert "reply from the reporter" in notes.last().note and notes.last().actor_id is None


def test_a_signed_in_reporters_file_event_does_not_name_them(confidential_case, reporter):
    reporter_actions.concern_message_reply(
        case=confidential_case, actor=reporter, body="Attached", files=[checked()]
    )
    event = CaseEvent.objects.get(kind=EventKind.FILE_ATTACHED)
    assert event.actor_role == "reporter"
    assert reporter.username not in event.note and "Rita" not in event.note


def test_a_refused_file_leaves_no_message_behind(anonymous_case, guardian):
    case, _ = anonymous_case
    fake = NewAttachment(filename="x.html", content_type="text/html", data=b"<script>")
    with pytest.raises(InvalidInput):
        handling.case_message_send(case=case, actor=guardian, body="Hello", files=[fake])
    assert not Message.objects.filter(case=case).exists() and not CaseFile.objects.exists()


def test_only_those_who_may_write_there_may_attach(
    anonymous_case, other_guardian, outsider_guardian
):
    case, _ = anonymous_case
    with pytest.raises(NotPermitted):
        handling.case_message_send(case=case, actor=other_guardian, body="Hi", files=[checked()])
    with pytest.raises(CaseNotFound):
        handling.case_note_add(case=case, actor=outsider_guardian, body="Hi", files=[checked()])
    with pytest.raises(CaseNotFound):
        reporter_actions.concern_message_reply(
            case=case, actor=ReceiptHolder(concern_id=-1), body="Hi", files=[checked()]
        )
    assert not CaseFile.objects.exists()


def test_a_file_goes_on_a_message_of_the_same_case(org, anonymous_case, guardian):
    case, _ = anonymous_case
    message = handling.case_message_send(case=case, actor=guardian, body="Hi")
    other = raise_concern(org).case
    with pytest.raises(InvalidInput):
        files.case_files_record(case=other, actor=guardian, files=[checked()], message=message)


# --- pages: who sees and downloads what ---------------------------------------------------------


def test_the_guardians_file_reaches_the_anonymous_reporter(client, anonymous_case, guardian):
    case, code = anonymous_case
    client.force_login(guardian)
    response = client.post(
        f"/cases/{case.reference}/messages/",
        {"message-body": "Here is the rota.", "message-file": pdf()},
    )
    assert response.status_code == 302
    client.logout()
    holding(client, code)
    page = client.get("/receipt/concern/").content.decode()
    name = f"{case.reference}-file-1.pdf"
    assert name in page and "Rita_Marker" not in page
    response = client.get("/receipt/concern/conversation-files/1/")
    assert downloaded(response) == PDF
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert case.reference not in "/receipt/concern/conversation-files/1/"


def test_a_file_on_a_note_is_never_shown_or_served_to_the_reporter(
    client, anonymous_case, confidential_case, guardian, reporter
):
    for case in (anonymous_case[0], confidential_case):
        client.force_login(guardian)
        client.post(
            f"/cases/{case.reference}/notes/",
            {"note-body": "Staff only.", "note-file": pdf()},
        )
        number = CaseFile.objects.get(case=case).number
        assert downloaded(client.get(f"/cases/{case.reference}/files/{number}/")) == PDF
        client.logout()
    # The receipt holder of the anonymous case
    holding(client, anonymous_case[1])
    number = CaseFile.objects.get(case=anonymous_case[0]).number
    page = client.get("/receipt/concern/").content.decode()
    assert f"{anonymous_case[0].reference}-file-" not in page and "conversation-files" not in page
    assert client.get(f"/receipt/concern/conversation-files/{number}/").status_code == 404
    # The signed-in reporter of the confidential case
    client.force_login(reporter)
    ref = confidential_case.reference
    page = client.get(f"/my-concerns/{ref}/").content.decode()
    assert f"{ref}-file-" not in page and "conversation-files" not in page
    assert client.get(f"/my-concerns/{ref}/conversation-files/1/").status_code == 404


def test_the_reporters_file_on_a_reply_reaches_the_guardian(
    client, confidential_case, guardian, reporter
):
    ref = confidential_case.reference
    client.force_login(reporter)
    response = client.post(
        f"/my-concerns/{ref}/reply/",
        {"reply-body": "My statement.", "reply-file": pdf("statement.png", PNG, "image/png")},
    )
    assert response.status_code == 302
    assert f"{ref}-file-1.png" in client.get(f"/my-concerns/{ref}/").content.decode()
    client.force_login(guardian)
    page = client.get(f"/cases/{ref}/").content.decode()
    assert f"/cases/{ref}/files/1/" in page and "statement.png" not in page
    assert downloaded(client.get(f"/cases/{ref}/files/1/")) == PNG


@pytest.mark.parametrize("who", ["committee", "outsider_guardian", "reporter", "other_reporter"])
def test_others_get_not_found_for_a_case_file(client, request, anonymous_case, guardian, who):
    case, _ = anonymous_case
    handling.case_message_send(case=case, actor=guardian, body="Rota", files=[checked()])
    client.force_login(request.getfixturevalue(who))
    assert client.get(f"/cases/{case.reference}/files/1/").status_code == 404
    assert client.get(f"/my-concerns/{case.reference}/conversation-files/1/").status_code == 404


def test_a_receipt_holder_of_another_case_cannot_fetch_its_files(
    client, org, anonymous_case, guardian
):
    case, _ = anonymous_case
    handling.case_message_send(case=case, actor=guardian, body="Rota", files=[checked()])
    other = raise_concern(org)
    holding(client, other.receipt_code)
    assert client.get("/receipt/concern/conversation-files/1/").status_code == 404


def test_a_file_cannot_be_fetched_through_another_case(client, org, anonymous_case, guardian):
    case, _ = anonymous_case
    handling.case_message_send(case=case, actor=guardian, body="Rota", files=[checked()])
    other = raise_concern(org).case
    client.force_login(guardian)
    assert client.get(f"/cases/{other.reference}/files/1/").status_code == 404


def test_a_bad_file_on_the_message_form_is_a_form_error(client, anonymous_case, guardian):
    case, _ = anonymous_case
    client.force_login(guardian)
    response = client.post(
        f"/cases/{case.reference}/messages/",
        {"message-body": "Rota", "message-file": pdf("rota.pdf", b"MZ program")},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "does not look like a real PDF" in page and "nhsuk-file-upload--error" in page
    assert 'href="#id_message-file"' in page
    assert not Message.objects.filter(case=case, side="guardian").exists()


def test_a_bad_file_on_the_reply_form_is_a_form_error(client, anonymous_case):
    case, code = anonymous_case
    holding(client, code)
    response = client.post(
        "/receipt/concern/reply/",
        {"reply-body": "Here", "reply-file": pdf("x.exe", b"MZ", "application/octet-stream")},
    )
    page = response.content.decode()
    assert response.status_code == 400 and "not a file type we accept" in page
    assert 'aria-invalid="true"' in page
    assert not Message.objects.filter(case=case, side="reporter").exists()


def test_an_empty_file_on_the_note_form_is_a_form_error(client, anonymous_case, guardian):
    case, _ = anonymous_case
    client.force_login(guardian)
    response = client.post(
        f"/cases/{case.reference}/notes/",
        {"note-body": "Staff only", "note-file": pdf("empty.pdf", b"")},
    )
    assert response.status_code == 400 and "is empty" in response.content.decode()
    assert not CaseFile.objects.exists()


# --- the bundle ----------------------------------------------------------------------------


def test_the_bundle_lists_files_by_neutral_name_not_contents(client, anonymous_case, guardian):
    case, _ = anonymous_case
    handling.case_message_send(case=case, actor=guardian, body="Rota", files=[checked()])
    handling.case_note_add(case=case, actor=guardian, body="Note", files=[checked()])
    client.force_login(guardian)
    response = client.post(f"/cases/{case.reference}/bundle/")
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert f"{case.reference}-file-1.pdf" in text and f"{case.reference}-file-2.pdf" in text
    assert "Internal note" in text and "Message to the reporter" in text
    assert "Rita" not in text and "ward 7" not in text


# --- retention and key rotation ----------------------------------------------------------------


def test_the_retention_rule_erases_case_files_with_the_conversation(anonymous_case, guardian):
    from workflow.retention import _erase

    case, _ = anonymous_case
    handling.case_message_send(case=case, actor=guardian, body="Rota", files=[checked()])
    handling.case_note_add(case=case, actor=guardian, body="Note", files=[checked()])
    _erase(case)
    assert not CaseFile.objects.exists()


def test_key_rotation_re_encrypts_case_files(anonymous_case, guardian, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    case, _ = anonymous_case
    handling.case_message_send(case=case, actor=guardian, body="Rota", files=[checked()])
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM workflow_casefile")
        before = bytes(cursor.fetchone()[0])
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *settings.FIELD_ENCRYPTION_KEYS]
    call_command("rotate_encryption_keys", stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM workflow_casefile")
        after = bytes(cursor.fetchone()[0])
    assert after != before and Fernet(new_key.encode()).decrypt(after) == PDF
