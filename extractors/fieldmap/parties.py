"""Who issued the document and who is billed: the seller's name and address, the buyer.

The seller is the organisation-like text near the top of page 1, chosen by score among the
cells of the first rows (and, for invoices, the footer and the sender line above an address
window). What counts for a candidate: a legal form at its end ("Sdn Bhd", "GmbH", "B.V.",
"S.r.l."), a business word ("Restaurant", "Hardware"), being among the first rows, text
taller than the page's usual, capitals, a clear OCR reading. What rules it out: a document
title ("TAX INVOICE", "Kopie factuur"), a label or a labelled value ("Cashier: ...",
"Table 5"), an address line (street words, postcodes), a phone, registration or tax-id line,
a date, an amount, and the buyer's block (the lines under "Bill to" / "Rechnungsempfänger" /
"Facturé à"). A registration number printed after the name ("(867388-U)") is dropped from it.
A name printed on two lines is joined when the second line is only a legal form with a branch
("(SEMENYIH) SDN BHD") or the first line is a trading name ending in a business word above
the company line. OCR-glued names and addresses are re-spaced (see ``spacing``), recorded in
the evidence.

The seller's address is the lines under its name, after any registration lines, up to a
phone, tax-id, title or label line, joined with ", ".

Methods (``ExtractedField.method``) and their raw quality before OCR confidence:

| method | what found it | quality |
|---|---|---|
| ``party:label`` | value of a seller label ("From:", "Verkäufer:") | 0.92 |
| ``party:legal-form-top`` | a legal form among the first three candidate rows | 0.90 |
| ``party:legal-form`` | a legal form further down the top zone | 0.80 |
| ``party:footer`` | a legal-form name in the footer | 0.75 |
| ``party:sender-line`` | a legal-form name opening a one-line sender address | 0.80 |
| ``party:top-line`` | the best first line without a legal form | 0.50 - 0.75 |
| ``party:address-below`` | seller address: lines under the seller's name | 0.85, 0.6 without street words |
| ``party:address-footer`` | seller address: the footer line's other parts | 0.7 |
| ``party:buyer-label`` | after a buyer label ("Bill to"): same cell, right, below | 0.90 / 0.88 / 0.85 |

A close runner-up (score within 1.0) multiplies the seller's quality by 0.85.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from extractors.fieldmap.findings import Finding
from extractors.fieldmap.labels import OTHER_FIELD, LabelHit, is_title_text, match_label
from extractors.fieldmap.layout import Cell, Row
from extractors.fieldmap.lexicon import (
    ADDRESS_WORDS,
    BUSINESS_WORDS,
    BUYER_LABELS,
    GLUED_LEGAL_FORMS,
    LEGAL_FORMS,
    OTHER_LABELS,
    words,
)
from extractors.fieldmap.spacing import repair_confusions, respace
from extractors.fieldmap.values import find_amounts, find_dates

_TOP_ROWS = 12
_ALWAYS_TOP = 6
_NEAR_RIGHT = 0.15  # page widths: a value farther right of its label is in another column
_FOOTER_Y = 0.85
_LEGAL_TOKENS = sorted({words(form) for form in LEGAL_FORMS if words(form)}, key=len, reverse=True)
# Parenthesised registration numbers and trailing company numbers ("(867388-U)", "862725-U",
# "(Co. No:20154-T)", "(C0REG:860871-D)").
_REGISTRATION = re.compile(
    r"[\(（\[][^)）\]]*\d{4,}[^)）\]]*[\)）\]]?"
    r"|(?:\b(?:co\.?\s*(?:reg\.?\s*)?no|company\s*no|reg\.?\s*no|roc)\b\.?\s*:?\s*)?"
    r"\b[A-Z]{0,2}\d{5,}-?[A-Z]?\b\)?",
    re.IGNORECASE,
)
_REGISTRATION_WORDS = re.compile(
    r"\b(?:vat|tva|btw|ust|iva|nif|cif|kvk|siret|siren|roc|tax\s*id|reg(?:istration)?|"
    r"co\.?\s*reg|company\s*(?:no|reg)|steuer|handelsregister|hrb|amtsgericht|iban|bic|swift)\b"
    r"|\b(?:gst|sst)",  # OCR glues these to what follows: "GSTIDNo:000144596992"
    re.IGNORECASE,
)
_CONTACT = re.compile(
    r"\b(?:tel|telephone|phone|fax|h/?p|mobile|hotline|telefon|t[ée]l[ée]phone|tel[ée]fono|email|e-mail)\b"
    r"|@|www\.|https?:|\.com\b|\+\d{2}|(?<!\d)0\d{1,2}[- ]?\d{3,4}[- ]?\d{4}(?!\d)",
    re.IGNORECASE,
)
_POSTCODE = re.compile(
    r"(?<![\d.,/-])(?:[A-Z]{1,2}-)?\d{4,5}(?![\d.,/])|\b[A-Z]{1,2}\d{1,2}[A-Z]?\s\d[A-Z]{2}\b"
)
_HOUSE_NUMBER = re.compile(r"^\s*(?:no\.?\s*:?\s*)?\d+[a-z]?\s*[,&/-]", re.IGNORECASE)
_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")
# Compound street names ("Hafenstrasse", "Keizersgracht") and "street, house number" lines.
_STREET_SUFFIXES = (
    "strasse",
    "strae",
    "str",
    "weg",
    "platz",
    "gasse",
    "allee",
    "damm",
    "straat",
    "laan",
    "gracht",
    "plein",
    "kade",
    "singel",
)
_STREET_NUMBER = re.compile(r"^[^\W\d_][\w .'-]{2,40}\s\d{1,4}\s?[a-zA-Z]?$")
_LABEL_PREFIX = re.compile(r"^\s*[^\W\d_][\w .'/#-]{0,24}?\s*[:：]\s*\S")
_SEPARATORS = re.compile(r"\s+[·•|]\s+|\s+[-–]\s+|\s{2,}")
_SALUTATIONS = frozenset(
    {
        "firma",
        "herrn",
        "herr",
        "frau",
        "mr",
        "mrs",
        "ms",
        "attn",
        "monsieur",
        "madame",
        "mme",
        "sr",
        "sra",
        "dhr",
        "mevr",
        "sig",
        "spett",
        "hd",
        "z",
    }
)
_BUYER_WORDS = (*BUYER_LABELS, "ship to", "deliver to", "delivery address", "lieferadresse", "livré à")


@dataclass
class _Candidate:
    text: str
    cells: tuple[Cell, ...]
    rows: tuple[int, ...]
    score: float
    method: str
    legal: str | None
    evidence: list[str]


def legal_form(text: str) -> str | None:
    """The legal form ``text`` ends with ("sdn bhd", "gmbh", ...), or None."""
    tokens = words(respace(_repair_legal(text)[0]))
    for form in _LEGAL_TOKENS:
        if len(tokens) > len(form) and tokens[-len(form) :] == form:
            return " ".join(form)
    compact = "".join(tokens)
    return next((form for form in GLUED_LEGAL_FORMS if compact.endswith(form) and compact != form), None)


def _repair_legal(text: str) -> tuple[str, str | None]:
    """``text`` with the legal form "S/B" that OCR read as "5/B" repaired."""
    repaired = re.sub(r"(?<=[A-Za-z\s])5/B\b", "S/B", text)
    return repaired, ("repaired '5/B' -> 'S/B'" if repaired != text else None)


def strip_registration(text: str) -> str:
    """``text`` without registration numbers printed after a name."""
    return re.sub(r"\s{2,}", " ", _REGISTRATION.sub(" ", text)).strip(" ,;:-")


def is_registration_line(text: str) -> bool:
    """A company-number or tax-id line ("(867388-U)", "GST ID: 000781500416")."""
    if _REGISTRATION_WORDS.search(respace(text)):
        return bool(re.search(r"\d{3,}", text)) or len(words(text)) <= 4
    if re.search(r"\d{8,}", text):  # tax ids; no address or name has such a run
        return True
    letters = sum(ch.isalpha() for ch in text)
    # a company number: six digits or more, or a letter check suffix ("65351-M"); a
    # postcode of four or five digits ("69003 Lyon") is not one
    return bool(re.search(r"\d{6,}|\d{4,}-?[A-Z]\b|[\(（]\s*\d{4,}", text)) and letters <= 4


def is_contact_line(text: str) -> bool:
    """A phone, fax, e-mail or web line."""
    return bool(_CONTACT.search(text))


def is_address_line(text: str) -> bool:
    """A line with a street or place word, a postcode or a leading house number."""
    tokens = set(words(respace(repair_confusions(text))))
    if tokens & ADDRESS_WORDS or any(t.endswith(_STREET_SUFFIXES) for t in tokens):
        return True
    return bool(_POSTCODE.search(text) or _HOUSE_NUMBER.match(text) or _STREET_NUMBER.match(text))


def _is_label_text(text: str) -> bool:
    """A "Label: value" cell or a cell that starts with a known label word; "No: 12" and
    "Lot: 5" open addresses, not labels."""
    prefix = _LABEL_PREFIX.match(text)
    if prefix and legal_form(text) is None:
        label_words = set(words(re.split(r"[:：]", text, maxsplit=1)[0]))
        return not label_words <= (ADDRESS_WORDS | {"no"})
    return any(match_label(text, label) is not None for label in OTHER_LABELS if len(label) >= 4)


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _business_word(text: str) -> str | None:
    return next((w for w in words(respace(text)) if w in BUSINESS_WORDS), None)


def _clean_name(text: str) -> tuple[str, list[str]]:
    """The name as it should be returned: registration dropped, legal form repaired,
    glued words re-spaced; with the notes for the evidence."""
    notes: list[str] = []
    repaired, note = _repair_legal(repair_confusions(text))
    if repaired != text:
        notes.append(note or f"OCR digits in words repaired in {text!r}")
    stripped = strip_registration(repaired)
    if stripped != repaired.strip():
        notes.append(f"registration dropped from {text!r}")
    spaced = respace(stripped)
    if spaced != stripped:
        notes.append(f"respaced {stripped!r} -> {spaced!r}")
    return spaced.strip(" ,;:*-"), notes


def buyer_cells(rows: Sequence[Row], unit: float) -> set[int]:
    """ids of the cells of buyer and delivery blocks: a buyer label, the rest of its row to
    the right and the lines stacked under it up to a gap; and the address window under a
    one-line sender address (the recipient of a letter-style invoice)."""
    blocked: set[int] = set()
    for r, row in enumerate(rows):
        for c, cell in enumerate(row.cells):
            if is_buyer_label(cell.text):
                blocked.update(id(x) for x in row.cells[c:] if x is cell or x.x0 - cell.x1 <= _NEAR_RIGHT)
                blocked.update(id(x) for x in _stacked_under(rows, r, cell, unit))
            elif is_sender_line(cell.text):
                blocked.update(id(x) for x in _stacked_under(rows, r, cell, unit))
    return blocked


def is_buyer_label(text: str) -> bool:
    """A cell that introduces the buyer; a short label ("To", "An", "Aan") only when it is
    the whole cell, so that "To be paid" or "Anlage" introduce nobody."""
    for word in _BUYER_WORDS:
        end = match_label(text, word)
        if end is not None and (len(word) > 3 or not text[end:].strip(" :：")):
            return True
    return False


def _stacked_under(rows: Sequence[Row], r: int, cell: Cell, unit: float) -> list[Cell]:
    """The cells stacked under ``cell`` (left edges within reach), line after line, up to a gap."""
    out: list[Cell] = []
    previous = cell
    for below in rows[r + 1 : r + 8]:
        if below.y0 - previous.y1 > 1.6 * max(unit, previous.height):
            break
        under = [x for x in below.cells if x.overlaps_x(cell, slack=0.02) > 0 and x.x0 < cell.x0 + 0.1]
        if not under:
            break
        out.extend(under)
        previous = under[0]
    return out


def is_sender_line(text: str) -> bool:
    """A one-line sender address: a name with a legal form, then address parts
    ("Nordlicht GmbH · Hafenstrasse 12 · 20457 Hamburg")."""
    parts = _split_line(text)
    if len(parts) < 2 or legal_form(strip_registration(parts[0])) is None:
        return False
    return any(is_address_line(p) for p in parts[1:])


def _split_line(text: str) -> list[str]:
    parts = [p.strip() for p in _SEPARATORS.split(text) if p.strip()]
    if len(parts) == 1 and "," in text and legal_form(text.split(",")[0]):
        parts = [p.strip() for p in text.split(",") if p.strip()]
    return parts


def _top_zone(rows: Sequence[Row]) -> list[int]:
    """Indices of the rows where a letterhead or receipt header is printed."""
    if not rows:
        return []
    top, bottom = rows[0].y0, rows[-1].y1
    limit = top + 0.4 * max(bottom - top, 1e-6)
    # the first rows always count: a short document's header is most of its text
    first = range(min(len(rows), _TOP_ROWS))
    return [r for r in first if (rows[r].y0 <= limit or r < _ALWAYS_TOP) and rows[r].y0 < _FOOTER_Y]


def _score_cell(
    text: str, cell: Cell, rank: int, unit: float, tallest: float
) -> tuple[float, str | None, list[str]] | None:
    """Score of ``text`` (from ``cell``, on the ``rank``-th candidate row) as the seller's
    name, its legal form and the reasons; None when it cannot be a name at all."""
    name = strip_registration(_repair_legal(text)[0])
    if _letters(name) < 3 or is_title_text(name) or is_title_text(text):
        return None
    if find_dates(text) and _letters(name) < 8:
        return None
    legal = legal_form(name)
    reasons: list[str] = []
    score = 0.0
    if legal:
        score += 4.0
        reasons.append(f"legal form '{legal}'")
    business = _business_word(name)
    if business:
        score += 1.5
        reasons.append(f"business word '{business}'")
    score += max(0.0, 2.5 - 0.5 * rank)
    ratio = cell.height / max(unit, 1e-6)
    if ratio > 1.05:
        score += min(2.0, 3.0 * (ratio - 1.0))
        reasons.append(f"text {ratio:.1f}x the usual height")
    elif ratio < 0.85:
        score -= 1.0
    if cell.height >= tallest * 0.98:
        score += 0.5
    letters = [ch for ch in name if ch.isalpha()]
    if sum(ch.isupper() for ch in letters) >= 0.8 * len(letters):
        score += 0.3
    if cell.confidence < 0.8:
        score -= 1.5 + 3.0 * (0.8 - cell.confidence)
        reasons.append(f"weak OCR reading ({cell.confidence:.2f})")
    if _letters(name) < 0.5 * len(name.replace(" ", "")):
        score -= 2.0
    negatives = [
        ("a label", _is_label_text(text)),
        ("an address line", is_address_line(name)),
        ("a phone or web line", is_contact_line(text)),
        ("a registration line", is_registration_line(text) and not legal),
        ("an amount", bool(find_amounts(name)) and _letters(name) < 6),
        ("a time", bool(_TIME.search(text))),
    ]
    for what, present in negatives:
        if present:
            if not legal:
                return None
            score -= 2.0
            reasons.append(f"looks like {what}")
    tokens = name.split()
    if not legal and not business and 2 <= len(tokens) <= 3 and all(t.istitle() for t in tokens):
        score -= 1.5  # the shape of a person's name: "Anna Schmidt"
        reasons.append("shaped like a person's name")
    return score, legal, reasons


def _segments(cell: Cell) -> list[str]:
    """The parts of a cell a name may be: the whole, and the parts between separators of
    a footer or sender line ("Nordlicht GmbH · Hafenstrasse 12 · 20457 Hamburg")."""
    parts = _split_line(cell.text)
    return [cell.text] if len(parts) == 1 else parts


def read_seller(
    rows: Sequence[Row],
    unit: float,
    *,
    page_number: int,
    label_hits: Sequence[LabelHit],
    taken: set[tuple[int, int]],
) -> Finding | None:
    """The seller's name on this page (page 1 only), or None.

    ``label_hits``: hits of the seller field's own labels; ``taken``: cells that are labels
    or table cells and so cannot be the name."""
    if page_number != 1 or not rows:
        return None
    labelled = _from_seller_label(rows, label_hits)
    if labelled is not None:
        return labelled
    blocked = buyer_cells(rows, unit)
    zone = _top_zone(rows)
    tallest = max((c.height for r in zone for c in rows[r].cells), default=unit)
    candidates: list[_Candidate] = []
    rank = 0
    for r in zone:
        row = rows[r]
        seen = False
        scored_here: list[_Candidate] = []
        for c, cell in enumerate(row.cells):
            if id(cell) in blocked or ((r, c) in taken and not _name_despite_label(cell.text)):
                continue
            scored = _score_cell(cell.text, cell, rank, unit, tallest)
            if scored is not None:
                seen = True
                score, legal, reasons = scored
                method = "party:legal-form-top" if legal and rank < 3 else "party:legal-form"
                scored_here.append(_Candidate(cell.text, (cell,), (r,), score, method, legal, reasons))
            elif len(_segments(cell)) > 1:
                candidates.extend(_sender_segments(cell, r, unit))
        candidates.extend(scored_here)
        if len(scored_here) > 1:  # a name OCR cut into cells of one row ("PappaRich  BMC")
            candidates.append(_row_candidate(scored_here, r))
        rank += 1 if seen or any(_letters(c.text) >= 3 for c in row.cells) else 0
    candidates.extend(_footer_candidates(rows, unit, taken))
    candidates.extend(_joined(rows, candidates, unit))
    if not candidates:
        return None
    _credit_repeated_names(rows, candidates)
    _credit_named_by_heading(rows, zone, candidates, unit)
    _credit_named_by_domain(rows, candidates)
    candidates.sort(key=lambda k: -k.score)
    best = _spelled_out(candidates[0], candidates)
    runner_up = next((k for k in candidates[1:] if not set(k.rows) & set(best.rows)), None)
    return _finding(best, runner_up)


def _row_candidate(parts: list[_Candidate], r: int) -> _Candidate:
    text = " ".join(p.text for p in parts)
    legal = legal_form(strip_registration(text))
    best = max(parts, key=lambda p: p.score)
    method = best.method if legal else "party:top-line"
    reasons = [*best.evidence, "the cells of its row joined"]
    return _Candidate(
        text, tuple(c for p in parts for c in p.cells), (r,), best.score + 0.3, method, legal, reasons
    )


def _name_despite_label(text: str) -> bool:
    """A company name that merely starts with a label word ("Data Systems GmbH")."""
    return legal_form(text) is not None and ":" not in text


def _from_seller_label(rows: Sequence[Row], hits: Sequence[LabelHit]) -> Finding | None:
    for hit in sorted(hits, key=lambda h: (-h.specificity, h.row)):
        row = rows[hit.row]
        label = row.cells[hit.cell]
        options: list[tuple[str, tuple[Cell, ...], float]] = []
        rest = label.text[hit.end :].strip(" :：-")
        if rest:
            options.append((rest, (label,), 1.0))
        if hit.cell + 1 < len(row.cells):
            options.append((row.cells[hit.cell + 1].text, (label, row.cells[hit.cell + 1]), 0.98))
        below = next((rows[r] for r in range(hit.row + 1, min(len(rows), hit.row + 2))), None)
        if below is not None:
            under = next((x for x in below.cells if x.overlaps_x(label, slack=0.02) > 0), None)
            if under is not None:
                options.append((under.text, (label, under), 0.95))
        for text, cells, position in options:
            name, notes = _clean_name(text)
            if (
                _letters(name) < 3
                or is_address_line(name)
                or is_registration_line(text)
                or _is_label_text(text)
            ):
                continue
            evidence = (f"after the label {label.text[: hit.end].strip()!r}", *notes)
            return Finding(name, cells, round(0.92 * position, 4), "party:label", evidence)
    return None


def _sender_segments(cell: Cell, r: int, unit: float) -> list[_Candidate]:
    """A one-line sender address or footer: the part with a legal form is the name."""
    parts = _segments(cell)
    out = []
    for index, part in enumerate(parts):
        legal = legal_form(strip_registration(part))
        if legal and _letters(part) >= 3 and not is_title_text(part):
            rest = [p for p in parts[index + 1 :] if p.strip()]
            if any(is_address_line(p) for p in rest) or len(rest) >= 2:
                score = 4.0 + 2.5  # as sure as a letterhead: whoever writes the letter
                reasons = [f"legal form '{legal}'", "opens a one-line sender address"]
                out.append(_Candidate(part, (cell,), (r,), score, "party:sender-line", legal, reasons))
    return out


def _footer_candidates(rows: Sequence[Row], unit: float, taken: set[tuple[int, int]]) -> list[_Candidate]:
    out = []
    for r, row in enumerate(rows):
        if row.y0 < _FOOTER_Y or r < len(rows) // 2:
            continue
        for c, cell in enumerate(row.cells):
            if (r, c) in taken:
                continue
            for part in _segments(cell):
                legal = legal_form(strip_registration(part))
                if legal and _letters(part) >= 3 and not is_title_text(part) and not is_address_line(part):
                    reasons = [f"legal form '{legal}'", "company line in the footer"]
                    out.append(_Candidate(part, (cell,), (r,), 4.5, "party:footer", legal, reasons))
    return out


def _joined(rows: Sequence[Row], candidates: list[_Candidate], unit: float) -> list[_Candidate]:
    """Names printed on two lines: a legal-form line under a trading name or a branch-only
    legal-form line ("(SEMENYIH) SDN BHD") under the name it completes."""
    by_row = {k.rows[0]: k for k in candidates if len(k.rows) == 1 and len(k.cells) == 1}
    out = []
    for r, lower in by_row.items():
        upper = by_row.get(r - 1)
        if upper is None or lower.legal is None or upper.legal is not None:
            continue
        gap = rows[r].y0 - rows[r - 1].y1
        if gap > 1.2 * max(unit, rows[r - 1].height):
            continue
        own = legal_form(lower.text) or ""
        own_name = re.sub(r"[\(（][^)）]*[\)）]", " ", strip_registration(lower.text))
        own_letters = _letters(own_name) - len(own.replace(" ", ""))
        branch_only = own_letters < 3
        trading_name = (
            _business_word(upper.text) is not None and upper.cells[0].height >= 0.95 * lower.cells[0].height
        )
        if not (branch_only or trading_name):
            continue
        reason = (
            "branch and legal form on the next line" if branch_only else "trading name above the company line"
        )
        out.append(
            _Candidate(
                f"{upper.text} {lower.text}",
                (*upper.cells, *lower.cells),
                (r - 1, r),
                max(upper.score, lower.score) + 0.5,
                lower.method,
                lower.legal,
                [*lower.evidence, f"joined with the line above ({reason})"],
            )
        )
    return out


def _compact(text: str) -> str:
    return "".join(words(strip_registration(text)))


def _credit_repeated_names(rows: Sequence[Row], candidates: list[_Candidate]) -> None:
    """A legal-form name printed again elsewhere (letterhead and footer, sender line and
    footer) is surer: +1.5."""
    texts = [(r, _compact(part)) for r, row in enumerate(rows) for c in row.cells for part in _segments(c)]
    for candidate in candidates:
        if candidate.legal is None:
            continue
        name = _compact(candidate.text)
        if len(name) >= 6 and any(r not in candidate.rows and name in text for r, text in texts):
            candidate.score += 1.5
            candidate.evidence.append("named again elsewhere on the page")


def _credit_named_by_heading(
    rows: Sequence[Row], zone: list[int], candidates: list[_Candidate], unit: float
) -> None:
    """A logo or brand heading (text half again as tall as the page's usual among the first
    rows) whose word a legal-form name contains names the issuer: +3 to that name."""
    headings = [
        c for r in zone[:3] for c in rows[r].cells if c.height >= 1.5 * unit and not is_title_text(c.text)
    ]
    marks = {
        w
        for c in headings
        for w in words(c.text)
        if len(w) >= 4 and w not in BUSINESS_WORDS and legal_form(f"x {w}") is None
    }
    for candidate in candidates:
        if candidate.legal is None or any(c in headings for c in candidate.cells):
            continue
        named = marks & set(words(candidate.text))
        if named:
            candidate.score += 3.0
            candidate.evidence.append(f"the heading word {sorted(named)[0]!r} names it")


_DOMAIN = re.compile(r"(?:@|www\.|https?://)([a-z0-9-]+(?:\.[a-z0-9-]+)*)\.[a-z]{2,}", re.IGNORECASE)


def _credit_named_by_domain(rows: Sequence[Row], candidates: list[_Candidate]) -> None:
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
        name = _compact(candidate.text)
        named = sorted(w for w in marks if w in name)
        if named and not any("domain" in e for e in candidate.evidence):
            candidate.score += 2.5
            candidate.evidence.append(f"its web or e-mail domain {named[0]!r} is printed")


def _spelled_out(best: _Candidate, candidates: list[_Candidate]) -> _Candidate:
    """A heading without legal form ("I R O N V A L E", a logo word) that a legal-form
    name on the page starts with or contains stands for that name: the name is returned."""
    if best.legal is not None:
        return best
    short = _compact(best.text)
    if len(short) < 4:
        return best
    full = [k for k in candidates if k.legal is not None and short in _compact(k.text) and k is not best]
    if not full:
        return best
    chosen = max(full, key=lambda k: k.score)
    chosen.evidence.append(f"the heading {best.text!r} stands for it")
    return chosen


def _finding(best: _Candidate, runner_up: _Candidate | None) -> Finding:
    name, notes = _clean_name(best.text)
    method = best.method
    if best.legal is None:
        method = "party:top-line"
        quality = 0.5 + (0.1 if any("business word" in e for e in best.evidence) else 0.0)
        quality += 0.1 if any("height" in e for e in best.evidence) else 0.0
        quality += 0.05 if best.rows[0] == 0 else 0.0
    else:
        quality = {"party:legal-form-top": 0.9, "party:legal-form": 0.8, "party:footer": 0.75}.get(
            method, 0.8
        )
    evidence = [*best.evidence, *notes]
    if runner_up is not None and best.score - runner_up.score < 1.0:
        quality *= 0.85
        evidence.append(f"close runner-up {runner_up.text!r}")
    return Finding(name, best.cells, round(quality, 4), method, tuple(evidence))


def read_seller_address(rows: Sequence[Row], unit: float, seller: Finding) -> Finding | None:
    """The seller's address: the lines under its name, else the column right of it, else
    the footer's lines that carry its name (see the module docstring)."""
    if seller.method in ("party:footer", "party:sender-line"):
        return _address_from_line(seller)
    last = seller.cells[-1]
    start = next((r for r, row in enumerate(rows) if last in row.cells), None)
    if start is None:
        return None
    on_row = [c for c in seller.cells if c in rows[start].cells]  # a name cut into cells spans them all
    anchor = Cell(
        last.text, min(c.x0 for c in on_row), last.y0, max(c.x1 for c in on_row), last.y1, last.confidence
    )
    found = _walk_address(rows, unit, anchor, start)
    where = "under the seller's name"
    if found is None:  # a letterhead with the address in a column to the right of the name
        right = [c for c in rows[start].cells if c.x0 > anchor.x1 and _street_start(c.text)]
        if right:
            found = _walk_address(rows, unit, right[0], start, include_anchor=True)
            where = "right of the seller's name"
    if found is None:
        return _address_in_footer(rows, unit, seller)
    parts, cells, notes = found
    located = any(is_address_line(p) for p in parts)
    evidence = (f"{len(parts)} line(s) {where}", *notes)
    return Finding(", ".join(parts), cells, 0.85 if located else 0.6, "party:address-below", evidence)


