"""A PDF page's text layer: lines in reading order, boxes, a quality verdict and a route.

Reading order: MuPDF's lines are grouped into visual rows (lines whose vertical extents
overlap by half the smaller height), rows run top to bottom and the pieces of one row left
to right, in the frame the text runs left to right in (a page turned by /Rotate is read
in its unrotated frame when its lines run across it there; boxes are always of the page as
displayed). ``lines`` keeps each MuPDF line as its own ``TextLine`` with its exact box, in that
order; the page ``text`` joins each row into one line, which puts a label and its value
("Total" ... "1,234.00") together; multi-column prose is read row by row across the columns.
In the text, pieces of a row further apart than one line height are joined with two spaces
(a column gap), closer pieces with one.
"""

from __future__ import annotations

import itertools
import operator
import re
from dataclasses import dataclass
from typing import cast

import pymupdf

from models.page import BBox, PageRoute, TextLine, TextQuality, Turn

# Unknown glyphs must come out as U+FFFD (the default flags would print CIDs instead):
# that is how a font without a ToUnicode map is recognised.
_TEXT_FLAGS = (
    pymupdf.TEXT_PRESERVE_LIGATURES
    | pymupdf.TEXT_PRESERVE_WHITESPACE
    | pymupdf.TEXT_MEDIABOX_CLIP
    | pymupdf.TEXT_PRESERVE_IMAGES  # image blocks give image coverage; bytes are not copied
)

MIN_TEXT_CHARS = 8
"""Fewer non-space characters than this is no text layer (EMPTY)."""
MAX_BAD_GLYPH_SHARE = 0.05
"""More unknown/private-use glyphs than this share of characters is a POOR layer."""
MIN_ALNUM_SHARE = 0.5
"""Fewer letters and digits than this share of characters is a POOR layer."""
MIN_VOWEL_WORD_SHARE = 0.6
"""Latin text where fewer words than this have a vowel is garbled (POOR)."""
LARGE_IMAGE_COVERAGE = 0.5
"""Images covering at least this share of the page make it a scan or a mixed page."""
MIN_TEXT_COVERAGE_ON_IMAGE = 0.02
"""On a page mostly covered by images, text boxes covering less than this are POOR."""

# U+FFFD, C0/C1 controls (whitespace aside), surrogates, private use (BMP and planes 15-16).
_BAD_GLYPH = re.compile(r"[\ufffd\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ue000-\uf8ff\U000f0000-\U0010ffff]")
_BLOCK_AND_LINE = operator.itemgetter(5, 6)  # of an extractWORDS tuple
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]{4,}")
_VOWEL = re.compile("[aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœ]", re.IGNORECASE)


@dataclass(frozen=True)
class TextLayer:
    """What a page's text layer holds and how the page should be sent."""

    text: str
    lines: list[TextLine]
    quality: TextQuality
    route: PageRoute
    image_coverage: float  # share of the page area covered by images, 0..1
    text_coverage: float  # share of the page area covered by text lines, 0..1
    turn: Turn = 0  # degrees the page as shown is turned clockwise from the frame its text reads in


@dataclass
class _Piece:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    shown: tuple[float, float, float, float] | None = None  # its box on the page as displayed

    @property
    def box(self) -> tuple[float, float, float, float]:
        return self.x0, self.y0, self.x1, self.y1


