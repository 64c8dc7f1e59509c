"""Page-wide evidence for and against the seller's candidates (see ``parties``): the first
organisation named, a name beside the document's details, a name printed again, named by a
logo heading or by the web or e-mail domain; a heading spelled out by the name it stands
for; a taller heading of someone else above the chosen name; a name off the centre line of
the centred header under it (a word left unread at one end)."""

from __future__ import annotations

import difflib
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from extractors.fieldmap.labels import is_title_text
from extractors.fieldmap.layout import Cell, Row
from extractors.fieldmap.lexicon import words
from extractors.fieldmap.name_words import BUSINESS_WORDS
from extractors.fieldmap.party_lines import compact, legal_form, segments


@dataclass
class SellerCandidate:
    """A text that may be the seller's name, where it is, its score and why."""

    text: str
    cells: tuple[Cell, ...]
    rows: tuple[int, ...]
    score: float
    method: str
    legal: str | None
    evidence: list[str]


def credit_first_named(candidates: list[SellerCandidate]) -> None:
    """An invoice names its issuer before anyone else (letterhead over the recipient's
    address): the first legal-form name at the top of the page, +1.0."""
    named = [k for k in candidates if k.legal is not None and k.method != "party:footer"]
    if not named:
        return
    first = min(k.rows[0] for k in named)
    for candidate in named:
        if candidate.rows[0] == first:
            candidate.score += 1.0
            candidate.evidence.append("the first organisation named on the page")


def discount_beside_details(
    rows: Sequence[Row], candidates: list[SellerCandidate], taken: set[tuple[int, int]]
) -> None:
    """A name on the same line as the document's details (a label and its value: "Rechnungs-Nr.
    20240536", "Factuurdatum") stands in the recipient's address block beside them, more
    often than the issuer's letterhead: -1.0."""
    for candidate in candidates:
        r = candidate.rows[0]
        if candidate.method == "party:footer":  # a footer's registration labels are no details
            continue
        if any((r, c) in taken for c in range(len(rows[r].cells))):
            candidate.score -= 1.0
            candidate.evidence.append("beside the document's details")


def credit_repeated_names(rows: Sequence[Row], candidates: list[SellerCandidate]) -> None:
    """A legal-form name printed again elsewhere (letterhead and footer, sender line and
    footer) is surer: +1.5."""
    texts = [(r, compact(part)) for r, row in enumerate(rows) for c in row.cells for part in segments(c)]
    for candidate in candidates:
        if candidate.legal is None:
            continue
        name = compact(candidate.text)
        if len(name) >= 6 and any(r not in candidate.rows and name in text for r, text in texts):
            candidate.score += 1.5
            candidate.evidence.append("named again elsewhere on the page")


def credit_named_by_heading(
    rows: Sequence[Row], zone: list[int], candidates: list[SellerCandidate], unit: float
) -> None:
    """A logo or brand heading (text taller than the page's usual among the first rows, or a
    lone brand word opening the page: a photo's text heights say little) whose word a
    legal-form name contains, also OCR-glued ("FerravalleTelecom S.n.c."), names the issuer:
    +3 to that name."""
    headings = heading_cells(rows, zone, unit)
    marks = {
        w
        for c in headings
        for w in words(c.text)
        if len(w) >= 4 and w not in BUSINESS_WORDS and legal_form(f"x {w}") is None
    }
    for candidate in candidates:
        if candidate.legal is None or any(c in headings for c in candidate.cells):
            continue
        squeezed = compact(candidate.text)
        named = {w for w in marks if w in squeezed}
        if named:
            candidate.score += 3.0
            candidate.evidence.append(f"the heading word {sorted(named)[0]!r} names it")


def heading_cells(rows: Sequence[Row], zone: list[int], unit: float) -> list[Cell]:
    """Logo or brand headings: text taller than the page's usual among the first rows, or a
    lone brand word opening the page (a photo's text heights say little); no titles."""
    return [
        c
        for r in zone[:3]
        for c in rows[r].cells
        if (c.height >= 1.2 * unit or (r == zone[0] and _wordmark(c.text))) and not is_title_text(c.text)
    ]


