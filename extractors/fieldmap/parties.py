"""Who issued the document: the seller's name (its address: ``seller_address``; the buyer:
``buyer``; what a line near a name is: ``party_lines``).

The seller is the organisation-like text near the top of page 1, chosen by score among the
cells of the first rows (and, for invoices, the footer and the sender line above an address
window). What counts for a candidate: a legal form at its end ("Sdn Bhd", "GmbH", "B.V.",
"S.r.l.", also OCR-glued: "LogistiekV.O.F."), a business word ("Restaurant", "Hardware"),
being among the first rows, text taller than the page's usual, capitals, a clear OCR reading;
being the first organisation the page names (a letterhead comes before the recipient's
address), its name printed again, in the web or e-mail domain or in a logo heading. What
counts against it: standing on a line with the document's details (a label and its value:
where the recipient's address block sits). What rules it out: a document title ("TAX
INVOICE", "Kopie factuur", "Votre facture"), a label or a labelled value ("Cashier: ...",
"Table 5"), a line of parts joined by middle dots or bullets (read part by part), an
address line (street words, postcodes, a country; a US town line "Denver, CO 80202" whose
state code reads as "Co"), a phone, registration or
tax-id line, a date, an amount, and the buyer's block (the lines under "Bill to" /
"Rechnungsempfänger" / "Facturé à"). A registration number printed after the name
("(867388-U)") is dropped from it, and a bracketed one ends it. Neighbouring cells of a row
are also read as one name (OCR cuts names into pieces), but never a "Label:" cell with its
value; cells far apart are columns. A name
printed on two lines is joined when the second line is only a legal form with a branch
("(SEMENYIH) SDN BHD", "CO. (M) SDN BHD") or the first line is a trading name ending in a
business word above the company line. OCR-glued names and addresses are re-spaced (see
``spacing``), recorded in the evidence.

Methods (``ExtractedField.method``) and their raw quality before OCR confidence:

| method | what found it | quality |
|---|---|---|
| ``party:label`` | value of a seller label ("From:", "Verkäufer:") | 0.92 |
| ``party:legal-form-top`` | a legal form among the first three candidate rows | 0.90 |
| ``party:legal-form`` | a legal form further down the top zone | 0.80 |
| ``party:footer`` | a legal-form name in the footer | 0.75 |
| ``party:sender-line`` | a legal-form name opening a one-line sender address | 0.80 |
| ``party:top-line`` | the best first line without a legal form | 0.50 - 0.75 |

A footer line written as sentences offers its first sentence as a name ("Bluefell Logistics
plc. Registered in England ..."). A seller label's value that is itself a label (the rest of a
compound label "Cedente/prestatore (fornitore)", the buyer's label in the next column, a
"Label:" cell) is passed over. A long bracketed legal form that OCR misread by a letter or
two ("UG(haftungsbeschrank") is completed (x0.9).

A close runner-up (score within 1.0) multiplies the seller's quality by 0.85; a taller heading
above the name that the name does not contain, or a brand word alone on the first row
(another brand's logo), by 0.8.

Repairs of what OCR misread, each recorded in the evidence: "Ltd" read as "Lid" (x0.9); a
legal form glued to the address after it ("ChabrierTelecomEURL141avenue...", "GmbH&
Co.KG-Kirchgasse 149") cut there (``party_lines.split_line``); one name read twice, the chosen
reading the weaker by 0.05 or more, gives way to the clearer one; a word of the name that the
brand heading prints with a letter or two more inside it ("Falkenied" under "Falkenried") is
spelled as the heading prints it (x0.9); a word one I/L swap from a business word
("CONFECTLONERY") and a two-word legal form short of its last letter ("SDN BH") are put
right (``party_lines.repair_name_letters``, x0.9). A legal-form name after a seller label is a name even
when one of its words is also an address word ("GmbH & Co. KG": "Kg", Kampung).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from extractors.fieldmap.buyer import buyer_cells, is_buyer_label
from extractors.fieldmap.findings import Finding
from extractors.fieldmap.labels import LabelHit, is_title_text
from extractors.fieldmap.layout import Cell, Row
from extractors.fieldmap.lexicon import BUYER_LABELS, SELLER_LABELS, words
from extractors.fieldmap.party_lines import (
    FOOTER_Y,
    TIME_OF_DAY,
    business_word,
    clean_name,
    is_address_line,
    is_contact_line,
    is_label_text,
    is_registration_line,
    legal_form,
    letters,
    repair_legal,
    segments,
    strip_registration,
    top_zone,
)
from extractors.fieldmap.seller_evidence import (
    SellerCandidate,
    clearer_twin,
    credit_first_named,
    credit_named_by_domain,
    credit_named_by_heading,
    credit_repeated_names,
    discount_beside_details,
    heading_cells,
    off_centre,
    respelled_by_heading,
    rival_heading,
    spelled_out,
)
from extractors.fieldmap.values import find_amounts, find_dates

# Widest gap (page widths) between two cells of one name that OCR cut into pieces.
_CELL_GAP = 0.1
# A middle dot or bullet separates the parts of a line and never stands inside a name: such a
# line is read part by part (``_sender_segments``), never whole.
_PART_MARK = re.compile(r"[·•]")
# A state code and ZIP code closing a US town line ("Denver, CO 80202"): an address, whatever
# legal form the state code reads as ("Co").
_STATE_ZIP = re.compile(r",\s*[A-Z]{2}\s*\d{5}(?:-\d{4})?\b")


def _score_cell(
    text: str, cell: Cell, rank: int, unit: float, tallest: float
) -> tuple[float, str | None, list[str]] | None:
    """Score of ``text`` (from ``cell``, on the ``rank``-th candidate row) as the seller's
    name, its legal form and the reasons; None when it cannot be a name at all."""
    name = strip_registration(repair_legal(text)[0])
    if (
        letters(name) < 3
        or is_title_text(name)
        or is_title_text(text)
        or _PART_MARK.search(name)
        or _STATE_ZIP.search(text)
    ):
        return None
    if find_dates(text) and letters(name) < 8:
        return None
    legal = legal_form(name)
    reasons: list[str] = []
    score = 0.0
    if legal:
        score += 4.0
        reasons.append(f"legal form '{legal}'")
    business = business_word(name)
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
    alpha = [ch for ch in name if ch.isalpha()]
    if sum(ch.isupper() for ch in alpha) >= 0.8 * len(alpha):
        score += 0.3
    score -= _weak_reading(cell, reasons)
    if letters(name) < 0.5 * len(name.replace(" ", "")):
        score -= 2.0
    negatives = [
        ("a label", is_label_text(text)),
        ("an address line", is_address_line(name)),
        ("a phone or web line", is_contact_line(text)),
        ("a registration line", is_registration_line(text) and not legal),
        ("an amount", bool(find_amounts(name)) and letters(name) < 6),
        ("a time", bool(TIME_OF_DAY.search(text))),
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
    labelled = _from_seller_label(rows, label_hits, taken)
    if labelled is not None:
        return labelled
    blocked = buyer_cells(rows, unit)
    zone = top_zone(rows)
    tallest = max((c.height for r in zone for c in rows[r].cells), default=unit)
    candidates: list[SellerCandidate] = []
    rank = 0
    for r in zone:
        row = rows[r]
        seen = False
        free: list[tuple[int, Cell]] = []
        for c, cell in enumerate(row.cells):
            if id(cell) in blocked or ((r, c) in taken and not _name_despite_label(cell.text)):
                continue
            free.append((c, cell))
            scored = _score_cell(cell.text, cell, rank, unit, tallest)
            if scored is not None:
                seen = True
                score, legal, reasons = scored
                method = "party:legal-form-top" if legal and rank < 3 else "party:legal-form"
                candidates.append(SellerCandidate(cell.text, (cell,), (r,), score, method, legal, reasons))
            elif len(segments(cell)) > 1:
                candidates.extend(_sender_segments(cell, r, unit))
        for run in _neighbour_runs(free):  # a name OCR cut into cells ("POPULAR BOOK | CO. | (M)")
            joined = _row_candidate(run, r, rank, unit, tallest)
            if joined is not None:
                candidates.append(joined)
        rank += 1 if seen or any(letters(c.text) >= 3 for c in row.cells) else 0
    candidates.extend(_footer_candidates(rows, unit, taken))
    candidates.extend(_joined(rows, candidates, unit))
    if not candidates:
        return None
    credit_first_named(candidates)
    discount_beside_details(rows, candidates, taken)
    credit_repeated_names(rows, candidates)
    credit_named_by_heading(rows, zone, candidates, unit)
    credit_named_by_domain(rows, candidates)
    candidates.sort(key=lambda k: -k.score)
    best = clearer_twin(spelled_out(candidates[0], candidates), candidates)
    runner_up = next((k for k in candidates[1:] if not set(k.rows) & set(best.rows)), None)
    finding = _finding(best, runner_up, rival_heading(rows, zone, best), off_centre(rows, best))
    return _respelled(finding, heading_cells(rows, zone, unit))


def _respelled(finding: Finding, headings: list[Cell]) -> Finding:
    """The finding with a word the brand heading spells a letter or two differently respelled
    (``respelled_by_heading``); quality x0.9, a repair rather than a reading."""
    name, note = respelled_by_heading(finding.text, headings, finding.cells)
    if note is None:
        return finding
    return Finding(
        name, finding.cells, round(finding.quality * 0.9, 4), finding.method, (*finding.evidence, note)
    )


def _neighbour_runs(cells: list[tuple[int, Cell]]) -> list[list[Cell]]:
    """Runs of two or more cells next to each other on a row (no other cell between them, a
    gap of at most ``_CELL_GAP``): a name OCR may have cut into pieces. Cells farther apart
    are columns ("Pinecrag" ... "78 Grand Canal Quay", a logo and the title beside it); a
    cell ending with a colon is a label, and the name after it its value ("Denominazione:")."""
    runs: list[list[Cell]] = []
    previous: tuple[int, Cell] | None = None
    for c, cell in cells:
        if (
            previous is not None
            and c == previous[0] + 1
            and cell.x0 - previous[1].x1 <= _CELL_GAP
            and not previous[1].text.rstrip().endswith((":", "："))  # a label and its value
        ):
            runs[-1].append(cell)
        else:
            runs.append([cell])
        previous = (c, cell)
    return [run for run in runs if len(run) > 1]


def _row_candidate(run: list[Cell], r: int, rank: int, unit: float, tallest: float) -> SellerCandidate | None:
    """The cells of ``run`` read as one name, scored as a whole (a legal form cut off into a
    cell of its own counts) or as its best piece, +0.3 for being whole; None when the joined
    text is no name."""
    text = " ".join(c.text for c in run)
    box = Cell(
        text,
        min(c.x0 for c in run),
        min(c.y0 for c in run),
        max(c.x1 for c in run),
        max(c.y1 for c in run),
        sum(c.confidence for c in run) / len(run),
    )
    scored = _score_cell(text, box, rank, unit, tallest)
    if scored is None:
        return None
    score, legal, reasons = scored
    pieces = [p[0] for c in run if (p := _score_cell(c.text, c, rank, unit, tallest)) is not None]
    score = max([score, *pieces])  # at least as likely as its likeliest piece
    method = ("party:legal-form-top" if rank < 3 else "party:legal-form") if legal else "party:top-line"
    reasons = [*reasons, "the cells of its row joined"]
    return SellerCandidate(text, tuple(run), (r,), score + 0.3, method, legal, reasons)


def _name_despite_label(text: str) -> bool:
    """A company name that merely starts with a label word ("Data Systems GmbH")."""
    return legal_form(text) is not None and ":" not in text


def _from_seller_label(
    rows: Sequence[Row], hits: Sequence[LabelHit], taken: set[tuple[int, int]]
) -> Finding | None:
    """The value of a seller label ("Sold by", "Verkäufer"): in its cell, right of it or under
    it; never a cell that is itself a label ("Sold by | Invoice date")."""
    for hit in sorted(hits, key=lambda h: (-h.specificity, h.row)):
        row = rows[hit.row]
        label = row.cells[hit.cell]
        options: list[tuple[str, tuple[Cell, ...], float]] = []
        rest = label.text[hit.end :].strip(" :：-")
        if rest:
            options.append((rest, (label,), 1.0))
        if hit.cell + 1 < len(row.cells) and (hit.row, hit.cell + 1) not in taken:
            options.append((row.cells[hit.cell + 1].text, (label, row.cells[hit.cell + 1]), 0.98))
        if hit.row + 1 < len(rows):
            under = next(
                (
                    x
                    for c, x in enumerate(rows[hit.row + 1].cells)
                    if x.overlaps_x(label, slack=0.02) > 0 and (hit.row + 1, c) not in taken
                ),
                None,
            )
            if under is not None:
                options.append((under.text, (label, under), 0.95))
        for text, cells, position in options:
            name, notes = clean_name(text)
            if (
                letters(name) < 3
                or (is_address_line(name) and legal_form(name) is None)  # "GmbH & Co. KG": no Kampung
                or is_registration_line(text)
                or is_label_text(text)
                or _party_label(text)
            ):
                continue
            evidence = (f"after the label {label.text[: hit.end].strip()!r}", *notes)
            return Finding(name, cells, round(0.92 * position, 4), "party:label", evidence)
    return None


_PARTY_WORDS = frozenset(words(label) for label in (*SELLER_LABELS, *BUYER_LABELS))


def _party_label(text: str) -> bool:
    """Whether a seller label's value is a label instead of a name: the rest of a compound
    label ("Cedente/prestatore (fornitore)"), a label glossed in brackets, the buyer's label
    in the next column ("Cessionario/committente (cliente)"), a label with a colon under it."""
    glosses = re.findall(r"[\(（]([^)）]*)[\)）]", text)
    return (
        text.startswith("/")
        or text.rstrip().endswith((":", "："))  # a label of its own, its value beside it
        or is_buyer_label(text)
        or any(tuple(words(g)) in _PARTY_WORDS for g in glosses)
    )


def _sender_segments(cell: Cell, r: int, unit: float) -> list[SellerCandidate]:
    """A one-line sender address or footer: the part with a legal form is the name."""
    parts = segments(cell)
    out = []
    for index, part in enumerate(parts):
        legal = legal_form(strip_registration(part))
        if legal and letters(part) >= 3 and not is_title_text(part):
            rest = [p for p in parts[index + 1 :] if p.strip()]
            if any(is_address_line(p) for p in rest) or len(rest) >= 2:
                score = 4.0 + 2.5  # as sure as a letterhead: whoever writes the letter
                reasons = [f"legal form '{legal}'", "opens a one-line sender address"]
                score -= _weak_reading(cell, reasons)
                out.append(SellerCandidate(part, (cell,), (r,), score, "party:sender-line", legal, reasons))
    return out


def _weak_reading(cell: Cell, reasons: list[str]) -> float:
    """What a weak OCR reading of ``cell`` takes off a candidate's score (a line read at under
    0.8 is likely garbled), with the reason; letterhead, sender-line and footer candidates alike."""
    if cell.confidence >= 0.8:
        return 0.0
    reasons.append(f"weak OCR reading ({cell.confidence:.2f})")
    return 1.5 + 3.0 * (0.8 - cell.confidence)


def _footer_candidates(
    rows: Sequence[Row], unit: float, taken: set[tuple[int, int]]
) -> list[SellerCandidate]:
    """Legal-form names in the footer's lines and their parts. One with a street word
    ("Brouwersgracht Energie N.V.": companies take the names of places) counts less."""
    out = []
    for r, row in enumerate(rows):
        if row.y0 < FOOTER_Y or r < len(rows) // 2:
            continue
        for c, cell in enumerate(row.cells):
            if (r, c) in taken:
                continue
            for part in _footer_parts(cell):
                legal = legal_form(strip_registration(part))
                if legal and letters(part) >= 3 and not is_title_text(part):
                    reasons = [f"legal form '{legal}'", "company line in the footer"]
                    score = 4.5
                    if is_address_line(part):
                        score -= 2.0
                        reasons.append("looks like an address line")
                    score -= _weak_reading(cell, reasons)
                    out.append(SellerCandidate(part, (cell,), (r,), score, "party:footer", legal, reasons))
    return out


# The end of a sentence in a footer line ("Bluefell Logistics plc. Registered in England ..."),
# also with the space OCR lost after a word's full stop ("Systems plc.Registered in ...").
_SENTENCE_END = re.compile(r"(?<=\.)\s+(?=[A-Z])|(?<=[^\W\d_]{2}\.)(?=[A-Z][a-z])")


def _footer_parts(cell: Cell) -> list[str]:
    """The parts of a footer line a name may be (``segments``), and the first sentence of a
    part written as sentences: a company's legal line opens with its name."""
    parts = segments(cell)
    firsts = [_SENTENCE_END.split(p)[0] for p in parts if _SENTENCE_END.search(p)]
    return [*parts, *(x for x in dict.fromkeys(firsts) if x not in parts)]


