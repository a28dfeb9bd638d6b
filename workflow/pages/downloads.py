"""Downloads: a concern's attached file (for the guardian and for the reporter alike) and
the case bundle (for its handlers)."""

from __future__ import annotations

import io
import mimetypes

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse

from config import rules as config_rules
from workflow.errors import CaseNotFound, NotPermitted
from workflow.models import Case, CaseFile
from workflow.services import handling
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


def case_bundle_response(*, case: Case, actor: User | AnonymousUser) -> HttpResponse:
    """The bundle as a download: refusals as the case page answers them (404, 403)."""
    if not isinstance(actor, User):
        raise Http404("Case not found.")
    try:
        bundle = handling.case_bundle_download(case=case, actor=actor)
    except CaseNotFound as exc:
        raise Http404("Case not found.") from exc
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc
    response = HttpResponse(bundle.content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{bundle.filename}"'
    response["Cache-Control"] = "no-store"
    return response