def clearer_twin(best: SellerCandidate, candidates: list[SellerCandidate]) -> SellerCandidate:
    """The same legal-form name read twice (letterhead or sender line, and footer), the chosen
    reading the weaker: the clearer one is returned ("AshcombeSystmsLLC" read at 0.77, "Ashcombe
    Systems LLC" at 0.97). Twins share their legal form and differ by a letter or two."""
    if best.legal is None:
        return best
    own = compact(best.text)
    sure = min(c.confidence for c in best.cells)
    twins = [
        k
        for k in candidates
        if k is not best
        and k.legal == best.legal
        and compact(k.text) != own
        and min(c.confidence for c in k.cells) >= sure + 0.05
        and difflib.SequenceMatcher(None, compact(k.text), own).ratio() >= _TWIN_RATIO
    ]
    if not twins:
        return best
    twin = max(twins, key=lambda k: (min(c.confidence for c in k.cells), k.score))
    twin.evidence.append(f"the same name read more clearly than {best.text!r}")
    return twin


# Two readings of one name: this share of their letters in common (difflib's ratio).
_TWIN_RATIO = 0.85
# The shortest name word a heading respells (``respelled_by_heading``).
_RESPELL_MIN = 6


def respelled_by_heading(
    name: str, headings: Sequence[Cell], chosen: Sequence[Cell]
) -> tuple[str, str | None]:
    """``name`` with a word that a brand heading prints with a letter or two more inside it,
    spelled as the heading spells it, and the note; or ``name`` and None. The heading is printed
    larger and read surer than the name's line (its OCR confidence at least the name's), so
    its reading stands: "Falkenied Druck AG" under the logo "Falkenried"."""
    sure = min((c.confidence for c in chosen), default=1.0)
    marks = {
        w for c in headings if c not in chosen and c.confidence >= sure for w in c.text.split() if w.isalpha()
    }
    tokens = name.split()
    for i, token in enumerate(tokens):
        if len(token) < _RESPELL_MIN or not token.isalpha():
            continue
        for mark in marks:
            if len(mark) < _RESPELL_MIN or mark.lower() == token.lower():
                continue
            if _dropped_letters(token.lower(), mark.lower()):
                spelled = mark if token.isupper() == mark.isupper() else _in_case_of(mark, token)
                tokens[i] = spelled
                note = f"spelled {token!r} as the heading prints it: {spelled!r}"
                return " ".join(tokens), note
    return name, None


def _dropped_letters(token: str, mark: str) -> bool:
    """Whether ``token`` is ``mark`` with one or two letters inside it left unread ("falkenied"
    of "falkenried"): OCR drops a faint letter, it seldom adds one, and a word's ends are its
    surest letters (a heading that lost its first letter, "revignac", spells nothing)."""
    if not 1 <= len(mark) - len(token) <= 2 or mark[0] != token[0] or mark[-1] != token[-1]:
        return False
    rest = iter(mark)
    return all(ch in rest for ch in token)


def _in_case_of(word: str, model: str) -> str:
    if model.isupper():
        return word.upper()
    if model.islower():
        return word.lower()
    return word[:1].upper() + word[1:].lower()


def _wordmark(text: str) -> bool:
    """A brand printed alone: one or two words of letters, no legal form ("ASHCOMBE")."""
    tokens = text.split()
    return (
        1 <= len(tokens) <= 2
        and all(t.isalpha() for t in tokens)
        and sum(len(t) for t in tokens) >= 4
        and legal_form(text) is None
    )


_DOMAIN = re.compile(r"(?:@|www\.|https?://)([a-z0-9-]+(?:\.[a-z0-9-]+)*)\.[a-z]{2,}", re.IGNORECASE)


def credit_named_by_domain(rows: Sequence[Row], candidates: list[SellerCandidate]) -> None:
    """The issuer prints its e-mail and web address: a name that contains the domain's word
    ("oakhollow" of www.oakhollow.co.uk) is the issuer's: +2.5."""
    marks: set[str] = set()
    for row in rows:
        for m in _DOMAIN.finditer(row.text):
            marks.update(
                w
                for w in re.split(r"[.-]", m.group(1).lower())
                if len(w) >= 4 and w not in ("mail", "info", "shop")
            )
    if not marks:
        return
    for candidate in candidates:
        name = compact(candidate.text)
        named = sorted(w for w in marks if w in name)
        if named and not any("domain" in e for e in candidate.evidence):
            candidate.score += 2.5
            candidate.evidence.append(f"its web or e-mail domain {named[0]!r} is printed")


