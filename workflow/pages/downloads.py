"""A concern's attached file as a download, for the guardian and for the reporter alike."""

from __future__ import annotations

import io
import mimetypes

from django.http import FileResponse, Http404

from config import rules as config_rules
from workflow.models import Case, CaseFile
from workflow.services.files import case_file_name


def attachment_response(case: Case, attachment_id: int) -> FileResponse:
    """The case's attachment (404 if it is not this case's), served as a download of an
    allowed type or as opaque bytes, and never rendered by the browser."""
    attachment = case.concern.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("Attachment not found.")
    allowed = config_rules.attachments().allowed_types
    content_type = (
        attachment.content_type
        if attachment.content_type in allowed
        else "application/octet-stream"
    )
    # The stored filename may name the reporter: the download is named after the case only.
    extension = mimetypes.guess_extension(content_type) or ""
    if extension in {".bin", ".a"}:
        extension = ""
    response = FileResponse(
        io.BytesIO(bytes(attachment.data)),
        as_attachment=True,
        filename=f"{case.reference}-attachment-{attachment.pk}{extension}",
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def case_file_response(case: Case, file: CaseFile) -> FileResponse:
    """A file on a message or note, served as a download named after the case and the
    file's number only (``files.case_file_name``), and never rendered by the browser."""
    allowed = config_rules.attachments().allowed_types
    content_type = file.content_type if file.content_type in allowed else "application/octet-stream"
    response = FileResponse(
        io.BytesIO(bytes(file.data)),
        as_attachment=True,
        filename=case_file_name(file, case.reference),
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # A reporter's or a guardian's file is nobody's cache's business.
    response["Cache-Control"] = "private, no-store"
    return response
