"""The Board pack: the committee dashboard as a PDF, for a Board or committee paper.

It draws the same disclosed tables and the same SVG charts as the page (nothing here sees a
raw count), in the page's order, with the standards' own text. Fonts are bundled
(reports/fonts, DejaVu), so any organisation or department name prints as written.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re

from django.utils import timezone
from fpdf.enums import XPos, YPos
from fpdf.prefs import ViewerPreferences

from reports import charts
from reports.disclosure import Cell
from reports.keymessages import KeyMessages, key_messages_for
from reports.tables import Dashboard, Table
from reports.tagged import FONT, FONTS, TableStyle, TaggedPDF

INK, MUTED, RULE = (33, 43, 50), (66, 85, 99), (216, 221, 224)
NHS_BLUE = (0, 94, 184)
KEEP_WITH_HEADING = 60  # mm: a heading starts a new page rather than end this one alone
LANGUAGE = "en-GB"
HEADING_SIZES = {1: 18.0, 2: 15.0, 3: 11.5}
TABLE = TableStyle(size=8.5, line_height=5.0, rule=RULE)
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
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title>\s*<desc\b[^>]*>(.*?)</desc>", re.DOTALL)

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


class _Pack(TaggedPDF):
    def __init__(self, title: str, scope_line: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.pack_title, self.scope_line = title, scope_line
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=20)
        self.alias_nb_pages()
        self.set_title(title)
        self.set_lang(LANGUAGE)
        self.set_creator("Speak Up")
        # A reader's title bar shows the title, not the file name (PDF/UA).
        self.viewer_preferences = ViewerPreferences(display_doc_title=True)

    def header(self) -> None:
        if self.page_no() == 1:
            return
        with self.artifact():
            self.set_font(FONT, "", 8)
            self.set_text_color(*MUTED)
            self.cell(
                0, 5, f"{self.pack_title} · {self.scope_line}", new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )
        self.ln(3)

    def footer(self) -> None:
        with self.artifact():
            self.set_y(-14)
            self.set_font(FONT, "", 7.5)
            self.set_text_color(*MUTED)
            self.cell(
                0, 4, "* = 1 to 7, x = over 7 (withheld); other counts rounded to the nearest 5"
            )
            self.cell(0, 4, f"Page {self.page_no()} of {{nb}}", align="R")

    # -- blocks ------------------------------------------------------------------------------

    def heading(self, text: str, level: int) -> None:
        """A heading (H1 to H3); the pack's sections (H2) are bookmarks too."""
        size = HEADING_SIZES[level]
        self.set_font(FONT, "B", size)
        self.set_text_color(*INK)
        self.fits(self.text_height(self.epw, size * 0.5, text) + 12)
        if level <= 2:
            self.start_section(text, level=level - 1)
        self.tagged_text(f"H{level}", text, size * 0.5)
        self.ln(1.5)

    def para(self, text: str, size: float = 9.5, colour: tuple[int, int, int] = INK) -> None:
        self.set_font(FONT, "", size)
        self.set_text_color(*colour)
        self.tagged_text("P", text, size * 0.48)
        self.ln(1.5)

    def chart(self, svg: str, width: float, height: float) -> None:
        # The page's SVG scales to its container ("100%"); here it is drawn at a set width.
        # Its <title> and <desc> become the figure's alt text; the table beside gives it all.
        alt = _alt_text(svg)
        data = _SCREEN_ONLY.sub("", svg.replace(' width="100%"', "", 1)).encode()
        self.fits(height + 2)
        x, y = self.x, self.y
        with self.marked("Figure", alt=alt) as figure:
            self.image(io.BytesIO(data), w=width)
        self.set_bbox(figure, x, y, width, height)
        self.ln(2)

    def widths(self, columns: tuple[str, ...], rows: list[list[str]]) -> list[float]:
        """Each column as wide as its longest entry (a label column at most 110 mm), then
        all scaled to the page's width."""
        self.set_font(FONT, "", TABLE.size)
        natural = [
            min(110.0, max(self.get_string_width(v) for v in c) + 4)
            for c in zip(columns, *rows, strict=True)
        ]
        return [w * self.epw / sum(natural) for w in natural]

    def grid(self, columns: tuple[str, ...], rows: list[list[str]], align: list[str]) -> None:
        self.set_text_color(*INK)
        if not rows:
            rows = [["None in this period.", *([""] * (len(columns) - 1))]]
        self.tagged_table(
            columns, rows, widths=self.widths(columns, rows), align=align, style=TABLE
        )

    def data_table(self, table: Table) -> None:
        numbers = len(table.columns) - 1
        # Figures (disclosed cells) to the right, words to the left.
        align = [
            "RIGHT" if all(isinstance(r.cells[i], Cell) for r in table.rows) else "LEFT"
            for i in range(numbers)
        ]
        rows = [[row.label, *(str(c) for c in row.cells)] for row in table.rows]
        self.grid(table.columns, rows, ["LEFT", *align])
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


def _alt_text(svg: str) -> str:
    """A chart's alternative text: the title and description it carries for screen readers."""
    match = _TITLE.search(svg)
    if not match:
        return "Chart: the table below gives its figures."
    return f"{html.unescape(match.group(1))}. {html.unescape(match.group(2))}"


