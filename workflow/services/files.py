"""Files: the one check of what an uploaded file is, and recording files on a case.

``file_check`` is every rule about an uploaded file (its type by extension, declared type
and first bytes, its size, that it is not empty), for the raise form, the case pages and the
API alike. ``case_files_record`` keeps checked files on a message of the conversation or on
an internal note, encrypted at rest, each with a case event that says what kind of file it
is and where, never its uploaded name (which may name a person) nor who the reporter is.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.template.defaultfilters import filesizeformat

from config import rules
from workflow import policies
from workflow.errors import CaseNotFound, InvalidInput
from workflow.events import case_event_record
from workflow.models import Case, CaseFile, EventKind, InternalNote, Message, Side
from workflow.policies import Actor
from workflow.services._steps import lock, require_handler
from workflow.services.raising import NewAttachment

# Extension -> the content type we store, and the magic bytes the file must start with.
_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
FILE_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".webp": ("image/webp", (b"RIFF",)),
    ".doc": ("application/msword", _OLE),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    ".xls": ("application/vnd.ms-excel", _OLE),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    ".ppt": ("application/vnd.ms-powerpoint", _OLE),
    ".pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ZIP,
    ),
    ".odt": ("application/vnd.oasis.opendocument.text", _ZIP),
}
# What browsers send when they do not know a type; the magic bytes decide then.
_GENERIC_TYPES = {"", "application/octet-stream", "application/zip", "application/x-zip-compressed"}
# Short names for a content type, for the case log and the bundle (never the file's name).
TYPE_NAMES = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
}


def _magic_ok(head: bytes, extension: str, magics: tuple[bytes, ...]) -> bool:
    if extension == ".webp":
        return head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    return any(head.startswith(m) for m in magics)


def _too_large(name: str, max_bytes: int) -> InvalidInput:
    return InvalidInput(
        f"“{name}” is larger than {filesizeformat(max_bytes)}. Upload a smaller file.",
        field="file",
    )


def file_check(*, upload: UploadedFile, field: str = "file") -> NewAttachment:
    """One uploaded file, checked: an allowed type whose declared type and first bytes agree
    with its extension, not empty and within the size limit. Refused with ``InvalidInput``
    naming ``field``, in words a reporter can act on."""
    policy = rules.attachments()
    name = os.path.basename((upload.name or "").replace("\\", "/"))[:200] or "attachment"
    extension = os.path.splitext(name)[1].lower()
    allowed = {ext: t for ext, t in FILE_TYPES.items() if t[0] in policy.allowed_types}
    if extension not in allowed:
        raise InvalidInput(
            f"“{name}” is not a file type we accept. Upload a PDF, an image (PNG, JPEG, GIF, "
            "WebP) or an Office document (Word, Excel, PowerPoint, OpenDocument text).",
            field=field,
        )
    if upload.size is not None and upload.size > policy.max_bytes:
        raise _too_large(name, policy.max_bytes)
    content_type, magics = allowed[extension]
    declared = (upload.content_type or "").split(";")[0].strip().lower()
    upload.seek(0)
    data = upload.read(policy.max_bytes + 1)
    if len(data) > policy.max_bytes:
        raise _too_large(name, policy.max_bytes)
    if not data:
        raise InvalidInput(f"“{name}” is empty. Upload a file with something in it.", field=field)
    if (declared not in _GENERIC_TYPES and declared != content_type) or not _magic_ok(
        data[:16], extension, magics
    ):
        raise InvalidInput(
            f"“{name}” does not look like a real {extension[1:].upper()} file. Check the file "
            "and upload it again.",
            field=field,
        )
    return NewAttachment(filename=name, content_type=content_type, data=data)


def files_check(*, uploads: Sequence[UploadedFile], field: str = "file") -> list[NewAttachment]:
    """Several uploads at once: every problem together, and no more than the policy allows."""
    limit = rules.attachments().max_files
    if len(uploads) > limit:
        raise InvalidInput(f"Attach at most {limit} files.", field=field)
    checked, problems = [], []
    for upload in uploads:
        try:
            checked.append(file_check(upload=upload, field=field))
        except InvalidInput as refusal:
            problems.append(str(refusal))
    if problems:
        raise InvalidInput(" ".join(problems), field=field)
    return checked


def type_name(content_type: str) -> str:
    """ "PDF", "Word document"... for a content type we accept, "File" otherwise."""
    if content_type in TYPE_NAMES:
        return TYPE_NAMES[content_type]
    if "word" in content_type or "opendocument.text" in content_type:
        return "Word document"
    if "excel" in content_type or "spreadsheet" in content_type:
        return "Excel spreadsheet"
    if "powerpoint" in content_type or "presentation" in content_type:
        return "PowerPoint presentation"
    return "File"


def case_file_name(file: CaseFile, reference: str) -> str:
    """The neutral name a file is listed and downloaded under: the case and its number."""
    extension = next((e for e, t in FILE_TYPES.items() if t[0] == file.content_type), "")
    extension = ".jpg" if extension == ".jpeg" else extension
    return f"{reference}-file-{file.number}{extension}"


def _where(message: Message | None) -> str:
    if message is None:
        return "an internal note"
    if message.side == Side.REPORTER:
        return "a reply from the reporter"
    return "a message to the reporter"


def _may_attach(actor: Actor, case: Case, message: Message | None) -> str:
    """The role the actor attaches as; not found if they may not attach here."""
    if message is not None and message.side == Side.REPORTER:
        if not policies.is_reporter_of(actor, case):
            raise CaseNotFound("Concern not found.")
        return "reporter"
    if message is None:
        if not policies.may_view_case(actor, case):
            raise CaseNotFound("Case not found.")
    else:
        require_handler(actor, case)
    return "guardian"


@transaction.atomic
def case_files_record(
    *,
    case: Case,
    actor: Actor,
    files: Sequence[NewAttachment],
    message: Message | None = None,
    note: InternalNote | None = None,
) -> list[CaseFile]:
    """Keep ``files`` on ``message`` or ``note`` (exactly one, of this case), each numbered
    in the case and recorded in its log. Called by the services that write the message or
    note, inside their transaction; refuses files that ``file_check`` would."""
    owner = message if message is not None else note
    if owner is None or (message is not None and note is not None) or owner.case_id != case.pk:
        raise InvalidInput("A file goes on one message or note of this case.", field="file")
    if not files:
        return []
    _refuse_unchecked(files)
    case = lock(case)
    role = _may_attach(actor, case, message)
    last = CaseFile.objects.filter(case=case).aggregate(last=Max("number"))["last"] or 0
    recorded = []
    for offset, new in enumerate(files, start=1):
        recorded.append(
            CaseFile.objects.create(
                case=case,
                number=last + offset,
                message=message,
                note=note,
                filename=new.filename,
                content_type=new.content_type,
                size=len(new.data),
                data=new.data,
            )
        )
        case_event_record(
            case=case,
            kind=EventKind.FILE_ATTACHED,
            actor=actor,
            actor_role=role,
            note=f"File {last + offset} ({type_name(new.content_type)}, "
            f"{filesizeformat(len(new.data))}) on {_where(message)}",
        )
    return recorded


def _refuse_unchecked(files: Sequence[NewAttachment]) -> None:
    policy = rules.attachments()
    if len(files) > policy.max_files:
        raise InvalidInput(f"Attach at most {policy.max_files} files.", field="file")
    for new in files:
        if new.content_type not in policy.allowed_types or not new.data:
            raise InvalidInput("Attach a PDF, an image or an Office document.", field="file")
        if len(new.data) > policy.max_bytes:
            raise _too_large("The file", policy.max_bytes)
