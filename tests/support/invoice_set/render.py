"""PyMuPDF drawing for invoices: text with real Unicode, rules, boxes, tables that break pages.

Text goes through PyMuPDF's built-in fonts embedded as Unicode (Type0) fonts, not the
Base-14 simple fonts: those are Latin-1 encoded and would drop ``€``, ``–`` and ``’`` from
the text layer. Coordinates are PDF points with y growing downwards; ``y`` of a text call is
its baseline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pymupdf

Color = tuple[float, float, float]
Align = Literal["left", "right", "center"]

BLACK: Color = (0, 0, 0)
GREY: Color = (0.45, 0.45, 0.45)
LIGHT: Color = (0.82, 0.82, 0.82)
PALE: Color = (0.94, 0.94, 0.94)
WHITE: Color = (1, 1, 1)

A4 = (595.28, 841.89)
LETTER = (612.0, 792.0)

FONTS = ("helv", "hebo", "heit", "hebi", "tiro", "tibo", "tiit", "cour", "cobo")
BOLD = {"helv": "hebo", "tiro": "tibo", "cour": "cobo", "heit": "hebi"}


@dataclass
class Canvas:
    """A PDF being drawn, one current page at a time."""

    size: tuple[float, float] = A4
    doc: pymupdf.Document = field(default_factory=pymupdf.open)
    _fonts: dict[str, pymupdf.Font] = field(default_factory=dict)
    _page_fonts: dict[int, set[str]] = field(default_factory=dict)
    page_index: int = -1

    def __post_init__(self) -> None:
        self.new_page()

    @property
    def page(self) -> pymupdf.Page:
        """The page being drawn on."""
        return self.doc[self.page_index]

    @property
    def width(self) -> float:
        """Page width in points."""
        return self.size[0]

    @property
    def height(self) -> float:
        """Page height in points."""
        return self.size[1]

    @property
    def page_count(self) -> int:
        """Pages drawn so far."""
        return len(self.doc)

    def new_page(self) -> None:
        """Start a new page and draw on it."""
        self.doc.new_page(width=self.size[0], height=self.size[1])
        self.page_index = len(self.doc) - 1

    def goto(self, index: int) -> None:
        """Draw on an earlier page again (footers with page counts are drawn last)."""
        self.page_index = index

    def font(self, name: str) -> pymupdf.Font:
        """A built-in font, loaded once."""
        if name not in self._fonts:
            self._fonts[name] = pymupdf.Font(name)
        return self._fonts[name]

    def measure(self, text: str, font: str = "helv", size: float = 9) -> float:
        """Width of ``text`` in points."""
        return float(self.font(font).text_length(text, fontsize=size))

    def _use(self, font: str) -> str:
        used = self._page_fonts.setdefault(self.page_index, set())
        alias = f"F{font}"
        if font not in used:
            self.page.insert_font(fontname=alias, fontbuffer=self.font(font).buffer)
            used.add(font)
        return alias

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        font: str = "helv",
        size: float = 9,
        color: Color = BLACK,
        align: Align = "left",
        opacity: float = 1.0,
        angle: float = 0.0,
    ) -> float:
        """Write one line at baseline ``y``; ``x`` is its left, right or centre edge. Returns its width."""
        if not text:
            return 0.0
        width = self.measure(text, font, size)
        if align == "right":
            x -= width
        elif align == "center":
            x -= width / 2
        # PyMuPDF rotates text by an arbitrary angle only through a morph (pivot, matrix).
        morph = (pymupdf.Point(x, y), pymupdf.Matrix(angle)) if angle else None
        self.page.insert_text(
            (x, y),
            text,
            fontname=self._use(font),
            fontsize=size,
            color=color,
            morph=morph,
            fill_opacity=opacity,
        )
        return width

    def wrap(self, text: str, width: float, font: str = "helv", size: float = 9) -> list[str]:
        """Break ``text`` into lines no wider than ``width`` (words are never split)."""
        lines: list[str] = []
        current = ""
        for word in text.split():
            attempt = f"{current} {word}".strip()
            if current and self.measure(attempt, font, size) > width:
                lines.append(current)
                current = word
            else:
                current = attempt
        return [*lines, current] if current else lines

    def lines(
        self,
        x: float,
        y: float,
        lines: Sequence[str],
        *,
        font: str = "helv",
        size: float = 9,
        leading: float | None = None,
        color: Color = BLACK,
        align: Align = "left",
    ) -> float:
        """Write lines downwards from baseline ``y``; returns the baseline after the last one."""
        step = leading or size * 1.3
        for line in lines:
            self.text(x, y, line, font=font, size=size, color=color, align=align)
            y += step
        return y

    def rule(
        self,
        x0: float,
        y: float,
        x1: float,
        *,
        width: float = 0.5,
        color: Color = BLACK,
        dashes: str | None = None,
    ) -> None:
        """A horizontal line."""
        self.page.draw_line((x0, y), (x1, y), color=color, width=width, dashes=dashes)

    def vrule(self, x: float, y0: float, y1: float, *, width: float = 0.5, color: Color = BLACK) -> None:
        """A vertical line."""
        self.page.draw_line((x, y0), (x, y1), color=color, width=width)

    def box(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        *,
        stroke: Color | None = BLACK,
        fill: Color | None = None,
        width: float = 0.5,
        radius: float | None = None,
        opacity: float = 1.0,
    ) -> None:
        """A rectangle, stroked and/or filled, optionally with round corners."""
        self.page.draw_rect(
            pymupdf.Rect(x0, y0, x1, y1),
            color=stroke,
            fill=fill,
            width=width,
            radius=radius,
            fill_opacity=opacity,
            stroke_opacity=opacity,
        )

    def circle(
        self, x: float, y: float, r: float, *, fill: Color | None = None, stroke: Color | None = None
    ) -> None:
        """A circle (logo marks)."""
        self.page.draw_circle((x, y), r, color=stroke, fill=fill)

    def finish(self, title: str, when: dt.date) -> bytes:
        """The PDF's bytes with fixed metadata, so the same invoice always gives the same file."""
        stamp = when.strftime("D:%Y%m%d090000+00'00'")
        self.doc.set_metadata(
            {
                "title": title,
                "author": "",
                "subject": "",
                "keywords": "",
                "creator": "folio invoice-set generator",
                "producer": "PyMuPDF",
                "creationDate": stamp,
                "modDate": stamp,
            }
        )
        self.doc.subset_fonts()
        return bytes(self.doc.tobytes(garbage=3, deflate=True, no_new_id=True))


