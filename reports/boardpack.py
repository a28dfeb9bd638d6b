"""The Board pack: the committee dashboard as a PDF, for a Board or committee paper.

It draws the same disclosed tables and the same SVG charts as the page (nothing here sees a
raw count), in the page's order, with the standards' own text. Fonts are bundled
(reports/fonts, DejaVu), so any organisation or department name prints as written.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from reports import charts
from reports.disclosure import Cell
from reports.tables import Dashboard, Table

FONTS = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
INK, MUTED, RULE = (33, 43, 50), (66, 85, 99), (216, 221, 224)
NHS_BLUE = (0, 94, 184)
KEEP_WITH_HEADING = 60  # mm: a heading starts a new page rather than end this one alone
HEADINGS = FontFace(family=FONT, emphasis="BOLD", color=INK, fill_color=(240, 244, 245))
SUPPRESSION_NOTE = (
    "Figures are disclosure-controlled: * means 1 to 7, withheld to protect reporters; x means "
    "withheld (not 0, mostly more than 7) so that no * can be worked out from the figures "
    "around it (in this "
    "pack or any other period or organisation of these reports); other counts are rounded to "
    "the nearest 5; totals are rounded from exact figures, so parts may not add up to them. "
    "Percentages, medians and the trend's mean and limits are worked out from the figures as "
    "shown."
)

_VIEWBOX = re.compile(r'viewBox="0 0 ([\d.]+) ([\d.]+)"')
_SCREEN_ONLY = re.compile(r"<(title|desc)\b[^>]*>.*?</\1>", re.DOTALL)

# The page's sections, in the page's order (templates/reports/dashboard.html).
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Volume and nature",
        ("trend", "category", "route", "role", "group", "organisation", "department", "standard"),
    ),
    ("Response", ("response", "status", "outcome", "referral", "speak_up_again")),
)
NOTES = {
    "trend": "A statistical process control chart (Making Data Count): the grey line is the "
    "mean, dashed lines the process limits; orange points are unusually high, purple "
    "unusually low.",
    "category": "A concern can have several categories, so these add up to more than the "
    "number of concerns.",
}


class _Pack(FPDF):
    def __init__(self, title: str, scope_line: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.pack_title, self.scope_line = title, scope_line
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=20)
        self.alias_nb_pages()

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.cell(
            0, 5, f"{self.pack_title} · {self.scope_line}", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.ln(3)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(0, 4, "* = 1 to 7, x = over 7 (withheld); other counts rounded to the nearest 5")
        self.cell(0, 4, f"Page {self.page_no()} of {{nb}}", align="R")

    # -- blocks ------------------------------------------------------------------------------

    def heading(self, text: str, size: float) -> None:
        self.set_font(FONT, "B", size)
        self.set_text_color(*INK)
        self.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def para(self, text: str, size: float = 9.5, colour: tuple[int, int, int] = INK) -> None:
        self.set_font(FONT, "", size)
        self.set_text_color(*colour)
        self.multi_cell(0, size * 0.48, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1.5)

    def chart(self, svg: str, width: float) -> None:
        # The page's SVG scales to its container ("100%"); here it is drawn at a set width.
        # Its <title>s and <desc> are for screen readers; on paper the table beside says it.
        data = _SCREEN_ONLY.sub("", svg.replace(' width="100%"', "", 1)).encode()
        self.image(io.BytesIO(data), w=width)
        self.ln(2)

    def widths(self, table: Table) -> list[float]:
        """Each column as wide as its longest entry (a label column at most 110 mm), then
        all scaled to the page's width."""
        rows = [(r.label, *map(str, r.cells)) for r in table.rows]
        columns = zip(table.columns, *rows, strict=True)
        natural = [min(110.0, max(self.get_string_width(v) for v in c) + 4) for c in columns]
        return [w * self.epw / sum(natural) for w in natural]

    def data_table(self, table: Table) -> None:
        self.set_font(FONT, "", 8.5)
        self.set_text_color(*INK)
        numbers = len(table.columns) - 1
        # Figures (disclosed cells) to the right, words to the left.
        align = [
            "RIGHT" if all(isinstance(r.cells[i], Cell) for r in table.rows) else "LEFT"
            for i in range(numbers)
        ]
        with self.table(
            col_widths=self.widths(table),
            text_align=("LEFT", *align),
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
            line_height=5,
            headings_style=HEADINGS,
            first_row_as_headings=True,
        ) as grid:
            grid.row(list(table.columns))
            for row in table.rows:
                grid.row([row.label, *(str(c) for c in row.cells)])
            if not table.rows:
                grid.row(["None in this period.", *([""] * numbers)])
        if table.note:
            self.ln(1)
            self.para(table.note, size=8, colour=MUTED)
        self.ln(3)


