"""A tagged PDF on fpdf2 2.8.9, for a screen reader: headings, paragraphs, tables, figures.

fpdf2 2.8.9 tags images (a /Figure with alt text) and outline titles only, in a flat tree
under /Document: it cannot tag text, headings or tables. ``TaggedPDF`` builds a nested
structure tree on fpdf2's own ``StructElem`` and parent-tree objects and wraps each block's
drawing in a marked-content sequence with its MCID, so the logical order is the order the
blocks are drawn in. Page furniture (running header, footer, rules, fills) is marked as an
artifact, which a reader skips. A marked block never spans a page break: callers measure
first (``fits``) and start a new page themselves.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from fpdf.errors import FPDFException
from fpdf.output import OutputProducer
from fpdf.structure_tree import StructElem, StructureTreeBuilder
from fpdf.syntax import PDFObject

# Bundled fonts (DejaVu), so any organisation, department or person's name prints as written.
FONTS = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
COLUMN_HEADER = "<</O /Table /Scope /Column>>"
ROW_HEADER = "<</O /Table /Scope /Row>>"


class _Elem(StructElem):
    """A structure element that may carry attributes (/A): a header cell's scope, a
    figure's bounding box."""

    __slots__ = ("a",)

    def __init__(self, kind: str, parent: PDFObject, page: int, **kwargs: Any) -> None:
        attributes = kwargs.pop("attributes", None)
        super().__init__(struct_type=f"/{kind}", parent=parent, kids=[], page_number=page, **kwargs)
        self.a = attributes


class _Tree(StructureTreeBuilder):
    """fpdf2's tree, with every element below /Document written out, not only its children."""

    def descendants(self) -> Iterator[StructElem]:
        stack = list(reversed(self.doc_struct_elem.k))
        while stack:
            elem = stack.pop()
            yield elem
            stack.extend(reversed([k for k in elem.k if isinstance(k, StructElem)]))

    def __iter__(self) -> Iterator[PDFObject]:
        yield self.struct_tree_root
        yield self.doc_struct_elem
        yield self.struct_tree_root.parent_tree
        yield from self.descendants()


class _Producer(OutputProducer):
    def _add_structure_tree(self) -> PDFObject | None:
        # Each element names the page its content starts on (fpdf2 does so for the top level).
        tree = self.fpdf.struct_builder
        assert isinstance(tree, _Tree)
        for elem in tree.descendants():
            number = elem.page_number()
            if number is not None:
                elem.pg = self.fpdf.pages[number]  # type: ignore[assignment]
        return super()._add_structure_tree()