def _joined(rows: Sequence[Row], candidates: list[SellerCandidate], unit: float) -> list[SellerCandidate]:
    """Names printed on two lines: a legal-form line under a trading name or a branch-only
    legal-form line ("(SEMENYIH) SDN BHD") under the name it completes."""
    by_row: dict[int, SellerCandidate] = {}
    for k in candidates:  # per row its single name, or the run of cells OCR cut it into
        if len(k.rows) == 1 and len(k.cells) >= len(by_row.get(k.rows[0], k).cells):
            by_row[k.rows[0]] = k
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
        # the letters of its own name outside the legal form ("Tannwald" of "Tannwald UG
        # (haftungsbeschränkt)"; none in "(SEMENYIH) SDN BHD")
        own_letters = sum(len(t) for t in words(own_name) if t not in own.split())
        branch_only = own_letters < 3
        trading_name = (
            business_word(upper.text) is not None and upper.cells[0].height >= 0.95 * lower.cells[0].height
        )
        if not (branch_only or trading_name):
            continue
        reason = (
            "branch and legal form on the next line" if branch_only else "trading name above the company line"
        )
        out.append(
            SellerCandidate(
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


def _finding(
    best: SellerCandidate, runner_up: SellerCandidate | None, rival: Cell | None, shifted: str | None
) -> Finding:
    name, notes = clean_name(best.text)
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
    if any(
        note.startswith(("legal form completed", "legal form misread", "letter misread")) for note in notes
    ):
        quality *= 0.9  # a misread the name was repaired from: surer than a guess, less than a reading
    if runner_up is not None and best.score - runner_up.score < 1.0:
        quality *= 0.85
        evidence.append(f"close runner-up {runner_up.text!r}")
    if rival is not None:
        quality *= 0.8
        evidence.append(f"a heading above names someone else: {rival.text!r}")
    if shifted is not None:
        quality *= 0.8
        evidence.append(shifted)
    return Finding(name, best.cells, round(quality, 4), method, tuple(evidence))