@dataclass(frozen=True)
class Column:
    """One column of an item table: the row key it shows, its heading, width and alignment."""

    key: str
    title: str
    width: float
    align: Align = "left"


@dataclass(frozen=True)
class TableStyle:
    """How an item table looks."""

    font: str = "helv"
    size: float = 8.5
    header_font: str = "hebo"
    header_size: float = 8.0
    header_fill: Color | None = None
    header_color: Color = BLACK
    header_rule: bool = True
    row_rules: bool = False
    grid: bool = False
    zebra: Color | None = None
    leading: float = 11.0
    padding: float = 4.0
    rule_color: Color = BLACK
    upper_headers: bool = False


Row = dict[str, str]


def draw_table(
    canvas: Canvas,
    x: float,
    y: float,
    columns: Sequence[Column],
    rows: Sequence[Row],
    style: TableStyle,
    *,
    bottom: float,
    on_break: Callable[[Canvas, int], None] | None = None,
    on_new_page: Callable[[Canvas, int], float] | None = None,
) -> float:
    """Draw a table from ``y`` down, starting a new page when a row would pass ``bottom``.

    ``on_break(canvas, rows_done)`` draws what closes a page (a carry-forward, "continued");
    ``on_new_page(canvas, rows_done)`` draws the next page's head and returns where the table
    continues. A row's ``detail`` key, if present, is printed small under its description.
    Returns the y below the last row.
    """
    total_width = sum(c.width for c in columns)
    y = _draw_header(canvas, x, y, columns, style)
    for index, row in enumerate(rows):
        laid = _lay_out_row(canvas, row, columns, style)
        if y + laid.height > bottom:
            if on_break:
                on_break(canvas, index)
            canvas.new_page()
            y = on_new_page(canvas, index) if on_new_page else 60
            y = _draw_header(canvas, x, y, columns, style)
        if style.zebra and index % 2 == 1:
            canvas.box(x, y, x + total_width, y + laid.height, stroke=None, fill=style.zebra)
        _draw_row(canvas, x, y, columns, laid, style)
        y += laid.height
    if not style.grid and not style.row_rules:
        canvas.rule(x, y + 1, x + total_width, width=0.6, color=style.rule_color)
    return y + 1