def spelled_out(best: SellerCandidate, candidates: list[SellerCandidate]) -> SellerCandidate:
    """A heading without legal form ("I R O N V A L E", a logo word) that a legal-form
    name on the page starts with or contains stands for that name: the name is returned."""
    if best.legal is not None:
        return best
    short = compact(best.text)
    if len(short) < 4:
        return best
    full = [k for k in candidates if k.legal is not None and short in compact(k.text) and k is not best]
    if not full:
        return best
    chosen = max(full, key=lambda k: k.score)
    chosen.evidence.append(f"the heading {best.text!r} stands for it")
    return chosen


def rival_heading(rows: Sequence[Row], zone: list[int], best: SellerCandidate) -> Cell | None:
    """The tallest heading of the first two rows, above the chosen name and taller than it,
    or a brand word printed alone on the first row above it, that shares no word with it:
    someone else's logo (an issuer whose full name the page never prints, while the
    recipient's was chosen). The choice is then less sure. A footer or sender-line name has no
    letterhead to compare with."""
    if best.method in ("party:footer", "party:sender-line"):
        return None
    cells = [c for r in zone[:2] if r < best.rows[0] for c in rows[r].cells if not is_title_text(c.text)]
    if not cells:
        return None
    heading = max(cells, key=lambda c: c.height)
    named = set(words(best.text)) | {compact(best.text)}

    def someone_else(cell: Cell) -> bool:
        marks = {w for w in words(cell.text) if len(w) >= 4}
        return (
            bool(marks)
            and cell not in best.cells
            and not any(ch.isdigit() for ch in cell.text)
            and not any(m in named or m in compact(best.text) for m in marks)
        )

    if heading.height > 1.05 * best.cells[0].height and someone_else(heading):
        return heading
    # a brand word alone opening the page ("Thistlewood" beside "Shipping invoice"): a logo,
    # whatever its height (a photo's or a thresholded scan's heights say little)
    if zone[0] < best.rows[0]:
        first = [c for c in rows[zone[0]].cells if not is_title_text(c.text)]
        return next((c for c in first if _wordmark(c.text) and someone_else(c)), None)
    return None


# A centred header: the lines under the name agree on their centre within this many
# characters, and the name is farther than ``_OFF_CENTRE`` characters from it.
_CENTRED_SPREAD = 0.6
_OFF_CENTRE = 1.2
_HEADER_LINES = 3
_EDGE_SPREAD = 2.0  # centred lines of different lengths: their edges differ by this many characters


def off_centre(rows: Sequence[Row], best: SellerCandidate) -> str | None:
    """Why the chosen name may be missing a word, or None: it stands alone on its line at the
    top of a centred header (the two or three lines under it, each alone on its row, share one
    centre line) but its own centre is off that line by more than a character or so. A
    centred name has as much margin on either side, so a word its reader left out at one end
    (faded thermal print: ``ONE THREE SEAFOOD`` for ``ONE ONE THREE SEAFOOD``) shifts it by
    half that word. Names printed left-aligned, or beside a logo, are never centred lines."""
    if len(best.cells) != 1 or len(rows[best.rows[0]].cells) != 1:
        return None
    name = best.cells[0]
    if not name.text.strip():
        return None
    char = (name.x1 - name.x0) / len(name.text.strip())
    below = rows[best.rows[-1] + 1 : best.rows[-1] + 1 + _HEADER_LINES]
    lines = [row.cells[0] for row in below if len(row.cells) == 1]
    if len(lines) < 2 or char <= 0:
        return None
    centres = [(c.x0 + c.x1) / 2 for c in lines]
    axis = statistics.median(centres)
    if max(abs(c - axis) for c in centres) > _CENTRED_SPREAD * char:
        return None
    for edge in ([c.x0 for c in lines], [c.x1 for c in lines]):
        if max(edge) - min(edge) < _EDGE_SPREAD * char:
            return None  # aligned at one edge, or lines of one length: nothing says centred
    shift = ((name.x0 + name.x1) / 2 - axis) / char
    if abs(shift) <= _OFF_CENTRE:
        return None
    side = "start" if shift > 0 else "end"
    return (
        f"off the centre line of the header under it by {abs(shift):.1f} characters: "
        f"a word may be unread at its {side}"
    )
