"""The Board pack is a tagged PDF: a screen reader gets its headings, tables (with header
cells), figures' alt text, language and title, in the order the pack is printed."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections import Counter

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream, DictionaryObject

from reports.boardpack import FONT, FONTS
from reports.tagged import TableStyle, TaggedPDF

pytestmark = pytest.mark.django_db

PACK = "/reports/board-pack.pdf?period=year&year=2024"
PAINTS = {b"Tj", b"TJ", b"'", b'"', b"Do", b"f", b"F", b"f*", b"S", b"s", b"B", b"b", b"sh"}


@pytest.fixture
def pack(client, dataset, committee) -> bytes:
    client.force_login(committee)
    response = client.get(PACK)
    assert response.status_code == 200
    return response.content


def _elements(reader: PdfReader) -> list[tuple[int, DictionaryObject]]:
    """Every structure element below the root, depth first (the logical reading order)."""
    root = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
    out: list[tuple[int, DictionaryObject]] = []

    def walk(node: DictionaryObject, depth: int) -> None:
        kids = node.get("/K", [])
        for kid in kids if isinstance(kids, list) else [kids]:
            kid = kid.get_object()
            if isinstance(kid, DictionaryObject) and "/S" in kid:
                out.append((depth, kid))
                walk(kid, depth + 1)

    walk(root, 0)
    return out


def _page_index(reader: PdfReader) -> dict[int, int]:
    return {page.indirect_reference.idnum: i for i, page in enumerate(reader.pages)}


def test_the_pack_is_marked_tagged_with_language_and_title(pack):
    reader = PdfReader(io.BytesIO(pack))
    catalog = reader.trailer["/Root"]

    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert catalog["/Lang"] == "en-GB"
    assert bool(catalog["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata.title == (
        "Freedom to Speak Up: report to the Board, Financial year 2024/25"
    )


def test_the_structure_has_headings_tables_and_figures_with_alt_text(pack):
    elements = _elements(PdfReader(io.BytesIO(pack)))
    kinds = Counter(str(e["/S"]) for _, e in elements)

    assert kinds["/Document"] == 1 and kinds["/H1"] == 1
    assert kinds["/H2"] >= 6 and kinds["/H3"] >= 20  # key messages, sections, tables
    assert kinds["/Table"] >= 20 and kinds["/TR"] > kinds["/Table"]
    assert kinds["/TH"] and kinds["/TD"] and kinds["/P"]
    figures = [e for _, e in elements if e["/S"] == "/Figure"]
    assert len(figures) >= 10  # one per chart
    for figure in figures:
        assert len(str(figure["/Alt"])) > 20
        assert "/BBox" in figure["/A"]
    route = [str(f["/Alt"]) for f in figures if "route" in str(f["/Alt"])]
    assert route and "Anonymous" in route[0]
    for _, cell in elements:
        if cell["/S"] == "/TH":
            assert cell["/A"]["/Scope"] in ("/Column", "/Row")
    for _, table in elements:
        if table["/S"] == "/Table":
            rows = [r.get_object() for r in table["/K"]]
            assert all(r["/S"] == "/TR" for r in rows)
            assert all(c.get_object()["/S"] == "/TH" for c in rows[0]["/K"])  # column heads


def test_the_reading_order_is_the_printed_order(pack):
    reader = PdfReader(io.BytesIO(pack))
    pages = _page_index(reader)
    marks = []
    for _, elem in _elements(reader):
        kids = elem.get("/K")
        if isinstance(kids, int) or (isinstance(kids, list) and kids and isinstance(kids[0], int)):
            mcid = kids if isinstance(kids, int) else kids[0]
            marks.append((pages[elem.raw_get("/Pg").idnum], int(mcid)))
    # The structure tree visits every marked block in the order it is drawn on its page,
    # page after page: a screen reader reads what a sighted reader reads, in that order.
    assert marks == sorted(marks) and len(set(marks)) == len(marks)
    text = "\n".join(page.extract_text() for page in reader.pages)
    order = [
        "Freedom to Speak Up: report to the Board",
        "Key messages",
        "What changed since",
        "Special causes on the trend",
        "Standard 1.7 at a glance",
        "Domain 2 at a glance",
        "About this pack",
        "Volume and nature",
        "Concerns raised per month",
        "Concerns by route",
        "Response",
        "Against the quality standards",
        "Beside the nation",
    ]
    positions = [text.index(heading) for heading in order]
    assert positions == sorted(positions)


def test_nothing_is_drawn_outside_a_tag_or_an_artifact(pack):
    reader = PdfReader(io.BytesIO(pack))
    for number, page in enumerate(reader.pages, 1):
        depth = 0
        for _, operator in ContentStream(page.get_contents(), reader).operations:
            if operator in (b"BDC", b"BMC"):
                depth += 1
            elif operator == b"EMC":
                depth -= 1
            elif operator in PAINTS:
                assert depth > 0, f"untagged {operator!r} on page {number}"
        assert depth == 0


def test_pdfinfo_reports_the_pack_tagged(pack, tmp_path):
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo is None:
        pytest.skip(
            "pdfinfo (poppler-utils) is not installed: 'Tagged: yes' NOT checked by poppler"
        )
    path = tmp_path / "pack.pdf"
    path.write_bytes(pack)
    info = subprocess.run([pdfinfo, str(path)], capture_output=True, text=True, check=True)
    assert re.search(r"^Tagged:\s+yes$", info.stdout, re.MULTILINE), info.stdout
    assert "Freedom to Speak Up: report to the Board" in info.stdout


def test_a_table_over_two_pages_has_one_header_row_in_the_structure(db):
    pdf = TaggedPDF(format="A4")
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_font(FONT, "", 9)
    pdf.add_page()
    rows = [[f"Department {n}", str(n)] for n in range(120)]
    pdf.tagged_table(
        ("Department", "Concerns"),
        rows,
        widths=[120, 40],
        align=["LEFT", "RIGHT"],
        style=TableStyle(),
    )
    reader = PdfReader(io.BytesIO(pdf.tagged_output()))

    assert len(reader.pages) >= 3
    (table,) = [e for _, e in _elements(reader) if e["/S"] == "/Table"]
    assert len(table["/K"]) == 121  # the header row once, then every row
    second = reader.pages[1].extract_text()
    assert second.startswith("Department Concerns")  # repeated on paper, as an artifact