@dataclass(frozen=True)
class _RowLayout:
    """A table row's wrapped lines: per column, the description's detail, and the height."""

    cells: dict[str, list[str]]
    detail: list[str]
    height: float


def _text_x(cx: float, column: Column, style: TableStyle) -> float:
    """Where a cell's text is anchored, for the column's alignment (``cx``: its left edge)."""
    if column.align == "center":
        return cx + column.width / 2
    return cx + style.padding if column.align == "left" else cx + column.width - style.padding


def _draw_header(canvas: Canvas, x: float, top: float, columns: Sequence[Column], style: TableStyle) -> float:
    """The column headings from ``top``; returns the y below them."""
    total_width = sum(c.width for c in columns)
    height = style.header_size + 2 * style.padding + 2
    if style.header_fill:
        canvas.box(x, top, x + total_width, top + height, stroke=None, fill=style.header_fill)
    cx = x
    for column in columns:
        title = column.title.upper() if style.upper_headers else column.title
        canvas.text(
            _text_x(cx, column, style),
            top + style.padding + style.header_size,
            title,
            font=style.header_font,
            size=style.header_size,
            color=style.header_color,
            align=column.align,
        )
        cx += column.width
    if style.grid:
        canvas.box(x, top, x + total_width, top + height, stroke=style.rule_color, width=0.6)
    elif style.header_rule:
        canvas.rule(x, top + height, x + total_width, width=0.8, color=style.rule_color)
        if not style.header_fill:
            canvas.rule(x, top, x + total_width, width=0.8, color=style.rule_color)
    return top + height


def _lay_out_row(canvas: Canvas, row: Row, columns: Sequence[Column], style: TableStyle) -> _RowLayout:
    widest = {c.key: c.width - 2 * style.padding for c in columns}
    cells = {
        c.key: canvas.wrap(row.get(c.key, ""), widest[c.key], style.font, style.size) or [""] for c in columns
    }
    detail = row.get("detail", "")
    detail_lines = (
        canvas.wrap(
            detail,
            widest[columns[0].key] if columns[0].key == "description" else widest.get("description", 200),
            style.font,
            style.size - 1.5,
        )
        if detail
        else []
    )
    n = max(len(v) for v in cells.values()) + len(detail_lines)
    return _RowLayout(cells, detail_lines, n * style.leading + style.padding)


def _draw_row(
    canvas: Canvas, x: float, y: float, columns: Sequence[Column], laid: _RowLayout, style: TableStyle
) -> None:
    total_width = sum(c.width for c in columns)
    cx = x
    for column in columns:
        tx = _text_x(cx, column, style)
        by = y + style.padding + style.size
        for line in laid.cells[column.key]:
            canvas.text(tx, by, line, font=style.font, size=style.size, align=column.align)
            by += style.leading
        if column.key == "description":
            for line in laid.detail:
                canvas.text(tx, by, line, font=style.font, size=style.size - 1.5, color=GREY)
                by += style.leading - 1.5
        if style.grid:
            canvas.vrule(cx, y, y + laid.height, width=0.4, color=style.rule_color)
        cx += column.width
    if style.grid:
        canvas.vrule(cx, y, y + laid.height, width=0.4, color=style.rule_color)
        canvas.rule(x, y + laid.height, x + total_width, width=0.4, color=style.rule_color)
    elif style.row_rules:
        canvas.rule(x, y + laid.height, x + total_width, width=0.3, color=LIGHT)