def _height(svg: str, width: float) -> float:
    """The height a chart is drawn at, for a given width (from its viewBox)."""
    match = _VIEWBOX.search(svg)
    if not match:
        return 0.0
    box_width, box_height = float(match.group(1)), float(match.group(2))
    return width * box_height / box_width


def dashboard_pdf(dashboard: Dashboard, *, today: dt.date | None = None) -> bytes:
    """The Board pack for a dashboard already built (and so already disclosed)."""
    today = today or timezone.localdate()
    organisations = ", ".join(o.name for o in dashboard.scope.organisations) or "None"
    period = dashboard.scope.period.label
    pdf = _Pack("Freedom to Speak Up: report to the Board", period)
    pdf.set_title(f"Freedom to Speak Up: report to the Board, {period}")
    pdf.set_creator("Speak Up")
    pdf.add_page()

    pdf.heading("Freedom to Speak Up: report to the Board", 18)
    pdf.para(f"{period}. {organisations}.", size=11)
    pdf.para(f"Prepared {today:%-d %B %Y} from the Speak Up governance reports.", colour=MUTED)
    pdf.para(
        "The volume and nature of concerns raised, and how well they were answered, as "
        "evidence for the HEE Quality Framework (2021): standard 1.7 (people can speak up "
        "without fear) and domain 2 (educational governance and commitment to quality). "
        "Concerns are shown as groups, never as people: the pack holds no case, reference or "
        "free text.",
    )
    pdf.para(SUPPRESSION_NOTE, size=8.5, colour=MUTED)

    drawn = {key: str(svg) for key, svg in charts.dashboard_charts(dashboard).items()}
    for title, keys in SECTIONS:
        pdf.add_page()
        pdf.heading(title, 15)
        for key in keys:
            table = dashboard.tables[key]
            width = pdf.epw if key == "trend" else pdf.epw * 0.85
            # A chart taller than a page (hundreds of departments) is left to its table.
            svg = drawn.get(key)
            height = _height(svg, width) if svg else 0.0
            if height > pdf.eph - 40:
                svg, height = None, 0.0
            if pdf.will_page_break(max(KEEP_WITH_HEADING, height + 25)):
                pdf.add_page()
            pdf.heading(table.title, 11.5)
            if key in NOTES:
                pdf.para(NOTES[key], size=8.5, colour=MUTED)
            if svg:
                pdf.chart(svg, width=width)
            pdf.data_table(table)

    pdf.add_page()
    pdf.heading("Against the quality standards", 15)
    pdf.para(
        "HEE Quality Framework (2021): standard 1.7 and domain 2, educational governance and "
        "commitment to quality."
    )
    for standard in dashboard.standards:
        if pdf.will_page_break(KEEP_WITH_HEADING):
            pdf.add_page()
        pdf.heading(f"Standard {standard.code}", 11.5)
        pdf.para(standard.text, size=9.5, colour=NHS_BLUE)
        if standard.note:
            pdf.para(standard.note, size=8.5, colour=MUTED)
        for label, cell in standard.indicators:
            pdf.set_font(FONT, "", 9)
            pdf.set_text_color(*INK)
            pdf.cell(pdf.epw - 30, 5, label)
            pdf.cell(30, 5, str(cell), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
    for key in ("standards_evidence", "standards_tagged"):
        if pdf.will_page_break(KEEP_WITH_HEADING):
            pdf.add_page()
        pdf.heading(dashboard.tables[key].title, 11.5)
        pdf.data_table(dashboard.tables[key])

    pdf.add_page()
    pdf.heading("Beside the nation", 15)
    pdf.data_table(dashboard.tables["national"])
    if dashboard.national_source:
        pdf.para(f"Source: {dashboard.national_source}. {dashboard.national_url}", size=8.5)
    return bytes(pdf.output())