def _key_messages(pdf: _Pack, key: KeyMessages) -> None:
    """The first page: what changed, special causes, standard 1.7 and domain 2 at a glance."""
    pdf.heading("Key messages", 2)
    pdf.heading(f"What changed since {key.previous}" if key.previous else "What changed", 3)
    if key.previous:
        rows = [[c.label, c.now, c.before, c.change] for c in key.changes]
        pdf.grid(("Measure", key.period, key.previous, "Change"), rows, CHANGE_ALIGN)
        pdf.para(KEY_NOTE, size=8, colour=MUTED)
    else:
        pdf.para(key.previous_note)
        pdf.grid(
            ("Measure", key.period), [[c.label, c.now] for c in key.changes], ["LEFT", "RIGHT"]
        )
    pdf.ln(2)
    pdf.heading("Special causes on the trend", 3)
    for line in key.trend:
        pdf.para(line)
    for title, glances in key.glances:
        pdf.ln(1)
        pdf.heading(title, 3)
        rows = [[g.label, g.standards, g.value] for g in glances]
        pdf.grid(("Indicator", "Standard", "Value"), rows, ["LEFT", "LEFT", "RIGHT"])


CHANGE_ALIGN = ["LEFT", "RIGHT", "RIGHT", "LEFT"]
KEY_NOTE = (
    "Changes are between the disclosed figures of the two periods; a change resting on a * "
    "or x is not shown (too few to show), and counts are rounded to the nearest 5."
)


CHECKING_NOTE = (
    "Some figures were still being checked when this pack was prepared: every figure for "
    "these organisations together is shown as x. Prepare the pack again in a few minutes "
    "for the full figures."
)


def _introduction(pdf: _Pack) -> None:
    pdf.add_page()  # the first page is the key messages alone
    pdf.heading("About this pack", 2)
    pdf.para(
        "The volume and nature of concerns raised, and how well they were answered, as "
        "evidence for the HEE Quality Framework (2021): standard 1.7 (people can speak up "
        "without fear) and domain 2 (educational governance and commitment to quality). "
        "Concerns are shown as groups, never as people: the pack holds no case, reference or "
        "free text.",
    )
    pdf.para(SUPPRESSION_NOTE, size=8.5, colour=MUTED)


def _sections(pdf: _Pack, dashboard: Dashboard) -> None:
    drawn = {key: str(svg) for key, svg in charts.dashboard_charts(dashboard).items()}
    for title, keys in SECTIONS:
        pdf.add_page()
        with pdf.group("Sect"):
            pdf.heading(title, 2)
            for key in keys:
                _table_section(pdf, dashboard.tables[key], drawn.get(key))


def _table_section(pdf: _Pack, table: Table, svg: str | None) -> None:
    # A bar chart is drawn narrow (labels above bars): at 45% of the page its text is ~10 pt.
    width = pdf.epw if table.key == "trend" else pdf.epw * 0.45
    # A chart taller than a page (hundreds of departments) is left to its table.
    height = _height(svg, width) if svg else 0.0
    if height > pdf.eph - 40:
        svg, height = None, 0.0
    if pdf.will_page_break(max(KEEP_WITH_HEADING, height + 25)):
        pdf.add_page()
    pdf.heading(table.title, 3)
    if table.key in NOTES:
        pdf.para(NOTES[table.key], size=8.5, colour=MUTED)
    if svg:
        pdf.chart(svg, width=width, height=height)
    pdf.data_table(table)


def _standards(pdf: _Pack, dashboard: Dashboard) -> None:
    pdf.add_page()
    with pdf.group("Sect"):
        pdf.heading("Against the quality standards", 2)
        pdf.para(
            "HEE Quality Framework (2021): standard 1.7 and domain 2, educational governance "
            "and commitment to quality."
        )
        for standard in dashboard.standards:
            if pdf.will_page_break(KEEP_WITH_HEADING):
                pdf.add_page()
            pdf.heading(f"Standard {standard.code}", 3)
            pdf.para(standard.text, size=9.5, colour=NHS_BLUE)
            if standard.note:
                pdf.para(standard.note, size=8.5, colour=MUTED)
            rows = [[label, str(cell)] for label, cell in standard.indicators]
            pdf.grid(("Indicator", "Value"), rows, ["LEFT", "RIGHT"])
            pdf.ln(3)
        for key in ("standards_evidence", "standards_tagged"):
            if pdf.will_page_break(KEEP_WITH_HEADING):
                pdf.add_page()
            pdf.heading(dashboard.tables[key].title, 3)
            pdf.data_table(dashboard.tables[key])


def dashboard_pdf(
    dashboard: Dashboard, *, today: dt.date | None = None, key: KeyMessages | None = None
) -> bytes:
    """The Board pack for a dashboard already built (and so already disclosed): a tagged
    PDF whose first page is the key messages."""
    today = today or timezone.localdate()
    key = key or key_messages_for(dashboard)
    organisations = ", ".join(o.name for o in dashboard.scope.organisations) or "None"
    period = dashboard.scope.period.label
    pdf = _Pack(f"Freedom to Speak Up: report to the Board, {period}", period)
    pdf.pack_title = "Freedom to Speak Up: report to the Board"
    pdf.add_page()
    pdf.heading("Freedom to Speak Up: report to the Board", 1)
    pdf.para(f"{period}. {organisations}.", size=11)
    pdf.para(f"Prepared {today:%-d %B %Y} from the Speak Up governance reports.", colour=MUTED)
    if dashboard.checking:
        pdf.para(CHECKING_NOTE, colour=INK)
    with pdf.group("Sect"):
        _key_messages(pdf, key)
    with pdf.group("Sect"):
        _introduction(pdf)
    _sections(pdf, dashboard)
    _standards(pdf, dashboard)
    pdf.add_page()
    with pdf.group("Sect"):
        pdf.heading("Beside the nation", 2)
        pdf.data_table(dashboard.tables["national"])
        if dashboard.national_source:
            pdf.para(f"Source: {dashboard.national_source}. {dashboard.national_url}", size=8.5)
    return pdf.tagged_output()
