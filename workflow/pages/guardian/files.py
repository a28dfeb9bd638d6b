"""The guardian's downloads: a concern's attachment, and a file on a message or note."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from workflow import selectors
from workflow.errors import CaseNotFound
from workflow.pages.downloads import attachment_response, case_file_response
from workflow.pages.guardian.views import _case_or_404, guardian_required


@require_safe
@guardian_required
def case_file_download(request: HttpRequest, reference: str, number: int) -> HttpResponse:
    """Any file of a case the guardian may see; another case's, or none, is a 404."""
    case = _case_or_404(request, reference)
    try:
        file = selectors.case_file_for_staff(case=case, number=number)
    except CaseNotFound as exc:
        raise Http404("File not found.") from exc
    return case_file_response(case, file)


@require_safe
@guardian_required
def attachment_download(request: HttpRequest, reference: str, attachment_id: int) -> HttpResponse:
    return attachment_response(_case_or_404(request, reference), attachment_id)
