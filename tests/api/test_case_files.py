"""Files through the API: multipart on the message, note and reply endpoints, 4xx JSON for
bad files, and downloads that only those who may see the file can fetch."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import client_for, receipt_token
from tests.factories import case_in_state, raise_concern
from workflow.models import CaseFile, Message

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 minutes of the ward meeting"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def upload(name="Rita_minutes.pdf", data=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def anonymous(org, guardian):
    raised = raise_concern(org)
    case_in_state(raised.case, "investigating", guardian=guardian)
    return raised.case, raised.receipt_code


@pytest.fixture
def confidential(org, guardian, reporter):
    raised = raise_concern(org, route="confidential", reporter=reporter)
    case_in_state(raised.case, "investigating", guardian=guardian)
    return raised.case


def body(response) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def test_a_guardian_sends_a_file_the_anonymous_reporter_downloads(anonymous, guardian):
    case, code = anonymous
    sent = client_for(guardian).post(
        f"/api/v1/cases/{case.reference}/messages/",
        {"body": "The minutes.", "file": [upload()]},
        format="multipart",
    )
    assert sent.status_code == 201, sent.content
    (listed,) = sent.json()["files"]
    assert listed["name"] == f"{case.reference}-file-1.pdf" and listed["size"] == len(PDF)
    assert "Rita" not in sent.content.decode()
    holder = client_for(token=receipt_token(code))
    (message,) = holder.get("/api/v1/anonymous/concern/messages/").json()
    (file,) = message["files"]
    assert file["url"] == "/api/v1/anonymous/concern/files/1/"
    response = holder.get(file["url"])
    assert body(response) == PDF
    assert response["Content-Disposition"] == f'attachment; filename="{case.reference}-file-1.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_note_file_is_for_staff_only(anonymous, confidential, guardian, reporter):
    case, code = anonymous
    for target in (case, confidential):
        sent = client_for(guardian).post(
            f"/api/v1/cases/{target.reference}/notes/",
            {"body": "Staff only", "file": [upload()]},
            format="multipart",
        )
        assert sent.status_code == 201, sent.content
        number = sent.json()["files"][0]["number"]
        notes = client_for(guardian).get(f"/api/v1/cases/{target.reference}/notes/").json()
        assert notes[0]["files"][0]["url"] == f"/api/v1/cases/{target.reference}/files/{number}/"
        assert body(client_for(guardian).get(notes[0]["files"][0]["url"])) == PDF
    holder = client_for(token=receipt_token(code))
    assert holder.get("/api/v1/anonymous/concern/files/1/").status_code == 404
    assert holder.get(f"/api/v1/cases/{case.reference}/files/1/").status_code in {401, 403, 404}
    ref = confidential.reference
    signed_in = client_for(reporter)
    assert signed_in.get(f"/api/v1/concerns/{ref}/files/1/").status_code == 404
    assert signed_in.get(f"/api/v1/cases/{ref}/files/1/").status_code in {403, 404}


def test_a_reporters_reply_carries_a_file_to_the_guardian(confidential, guardian, reporter):
    ref = confidential.reference
    sent = client_for(reporter).post(
        f"/api/v1/concerns/{ref}/messages/",
        {"body": "A photo", "file": [upload("ward.png", PNG, "image/png")]},
        format="multipart",
    )
    assert sent.status_code == 201, sent.content
    assert sent.json()["files"][0]["url"] == f"/api/v1/concerns/{ref}/files/1/"
    assert body(client_for(reporter).get(f"/api/v1/concerns/{ref}/files/1/")) == PNG
    messages = client_for(guardian).get(f"/api/v1/cases/{ref}/messages/").json()
    file = messages[-1]["files"][0]
    assert file["name"] == f"{ref}-file-1.png" and file["type"] == "PNG image"
    assert body(client_for(guardian).get(file["url"])) == PNG


def test_a_receipt_holder_replies_with_a_file(anonymous, guardian):
    case, code = anonymous
    sent = client_for(token=receipt_token(code)).post(
        "/api/v1/anonymous/concern/messages/",
        {"body": "Attached", "file": [upload()]},
        format="multipart",
    )
    assert sent.status_code == 201, sent.content
    # The session says which concern: the download path carries no reference.
    assert case.reference not in sent.json()["files"][0]["url"]
    assert body(client_for(guardian).get(f"/api/v1/cases/{case.reference}/files/1/")) == PDF


@pytest.mark.parametrize(
    ("file", "says"),
    [
        (upload("run.exe", b"MZ", "application/octet-stream"), "not a file type we accept"),
        (upload("x.pdf", b"MZ\x90 really a program"), "does not look like a real PDF"),
        (upload("x.pdf", PDF, "text/html"), "does not look like a real PDF"),
        (upload("empty.pdf", b""), "is empty"),
    ],
    ids=["wrong-type", "disguised", "declared-type", "empty"],
)
def test_bad_files_are_400_json_and_nothing_is_written(anonymous, guardian, file, says):
    case, _ = anonymous
    response = client_for(guardian).post(
        f"/api/v1/cases/{case.reference}/messages/",
        {"body": "Hello", "file": [file]},
        format="multipart",
    )
    assert response.status_code == 400
    assert says in response.json()["file"][0]
    assert not Message.objects.filter(case=case, side="guardian").exists()
    assert not CaseFile.objects.exists()


def test_a_file_over_the_limit_is_refused(anonymous, guardian, settings):
    case, _ = anonymous
    settings.SPEAKUP_ATTACHMENTS = type(settings.SPEAKUP_ATTACHMENTS)(max_bytes=100)
    response = client_for(guardian).post(
        f"/api/v1/cases/{case.reference}/notes/",
        {"body": "Big", "file": [upload(data=PDF + b"x" * 100)]},
        format="multipart",
    )
    assert response.status_code == 400 and "larger than" in response.json()["file"][0]


def test_a_body_larger_than_any_allowed_upload_is_413(anonymous, guardian, settings):
    case, _ = anonymous
    settings.SPEAKUP_ATTACHMENTS = type(settings.SPEAKUP_ATTACHMENTS)(max_bytes=10, max_files=1)
    response = client_for(guardian).post(
        f"/api/v1/cases/{case.reference}/notes/",
        {"body": "Big", "file": [upload(data=PDF + b"x" * (1024 * 1024 + 100))]},
        format="multipart",
    )
    assert response.status_code == 413 and "detail" in response.json()


def test_more_files_than_allowed_are_refused(anonymous, guardian):
    case, _ = anonymous
    response = client_for(guardian).post(
        f"/api/v1/cases/{case.reference}/messages/",
        {"body": "Many", "file": [upload() for _ in range(6)]},
        format="multipart",
    )
    assert response.status_code == 400 and "at most 5" in response.json()["file"][0]


def test_a_file_field_that_is_not_a_file_is_400(anonymous, guardian):
    case, _ = anonymous
    response = client_for(guardian).post(
        f"/api/v1/cases/{case.reference}/messages/",
        {"body": "Hello", "file": ["not a file"]},
        format="json",
    )
    assert response.status_code == 400 and "file" in response.json()


@pytest.mark.parametrize("who", ["outsider_guardian", "committee", "other_reporter"])
def test_others_never_get_the_bytes(anonymous, guardian, request, who):
    case, _ = anonymous
    client_for(guardian).post(
        f"/api/v1/cases/{case.reference}/messages/",
        {"body": "The minutes.", "file": [upload()]},
        format="multipart",
    )
    other = client_for(request.getfixturevalue(who))
    for path in (
        f"/api/v1/cases/{case.reference}/files/1/",
        f"/api/v1/concerns/{case.reference}/files/1/",
    ):
        response = other.get(path)
        assert response.status_code in {403, 404} and PDF not in response.content


def test_a_receipt_holder_of_another_case_cannot_fetch_its_files(org, anonymous, guardian):
    case, _ = anonymous
    client_for(guardian).post(
        f"/api/v1/cases/{case.reference}/messages/",
        {"body": "The minutes.", "file": [upload()]},
        format="multipart",
    )
    stranger = client_for(token=receipt_token(raise_concern(org).receipt_code))
    assert stranger.get("/api/v1/anonymous/concern/files/1/").status_code == 404
    response = stranger.get(f"/api/v1/concerns/{case.reference}/files/1/")
    assert response.status_code in {403, 404} and PDF not in response.content


def test_json_messages_still_work_and_list_no_files(anonymous, guardian):
    case, _ = anonymous
    sent = client_for(guardian).post(
        f"/api/v1/cases/{case.reference}/messages/", {"body": "Plain"}, format="json"
    )
    assert sent.status_code == 201 and sent.json()["files"] == []