def _street_start(text: str) -> bool:
    """An address line, or a street line led by its house number ("11 Church Walk")."""
    return is_address_line(text) or bool(re.match(r"^\d{1,5}[a-zA-Z]?,?\s+[^\W\d_]{3,}", text))


def _address_parts(text: str) -> str | None:
    """The address parts of a line: a line of parts ("CIF B908 · Calle del Olmo, 31 · 46002
    Valencia · +34 ...") keeps only its address parts; None when no part is one."""
    parts = [p.strip() for p in re.split(r"\s+[·•|]\s+|\s+[-–]\s+", text) if p.strip()]
    if len(parts) == 1:
        return text
    kept = [
        p for p in parts if not is_contact_line(p) and not is_registration_line(p) and not _is_label_text(p)
    ]
    return ", ".join(kept) if any(_street_start(p) for p in kept) else None


def _walk_address(
    rows: Sequence[Row], unit: float, anchor: Cell, start: int, *, include_anchor: bool = False
) -> tuple[list[str], tuple[Cell, ...], list[str]] | None:
    """Lines stacked under ``anchor`` (and ``anchor`` itself when asked), after any
    registration lines, up to a phone, tax-id, title or label line."""
    lines: list[tuple[str, tuple[Cell, ...]]] = []
    if include_anchor:
        lines.append((anchor.text, (anchor,)))
    skipped: list[tuple[str, tuple[Cell, ...]]] = []
    previous = anchor
    for row in rows[start + 1 : start + 10]:
        if row.y0 - previous.y1 > 1.8 * max(unit, previous.height) or len(lines) >= 6:
            break
        # the row's cells within the name's span: an address line OCR cut in two stays whole
        span = tuple(c for c in row.cells if c.overlaps_x(anchor, slack=0.1) > 0)
        if not span:
            break
        printed = " ".join(c.text for c in span)
        text = _address_parts(printed)
        if text is None:  # a line of contact or registration parts only
            if lines:
                break
            previous = span[0]
            continue
        labelled = _is_label_text(text)
        address = _street_start(text) and not labelled
        stop = labelled or is_title_text(text) or is_contact_line(text) or bool(_TIME.search(text))
        if not lines:
            if is_registration_line(text) or (find_dates(text) and _letters(text) < 8):
                previous = span[0]
                continue
            if stop:
                break
            if not address and len(skipped) < 2 and legal_form(text) is None:
                skipped.append((text, span))  # a brand, branch or "Licensee of ..." line
                previous = span[0]
                continue
        elif stop or is_registration_line(text) or (find_dates(text) and not address):
            break
        lines.append((text, span))
        previous = span[0]
    if not lines:
        return None
    parts, notes = [], []
    for text, _ in lines:
        spaced = respace(repair_confusions(text))
        if spaced != text:
            notes.append(f"respaced {text!r} -> {spaced!r}")
        parts.append(spaced.strip(" ,;"))
    cells = tuple(c for _, span in lines for c in span)
    return [p for p in parts if p], cells, notes