def judge_text_quality(text: str, *, text_coverage: float = 1.0, image_coverage: float = 0.0) -> TextQuality:
    """Verdict on a text layer: EMPTY (next to nothing), POOR (garbled or token), or GOOD.

    POOR when: many unknown glyphs (U+FFFD, private use, control characters: a font without
    a ToUnicode map), few letters or digits, Latin words without vowels (glyphs mapped to
    the wrong letters), or a page mostly covered by images whose text covers only a sliver
    (a scan with a stamp).
    """
    # C-level string functions, not per-character Python loops: this runs on every page.
    solid = "".join(text.split())
    count = len(solid)
    if count < MIN_TEXT_CHARS:
        return TextQuality.EMPTY
    if len(_BAD_GLYPH.findall(solid)) > MAX_BAD_GLYPH_SHARE * count:
        return TextQuality.POOR
    if sum(map(str.isalnum, solid)) < MIN_ALNUM_SHARE * count:
        return TextQuality.POOR
    words = _LATIN_WORD.findall(text)
    if len(words) >= 5:
        with_vowel = sum(1 for word in words if _VOWEL.search(word))
        if with_vowel < MIN_VOWEL_WORD_SHARE * len(words):
            return TextQuality.POOR
    if image_coverage >= LARGE_IMAGE_COVERAGE and text_coverage < MIN_TEXT_COVERAGE_ON_IMAGE:
        return TextQuality.POOR
    return TextQuality.GOOD


def choose_route(quality: TextQuality, image_coverage: float) -> PageRoute:
    """GOOD text goes as text, or as text plus image when images cover most of the page."""
    if quality is not TextQuality.GOOD:
        return PageRoute.IMAGE
    if image_coverage >= LARGE_IMAGE_COVERAGE:
        return PageRoute.BOTH
    return PageRoute.TEXT


def _rows(pieces: list[_Piece]) -> list[list[_Piece]]:
    """Group pieces into visual rows, top to bottom; each row left to right."""
    rows: list[list[_Piece]] = []
    row_box: list[float] = []  # y0, y1 of the current row
    for piece in sorted(pieces, key=lambda p: (p.y0 + p.y1) / 2):
        if rows:
            overlap = min(row_box[1], piece.y1) - max(row_box[0], piece.y0)
            smaller = min(row_box[1] - row_box[0], piece.y1 - piece.y0)
            if smaller > 0 and overlap >= 0.5 * smaller:
                rows[-1].append(piece)
                row_box = [min(row_box[0], piece.y0), max(row_box[1], piece.y1)]
                continue
        rows.append([piece])
        row_box = [piece.y0, piece.y1]
    for row in rows:
        row.sort(key=lambda p: p.x0)
    return rows


def _reading_frame(page: pymupdf.Page, pieces: list[_Piece]) -> tuple[list[_Piece], Turn]:
    """The pieces (boxes as displayed) in the frame their text is read in, each keeping its
    displayed box as ``shown``, and how far the page as shown is turned clockwise from that
    frame (degrees). Rows are only rows where the text runs left to right: on a
    page turned by /Rotate that is usually its unrotated frame (a portrait page shown on its
    side: every line runs down the displayed page, and grouping displayed rows would read
    across the lines); it is the displayed frame when the content itself was drawn turned
    (its unrotated lines run vertically), and always when the page is not turned."""
    for piece in pieces:
        piece.shown = piece.box
    if not page.rotation:
        return pieces, 0
    derotate = page.derotation_matrix
    upright = []
    for piece in pieces:
        rect = pymupdf.Rect(piece.box) * derotate
        upright.append(_Piece(rect.x0, rect.y0, rect.x1, rect.y1, piece.text, piece.shown))
    words = [p for p in upright if len(p.text) > 1]
    across = sum(1 for p in words if p.x1 - p.x0 > p.y1 - p.y0)
    if words and across * 2 > len(words):
        return upright, cast(Turn, page.rotation % 360)
    return pieces, 0


def _join_row(row: list[_Piece]) -> str:
    parts = [row[0].text]
    for left, right in zip(row, row[1:], strict=False):
        height = max(left.y1 - left.y0, right.y1 - right.y0)
        parts.append("  " if right.x0 - left.x1 > height else " ")
        parts.append(right.text)
    return "".join(parts)


