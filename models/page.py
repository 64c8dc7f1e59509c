"""A prepared page: its text layer, its rendered image and what sending it would cost."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# A bounding box in page coordinates normalised to 0..1: (x0, y0, x1, y1), origin top-left.
BBox = tuple[float, float, float, float]
# Degrees a page as shown is turned clockwise from the frame its text reads in.
Turn = Literal[0, 90, 180, 270]


class TextQuality(StrEnum):
    """Verdict on a page's text layer."""

    GOOD = "good"  # real text: route the page as text
    POOR = "poor"  # some text, but garbled, sparse or missing glyph maps
    EMPTY = "empty"  # no text layer at all (a scan or a photo)


class PageRoute(StrEnum):
    """How a page is sent to an engine."""

    TEXT = "text"  # the text layer alone (cheap)
    IMAGE = "image"  # the rendered image (scans, photos)
    BOTH = "both"  # text layer plus image (mixed pages)


class TextLine(BaseModel):
    """One line of text with where it sits on the page."""

    model_config = ConfigDict(frozen=True)

    text: str
    bbox: BBox
    confidence: float = Field(1.0, ge=0.0, le=1.0)
    min_char_confidence: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="OCR only: the least probability of any letter or digit of the line "
        "(its weakest glyph), at most ``confidence``; None for text-layer lines and OCR that "
        "does not report it.",
    )


class OcrReading(BaseModel):
    """What OCR read on one image: its lines and how the image stands to their text."""

    model_config = ConfigDict(frozen=True)

    lines: list[TextLine] = Field(
        default_factory=list, description="Lines in reading order, boxes on the image as given."
    )
    turn: Turn = Field(
        0,
        description="Degrees the image as given is turned clockwise from the frame its text "
        "reads in, as the reader found it (a scan fed in sideways or upside down).",
    )


class TileGrid(BaseModel):
    """The Llama 4 tile grid an image is fitted into."""

    model_config = ConfigDict(frozen=True)

    cols: int = Field(ge=1)
    rows: int = Field(ge=1)

    @property
    def tiles(self) -> int:
        return self.cols * self.rows


class PageImage(BaseModel):
    """A rendered, JPEG-encoded page sized for the tile grid."""

    model_config = ConfigDict(frozen=True)

    jpeg: bytes = Field(repr=False)
    width: int = Field(ge=1)
    height: int = Field(ge=1)
    grid: TileGrid
    estimated_tokens: int = Field(ge=0, description="Llama 4 image tokens for this grid.")


class OcrImage(BaseModel):
    """A page in gray at the resolution OCR reads best, where that is finer than its
    ``PageImage`` (``extractors.ocr_prep``): OCR reads this one, the model the other."""

    model_config = ConfigDict(frozen=True)

    jpeg: bytes = Field(repr=False)
    width: int = Field(ge=1)
    height: int = Field(ge=1)


class PreparedPage(BaseModel):
    """One page after preparation, or the reason it could not be prepared."""

    page_number: int = Field(ge=1, description="1-based page (or frame) number.")
    width_pt: float = Field(0.0, ge=0, description="Page width in points (pixels for images).")
    height_pt: float = Field(0.0, ge=0, description="Page height in points (pixels for images).")
    text: str = Field("", description="The text layer, reading order.")
    lines: list[TextLine] = Field(default_factory=list, description="Text-layer lines with boxes.")
    reading_turn: Turn = Field(
        0,
        description="Degrees the page as shown is turned clockwise from the frame its text "
        "reads in (a PDF page turned by /Rotate); boxes are always of the page as shown.",
    )
    text_quality: TextQuality = TextQuality.EMPTY
    route: PageRoute = PageRoute.IMAGE
    image: PageImage | None = None
    ocr_image: OcrImage | None = Field(
        None, description="The finer gray copy OCR reads; None: OCR reads ``image``."
    )
    model_image: PageImage | None = Field(
        None,
        description="The image the model is sent: ``image`` cut to its text and on the tile "
        "budget's grid (``extractors.tile_budget``; ``image`` itself when the budget keeps it), "
        "made by the render worker for a run whose engine sends images. None: not made here "
        "(a local-engine run, the budget off, a page not sent as an image). It crosses the "
        "process boundary with the page, so it costs at most the bytes of ``image`` again "
        "(usually far less: fewer tiles; nothing when it is ``image``, which pickles once).",
    )
    estimated_text_tokens: int = Field(0, ge=0)
    prepare_ms: float = Field(0.0, ge=0)
    error_code: str | None = Field(None, description="Set when the page failed to prepare.")
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error_code is not None

    @property
    def sends_image(self) -> bool:
        """Whether an engine that reads images is sent this page's image (scans, photos,
        mixed pages; a text-routed page only when its text layer is blank)."""
        if self.image is None:
            return False
        return self.route is not PageRoute.TEXT or not self.text.strip()