def _address_in_footer(rows: Sequence[Row], unit: float, seller: Finding) -> Finding | None:
    """The seller's name printed again (footer, sender line), with its address beside or
    under it; the footer first."""
    name = _compact(seller.text)
    for r in range(len(rows) - 1, -1, -1):
        for cell in rows[r].cells:
            if any(cell is c for c in seller.cells) or name not in _compact(cell.text) or len(name) < 4:
                continue
            on_line = _address_from_line(Finding(seller.text, (cell,), 0.0, "party:footer"))
            if on_line is not None:
                return on_line
            found = _walk_address(rows, unit, cell, r)
            if found is not None:
                parts, cells, notes = found
                evidence = ("under the seller's name in the footer", *notes)
                return Finding(", ".join(parts), cells, 0.7, "party:address-footer", evidence)
    return None


def _address_from_line(seller: Finding) -> Finding | None:
    cell = seller.cells[0]
    parts = _segments(cell)
    name = _compact(seller.text)
    at = next((i for i, p in enumerate(parts) if name and name in _compact(p)), 0)
    address = [
        respace(p).strip(" ,;")
        for p in parts[at + 1 :]
        if not is_contact_line(p) and not is_registration_line(p) and not _is_label_text(p) and p.strip()
    ]
    if not address or not any(_street_start(p) for p in address):
        return None
    evidence = ("the parts after the name on its line",)
    return Finding(", ".join(address), (cell,), 0.7, "party:address-footer", evidence)