def _clip(box: tuple[float, float, float, float], width: float, height: float) -> BBox:
    """The box clipped to the page, normalised to 0..1."""
    x0, y0, x1, y1 = box
    return (
        min(1.0, max(0.0, x0 / width)),
        min(1.0, max(0.0, y0 / height)),
        min(1.0, max(0.0, x1 / width)),
        min(1.0, max(0.0, y1 / height)),
    )


def _area(box: BBox) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def _text_page(page: pymupdf.Page, display_list: pymupdf.DisplayList | None) -> pymupdf.TextPage:
    if display_list is None:
        return page.get_textpage(flags=_TEXT_FLAGS)
    textpage = display_list.get_textpage(_TEXT_FLAGS)
    # Some PyMuPDF releases hand back MuPDF's raw structured-text object here.
    return textpage if isinstance(textpage, pymupdf.TextPage) else pymupdf.TextPage(textpage)


def read_text_layer(page: pymupdf.Page, display_list: pymupdf.DisplayList | None = None) -> TextLayer:
    """Read ``page``'s text layer: lines in reading order, boxes normalised to 0..1 (origin
    top-left of the page as displayed, rotation applied), quality verdict and route.

    Pass the page's ``display_list`` when the page will be rendered too: the content stream
    is then interpreted once for both.
    """
    width, height = page.rect.width, page.rect.height
    # Page.get_textpage reports unrotated coordinates; the rotation matrix maps them onto
    # the page as displayed (what page.rect and the rendered image show). A display list
    # is already in displayed coordinates.
    rotation = page.rotation_matrix if page.rotation and display_list is None else None
    textpage = _text_page(page, display_list)

    # Words come ordered by block, line, word: each (block, line) run is one MuPDF line.
    pieces: list[_Piece] = []
    for _line, run in itertools.groupby(textpage.extractWORDS(), key=_BLOCK_AND_LINE):
        x0s, y0s, x1s, y1s, words = zip(*(word[:5] for word in run), strict=True)
        pieces.append(_Piece(min(x0s), min(y0s), max(x1s), max(y1s), " ".join(words)))
    if rotation is not None:
        for piece in pieces:
            rect = pymupdf.Rect(piece.x0, piece.y0, piece.x1, piece.y1) * rotation
            piece.x0, piece.y0, piece.x1, piece.y1 = rect.x0, rect.y0, rect.x1, rect.y1

    if width <= 0 or height <= 0:
        raise ValueError(f"the page has no size ({width} x {height} pt)")
    image_coverage = 0.0
    for block in textpage.extractBLOCKS():
        if block[6] != 1:  # 1 = image block
            continue
        rect = pymupdf.Rect(block[:4])
        if rotation is not None:
            rect = rect * rotation
        image_coverage += _area(_clip((rect.x0, rect.y0, rect.x1, rect.y1), width, height))
    image_coverage = min(1.0, image_coverage)

    # One TextLine per MuPDF line (its own exact box), in reading order; the page text joins
    # each visual row. Keeping the pieces apart lets the field mapper see column boundaries
    # (a quantity right next to a unit price) that a joined row would blur.
    lines: list[TextLine] = []
    row_texts: list[str] = []
    text_coverage = 0.0
    pieces, turn = _reading_frame(page, pieces)
    for row in _rows(pieces):
        row_texts.append(_join_row(row))
        for piece in row:
            box = _clip(piece.shown or piece.box, width, height)
            text_coverage += _area(box)
            # Built from values made here (floats clipped to 0..1): no validation needed.
            lines.append(TextLine.model_construct(text=piece.text, bbox=box, confidence=1.0))
    text_coverage = min(1.0, text_coverage)
    text = "\n".join(row_texts)
    quality = judge_text_quality(text, text_coverage=text_coverage, image_coverage=image_coverage)
    return TextLayer(
        text=text,
        lines=lines,
        quality=quality,
        route=choose_route(quality, image_coverage),
        image_coverage=image_coverage,
        text_coverage=text_coverage,
        turn=turn,
    )
