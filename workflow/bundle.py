"""The case bundle: one case as a tagged PDF, to hand to an investigation.

The case summary, the concern, the timeline, the conversation, the internal notes, the
outcome and the attachments (listed by number, as on the case page: a stored filename may
name the reporter; not included). The reporter's identity is in it only
when the guardian may know it: an open concern, or a confidential one whose identity was
revealed and which the downloader may reveal; never an anonymous reporter's, never the
account a reporter signed in with. This module only builds the PDF; each download is a
case event, recorded by ``workflow.services.handling.case_bundle_download`` in the
transaction the bundle is read in.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from reports.tagged import FONT, FONTS, TableStyle, TaggedPDF
from workflow import policies, selectors
from workflow.models import Case, CaseEvent, EventKind, Side, Status
from workflow.services.files import case_file_name, type_name

INK, MUTED = (33, 43, 50), (66, 85, 99)
NONE = "\N{EN DASH}"  # reads as "none" in a table
TABLE = TableStyle(size=8.5, line_height=5.0)
HEADING_SIZES = {1: 17.0, 2: 13.5}
STATUS_LABELS = dict(Status.choices)
SIDE_NAMES = {str(Side.REPORTER): "Reporter", str(Side.SYSTEM): "Speak Up"}
FILE_PLACES = {
    str(Side.REPORTER): "Reply from the reporter",
    str(Side.GUARDIAN): "Message to the reporter",
    str(Side.SYSTEM): "Message to the reporter",
    "": "Internal note",
}


@dataclass(frozen=True)
class Bundle:
    filename: str
    content: bytes
    with_identity: bool  # whether the reporter's identity is in it


def _when(moment: object) -> str:
    return f"{timezone.localtime(moment):%-d %b %Y, %H:%M}"  # type: ignore[arg-type]


def _name(user: AbstractBaseUser | None) -> str:
    if user is None:
        return "Speak Up"
    return user.get_full_name() or user.get_username()  # type: ignore[attr-defined]


class _Document(TaggedPDF):
    def __init__(self, reference: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.reference = reference
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=20)
        self.alias_nb_pages()
        self.set_title(f"Case bundle: {reference}")
        self.set_lang("en-GB")
        self.set_creator("Speak Up")

    def footer(self) -> None:
        with self.artifact():
            self.set_y(-14)
            self.set_font(FONT, "", 7.5)
            self.set_text_color(*MUTED)
            self.cell(0, 4, f"{self.reference} · Confidential: for the investigation only")
            self.cell(0, 4, f"Page {self.page_no()} of {{nb}}", align="R")

    def heading(self, text: str, level: int) -> None:
        size = HEADING_SIZES[level]
        self.set_font(FONT, "B", size)
        self.set_text_color(*INK)
        self.fits(self.text_height(self.epw, size * 0.5, text) + 12)
        self.start_section(text, level=level - 1)
        self.tagged_text(f"H{level}", text, size * 0.5)
        self.ln(1.5)

    def para(self, text: str, size: float = 9.5, colour: tuple[int, int, int] = INK) -> None:
        self.set_font(FONT, "", size)
        self.set_text_color(*colour)
        # Long free text (a concern, a message) may run over pages: a paragraph per line.
        for line in (text or NONE).splitlines() or [NONE]:
            self.tagged_text("P", line or " ", size * 0.48)
        self.ln(1.5)

    def grid(self, columns: tuple[str, ...], rows: list[list[str]], widths: list[float]) -> None:
        self.set_text_color(*INK)
        scale = self.epw / sum(widths)
        self.tagged_table(
            columns,
            rows or [["None.", *([""] * (len(columns) - 1))]],
            widths=[w * scale for w in widths],
            align=["LEFT"] * len(columns),
            style=TABLE,
        )
        self.ln(3)

    def entry(self, title: str, body: str) -> None:
        """A dated message or note: its author and time as a small heading, then its text."""
        self.set_font(FONT, "B", 9)
        self.set_text_color(*MUTED)
        self.fits(15)
        self.tagged_text("P", title, 4.5)
        self.para(body)


def _identity(case: Case, actor: AbstractBaseUser) -> list[list[str]]:
    concern = case.concern
    if case.route == "open":
        shown = True
    elif case.route == "confidential":
        revealed = CaseEvent.objects.filter(case=case, kind=EventKind.IDENTITY_VIEWED).exists()
        shown = revealed and policies.may_reveal_identity(actor, case)
    else:
        shown = False
    if not shown:
        why = "anonymous" if case.route == "anonymous" else "confidential, not revealed"
        return [["Reporter", f"Not shown ({why})"]]
    return [
        ["Name", concern.reporter_name or "Not given"],
        ["Contact", concern.reporter_contact or "Not given"],
    ]


def _summary(pdf: _Document, case: Case, actor: AbstractBaseUser) -> bool:
    concern = case.concern
    rows = [
        ["Reference", case.reference],
        ["Organisation", case.organisation.name],
        ["Department", concern.department.name if concern.department else "Not given"],
        ["Raised", _when(case.raised_at)],
        ["Route", case.get_route_display()],
        ["Status", case.get_status_display()],
        ["Assigned guardian", _name(case.assigned_guardian) if case.assigned_guardian else "None"],
        ["Reporter's role", concern.get_reporter_role_display()],
        ["Categories", ", ".join(c.name for c in concern.categories.all()) or "None"],
        ["Quality standards", ", ".join(s.code for s in concern.standards.all()) or "None"],
    ]
    identity = _identity(case, actor)
    pdf.heading("Case summary", 2)
    pdf.grid(("Item", "Detail"), rows + identity, [45, 125])
    pdf.heading("The concern", 2)
    pdf.para(concern.description)
    if concern.outcome_hoped:
        pdf.para(f"Outcome hoped for: {concern.outcome_hoped}")
    return identity[0][0] == "Name"


def _timeline(pdf: _Document, case: Case) -> None:
    rows = []
    for e in selectors.case_events(case=case):
        # Never the reporter's account: a reporter's events say "Reporter".
        who = "Reporter" if e.actor_role == "reporter" else _name(e.actor)
        what = e.get_kind_display()
        if e.from_state or e.to_state:
            what += (
                f": {STATUS_LABELS.get(e.from_state, NONE)} → {STATUS_LABELS.get(e.to_state, NONE)}"
            )
        rows.append([_when(e.created_at), who, what + (f". {e.note}" if e.note else "")])
    pdf.heading("Timeline", 2)
    pdf.grid(("When", "Who", "What"), rows, [32, 35, 103])


def _conversation_and_notes(pdf: _Document, case: Case) -> None:
    pdf.heading("Conversation with the reporter", 2)
    messages = list(selectors.case_messages(case=case))
    for m in messages:
        who = SIDE_NAMES.get(str(m.side)) or _name(m.author)
        pdf.entry(f"{who}, {_when(m.created_at)}", m.body)
    if not messages:
        pdf.para("No messages.")
    pdf.heading("Internal notes", 2)
    notes = list(case.notes.select_related("author").order_by("created_at"))
    for n in notes:
        pdf.entry(f"{_name(n.author)}, {_when(n.created_at)}", n.body)
    if not notes:
        pdf.para("No notes.")


def _outcome_and_files(pdf: _Document, case: Case) -> None:
    pdf.heading("Outcome", 2)
    outcome = getattr(case, "outcome", None)
    if outcome is None:
        pdf.para("No outcome recorded yet.")
    else:
        rows = [
            ["Upheld", outcome.get_upheld_display()],
            ["Findings", outcome.findings],
            ["Actions", outcome.actions or "None recorded"],
            ["Lessons", outcome.lessons or "None recorded"],
            ["Recorded", _when(outcome.recorded_at)],
        ]
        pdf.grid(("Item", "Detail"), rows, [30, 140])
    pdf.heading("Attachments (listed, not included)", 2)
    # Numbered as the case page numbers them: a stored filename may name the reporter.
    files = [
        [f"Attachment {i}", a.content_type, f"{a.size:,} bytes", _when(a.uploaded_at)]
        for i, a in enumerate(case.concern.attachments.order_by("id"), 1)
    ]
    pdf.grid(("File", "Type", "Size", "Uploaded"), files, [70, 40, 25, 35])
    _case_files(pdf, case)


def _case_files(pdf: _Document, case: Case) -> None:
    """Files on messages and notes, by their neutral names (as downloaded), not contents."""
    pdf.heading("Files on messages and notes (listed, not included)", 2)
    rows = [
        [
            case_file_name(f, case.reference),
            FILE_PLACES[f.message.side if f.message else ""],
            type_name(f.content_type),
            f"{f.size:,} bytes",
            _when(f.uploaded_at),
        ]
        for f in selectors.case_files(case=case)
    ]
    if not rows:
        pdf.para("No files.")
        return
    pdf.grid(("File", "On", "Type", "Size", "Uploaded"), rows, [48, 40, 32, 22, 28])


def _render(case: Case, actor: AbstractBaseUser) -> tuple[bytes, bool]:
    pdf = _Document(case.reference)
    pdf.add_page()
    pdf.heading(f"Case bundle: {case.reference}", 1)
    pdf.para(
        f"Prepared {_when(timezone.now())} by {_name(actor)} for an investigation. Confidential: "
        "share only with those investigating. This download is recorded in the case timeline.",
        size=9,
        colour=MUTED,
    )
    named = _summary(pdf, case, actor)
    _timeline(pdf, case)
    _conversation_and_notes(pdf, case)
    _outcome_and_files(pdf, case)
    return pdf.tagged_output(), named


def case_bundle_build(*, case: Case, actor: AbstractBaseUser) -> Bundle:
    """The bundle as ``actor`` may see it. Only builds it: the download, and the case event
    that records it, are ``workflow.services.handling.case_bundle_download``."""
    content, named = _render(case, actor)
    return Bundle(f"case-bundle-{case.reference}.pdf", content, with_identity=named)