def read_buyer(
    rows: Sequence[Row],
    hits: Sequence[LabelHit],
    label_cells: set[tuple[int, int]],
    unit: float,
    seller: Finding | None,
) -> Finding | None:
    """The billed party's name: the first name-like text after a buyer label; without one,
    the name in the address window under a sender line, else the top-left name block with
    an address under it that is not the seller's (weak)."""
    for hit in sorted(hits, key=lambda h: (-h.specificity, h.row, h.cell)):
        if hit.field == OTHER_FIELD or not is_buyer_label(rows[hit.row].cells[hit.cell].text):
            continue
        row = rows[hit.row]
        label = row.cells[hit.cell]
        options: list[tuple[str, tuple[Cell, ...], float, str]] = []
        rest = label.text[hit.end :].strip(" :：-")
        if rest:
            options.append((rest, (label,), 0.9, "same cell"))
        for r in range(hit.row + 1, min(len(rows), hit.row + 3)):
            under = next(
                (
                    x
                    for c, x in enumerate(rows[r].cells)
                    if x.overlaps_x(label, slack=0.02) > 0 and (r, c) not in label_cells
                ),
                None,
            )
            if under is not None:
                options.append((under.text, (label, under), 0.85, "under"))
                break
        if hit.cell + 1 < len(row.cells) and (hit.row, hit.cell + 1) not in label_cells:
            right = row.cells[hit.cell + 1]
            if right.x0 - label.x1 <= _NEAR_RIGHT:  # farther right is another column
                options.append((right.text, (label, right), 0.88, "right of"))
        for text, cells, quality, where in options:
            name, notes = _clean_name(text)
            if _letters(name) < 2 or (is_address_line(name) and not legal_form(name)) or _is_label_text(text):
                continue
            evidence = (f"{where} the label {label.text[: hit.end].strip()!r}", *notes)
            return Finding(name, cells, quality, "party:buyer-label", evidence)
    return _buyer_in_window(rows, unit, seller)