class TaggedPDF(FPDF):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.struct_builder = _Tree()
        self._parents: list[StructElem] = [self.struct_builder.doc_struct_elem]
        self._mcids: dict[int, int] = {}
        self._marking = False

    @contextmanager
    def group(self, kind: str, **kwargs: Any) -> Iterator[StructElem]:
        """A grouping element (Sect, Table, TR, L, LI): what is marked inside is its content."""
        elem = _Elem(kind, self._parents[-1], self.page, **kwargs)
        self._parents[-1].k.append(elem)
        self._parents.append(elem)
        try:
            yield elem
        finally:
            self._parents.pop()

    @contextmanager
    def marked(self, kind: str, **kwargs: Any) -> Iterator[StructElem]:
        """A content element (H1, P, TH, TD, Figure) holding what is drawn inside."""
        if self._marking:
            raise FPDFException("marked content cannot nest")
        page = self.page
        mcid = self._mcids.get(page, 0)
        self._mcids[page] = mcid + 1
        elem = _Elem(kind, self._parents[-1], page, **kwargs)
        elem.k.append(mcid)
        self._parents[-1].k.append(elem)
        spid = self.struct_builder.spid_per_page_number.setdefault(
            page, len(self.struct_builder.spid_per_page_number)
        )
        # The parent tree lists a page's elements by MCID: they are numbered in this order.
        self.struct_builder.struct_tree_root.parent_tree.nums[spid].append(elem)
        self.pages[page].struct_parents = spid
        self._out(f"/{kind} <</MCID {mcid}>> BDC")
        self._marking = True
        try:
            yield elem
        finally:
            self._marking = False
            self._out("EMC")
        if self.page != page:
            raise FPDFException(f"a /{kind} ran onto the next page: measure it first")

    @contextmanager
    def artifact(self) -> Iterator[None]:
        """Furniture a screen reader skips: running heads, page numbers, rules and fills."""
        self._out("/Artifact BMC")
        try:
            yield
        finally:
            self._out("EMC")

    def text_height(self, width: float, line_height: float, text: str) -> float:
        """How tall ``text`` is when wrapped to ``width`` in the current font."""
        if "\n" not in text and self.get_string_width(text) <= width - 2 * self.c_margin - 0.5:
            return line_height  # one line: no need to lay it out to know
        lines = self.multi_cell(
            width, line_height, text, dry_run=True, output=MethodReturnValue.LINES
        )
        assert isinstance(lines, list)
        return len(lines) * line_height

    def set_bbox(self, elem: StructElem, x: float, y: float, w: float, h: float) -> None:
        """A figure's bounding box on its page, in points from the bottom left (PDF/UA)."""
        k, top = self.k, self.h - y
        box = f"{x * k:.2f} {(top - h) * k:.2f} {(x + w) * k:.2f} {top * k:.2f}"
        elem.a = f"<</O /Layout /BBox [{box}]>>"  # type: ignore[attr-defined]

    def fits(self, height: float) -> None:
        """Start a new page unless ``height`` more fits on this one."""
        if self.will_page_break(height):
            self.add_page()

    def tagged_text(self, kind: str, text: str, line_height: float, **kwargs: Any) -> None:
        """A heading or paragraph: whole on one page when it fits on one, otherwise in parts
        of whole lines, one element per page (a marked block cannot cross a page)."""
        height = self.text_height(self.epw, line_height, text)
        if height <= self.eph:
            self.fits(height)
            self._text_block(kind, text, line_height, **kwargs)
            return
        lines = self.multi_cell(
            self.epw, line_height, text, dry_run=True, output=MethodReturnValue.LINES
        )
        assert isinstance(lines, list)
        while lines:
            room = int((self.page_break_trigger - self.y) // line_height)
            if room < 1:
                self.add_page()
                continue
            part, lines = lines[:room], lines[room:]
            self._text_block(kind, "\n".join(line.rstrip() for line in part), line_height)
            if lines:
                self.add_page()

    def _text_block(self, kind: str, text: str, line_height: float, **kwargs: Any) -> None:
        with self.marked(kind):
            self.multi_cell(0, line_height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, **kwargs)

    def tagged_output(self) -> bytes:
        return bytes(self.output(output_producer_class=_Producer))

    def tagged_table(
        self,
        columns: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        widths: Sequence[float],
        align: Sequence[str],
        style: TableStyle,
    ) -> None:
        """A table: a header row of column headers, then rows whose first cell heads the row.
        A header row repeated on a new page is furniture (the tree has it once)."""
        with self.group("Table"):
            head = self._row_height(columns, widths, style, True)
            heights = [self._row_height(r, widths, style, False) for r in rows]
            self.fits(head + sum(heights[:1]))
            self._row(columns, widths, align, style, head, header=True, tagged=True)
            for row, height in zip(rows, heights, strict=True):
                if self.will_page_break(height):
                    self.add_page()
                    self._row(columns, widths, align, style, head, header=True, tagged=False)
                self._row(row, widths, align, style, height, header=False, tagged=True)

    def _row_height(
        self, cells: Sequence[str], widths: Sequence[float], style: TableStyle, header: bool
    ) -> float:
        self.set_font(style=style.header_emphasis if header else "", size=style.size)
        return max(
            self.text_height(w, style.line_height, t) for t, w in zip(cells, widths, strict=True)
        )

    def _row(
        self,
        cells: Sequence[str],
        widths: Sequence[float],
        align: Sequence[str],
        style: TableStyle,
        height: float,
        *,
        header: bool,
        tagged: bool,
    ) -> None:
        x, y, width = self.l_margin, self.y, sum(widths)
        with self.artifact():
            self.set_draw_color(*style.rule)
            if header:
                self.set_fill_color(*style.header_fill)
                self.rect(x, y, width, height, style="F")
            self.line(x, y + height, x + width, y + height)
        self.set_font(style=style.header_emphasis if header else "", size=style.size)
        with self.group("TR") if tagged else self.artifact():
            for i, (text, w, a) in enumerate(zip(cells, widths, align, strict=True)):
                self.set_xy(x, y)
                kind = "TH" if header or i == 0 else "TD"
                scope = COLUMN_HEADER if header else (ROW_HEADER if i == 0 else None)
                with self.marked(kind, attributes=scope) if tagged else nullcontext():
                    self.multi_cell(
                        w, style.line_height, text, align=a, new_x=XPos.RIGHT, new_y=YPos.TOP
                    )
                x += w
        self.set_xy(self.l_margin, y + height)


@dataclass(frozen=True)
class TableStyle:
    size: float = 8.5
    line_height: float = 5.0
    header_emphasis: str = "B"
    header_fill: tuple[int, int, int] = (240, 244, 245)
    rule: tuple[int, int, int] = (216, 221, 224)