def _buyer_in_window(rows: Sequence[Row], unit: float, seller: Finding | None) -> Finding | None:
    """The recipient of a letter-style invoice: under a sender line, or a name block at the
    top left with an address under it that is not the seller."""
    seller_cells = {id(c) for c in seller.cells} if seller is not None else set()
    seller_name = _compact(seller.text) if seller is not None else ""
    for r, row in enumerate(rows[:_TOP_ROWS]):
        for cell in row.cells:
            if not is_sender_line(cell.text):
                continue
            for under in _stacked_under(rows, r, cell, unit):
                if _is_salutation(under.text) or _letters(under.text) < 3 or is_address_line(under.text):
                    continue
                name, notes = _clean_name(under.text)
                evidence = ("first name in the address window under the sender line", *notes)
                return Finding(name, (under,), 0.75, "party:buyer-window", evidence)
    for r in _top_zone(rows):
        for cell in rows[r].cells:
            if id(cell) in seller_cells or _letters(cell.text) < 3 or _compact(cell.text) == seller_name:
                continue
            company = legal_form(cell.text) is not None
            if not company and not (_person_shaped(cell.text) and cell.x0 < 0.5):
                continue
            below = _stacked_under(rows, r, cell, unit)
            if len(below) >= 2 and any(_street_start(c.text) for c in below[:3]):
                name, notes = _clean_name(cell.text)
                what = "a company" if company else "a person's name"
                evidence = (f"{what} with an address under it, in the recipient's place", *notes)
                return Finding(name, (cell,), 0.6 if company else 0.5, "party:buyer-window", evidence)
    return None


def _person_shaped(text: str) -> bool:
    """Two or three capitalised words and nothing else ("Matthias Voigtländer")."""
    tokens = text.split()
    return 2 <= len(tokens) <= 3 and all(t[:1].isupper() and t[1:].islower() and t.isalpha() for t in tokens)


def _is_salutation(text: str) -> bool:
    return bool(set(words(text)) & _SALUTATIONS) and len(words(text)) <= 3
