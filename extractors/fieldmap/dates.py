"""Date fields by score: every date of a page is a candidate; its label and context decide.

A schema's date field plays a role by its name: ``issue`` (``date``, ``invoice_date``,
``purchase_date``, ``issue_date``: the document's own date), ``due`` (``due_date``),
``delivery``, ``order``, ``period`` or ``custom`` (found by its own aliases only).

Each date on the page (``values.find_dates``: numeric with ``/ - .``, month names in seven
languages, ISO, times glued on) gets the label printed before it in its cell ("Date:20/04/
2018"), else in the cell to its left ("Date:  13/06/2018"), else in the cell above it (a
"Date  Time  POS" header over "20/06/18 00:05 ..."). The label's last keyword gives its
role ("Due date", "Fälligkeitsdatum", "Printed Date", "Lieferdatum"), the way money labels
are read (see ``amount_labels``); a field's own aliases count as its role.

A due date is never guessed from an unlabelled date; without a labelled one it is counted
from printed payment terms ("Within 30 days", "Zahlbar innerhalb von 14 Tagen") and the
document's date, unless the terms count from the month's end ("30 gg d.f.f.m.").

For a field, a date labelled with its role scores highest; for the document's own date an
unlabelled one comes next (receipts print the date alone, beside a time or a cashier code),
earlier on the page a little better, and a date labelled for another role (due, delivery,
period, order, print) last; the dates of an item table's date column are no field's, and on
a page after the first only a labelled date counts (the document is dated on its first). A
date printed more than once gains; a date glued inside an
identifier ("SP-nul1-18/06/20-1022050") loses, and so does a year before 1990 (no document
a pipeline reads is that old: it is a misread or a code). Times are no part of a date.

Day and month order is decided once per page (``day_order``): unambiguous numeric dates on
the page vote (a first part over 12 proves day-first, a second over 12 month-first, a dotted
date is day-first), then month-name dates (a "4 March" writer is day-first, a "March 4"
writer month-first), then the currency (USD month-first, anything else day-first). Where
nothing on the page says, the deployment's ``date_order`` setting (``FOLIO_DATE_ORDER``) does
when it is ``dmy`` or ``mdy``; left ``auto``, the date is read day-first and flagged.

Methods (``ExtractedField.method``) and their strength:

| method | what chose it | strength |
|---|---|---|
| ``date:labelled`` | a label of the field's role | 1.0 |
| ``date:only-one`` | unlabelled, but the only date on the page | 0.85 |
| ``date:unlabelled`` | unlabelled, the best of several dates | 0.6 |
| ``date:other-label`` | only dates labelled for another role were found | 0.3 |
| ``date:terms`` | a due date counted from printed payment terms and the document's date | 0.7 |

x 0.9 when the day/month order of the value rested on the currency default alone, and x 0.7
for a date inside an identifier. An ambiguous date whose order nothing on the page proves
(no proving date, month name or currency) carries the flag ``ambiguous_date``: the done rule
sends it to review, however clear its label. The evidence names the label, repetitions and the order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Literal

from extractors.fieldmap.amount_labels import label_words
from extractors.fieldmap.currency import page_currency
from extractors.fieldmap.labels import aliases_for, squash
from extractors.fieldmap.layout import Cell, Row
from extractors.fieldmap.picks import Pick
from extractors.fieldmap.values import DateMatch, detect_currency, find_dates
from models.extraction import ExtractedField
from models.schemas import FieldKind, FieldSpec


class DateRole(StrEnum):
    """What a date on a document is, by its label (or a date field, by its name)."""

    ISSUE = "issue"
    DUE = "due"
    DELIVERY = "delivery"
    ORDER = "order"
    PERIOD = "period"
    PRINT = "print"
    OTHER = "other"  # labelled, but as something else (validity, birth, a time ...)
    NONE = "none"  # no label
    CUSTOM = "custom"  # a field known only by its own aliases


_ROLE_WORDS: dict[DateRole, tuple[str, ...]] = {
    DateRole.ISSUE: (
        "date", "dated", "invoicedate", "dateofissue", "issuedate", "issued", "issuedon", "billdate",
        "receiptdate", "transactiondate", "transdate", "purchasedate", "saledate", "docdate",
        "documentdate", "datum", "rechnungsdatum", "belegdatum", "ausstellungsdatum", "datedefacture",
        "datedefacturation", "datedemission", "datefacture", "factuurdatum", "fecha", "fechadefactura",
        "fechadeemision", "data", "datafattura", "datadellafattura", "dataemissione", "tarikh",
        "taxpoint", "datetaxpoint",
    ),
    DateRole.DUE: (
        "due", "duedate", "paymentdue", "payby", "payableby", "dueon", "duedatum", "fallig", "falligam",
        "falligkeit", "falligkeitsdatum", "falligbis", "zahlbarbis", "zahlungsziel", "echeance",
        "datedecheance", "vervaldatum", "vervaldag", "tebetalenvoor", "uiterlijkbetalen", "vencimiento",
        "fechadevencimiento", "scadenza", "datascadenza", "datadiscadenza", "tarikhakhir", "payableon",
        "zahlbar", "biszum", "directdebit", "collected", "lastschrift", "eingezogen", "addebito",
        "prelevement", "incasso", "afschrijving", "domiciliacion", "cargo",
    ),
    DateRole.DELIVERY: (
        "delivery", "deliverydate", "dateofdelivery", "dateofsupply", "supplydate", "servicedate",
        "shipdate", "shipped", "shippingdate", "lieferdatum", "liefertermin", "leistungsdatum",
        "lieferung", "livraison", "datedelivraison", "leverdatum", "leveringsdatum", "levering",
        "fechadeentrega", "entrega", "dataconsegna", "consegna", "despatch", "dispatch",
    ),
    DateRole.ORDER: (
        "orderdate", "dateoforder", "ordered", "bestelldatum", "auftragsdatum", "datedecommande",
        "besteldatum", "orderdatum", "fechadepedido", "dataordine", "podate",
    ),
    DateRole.PERIOD: (
        "period", "billingperiod", "serviceperiod", "from", "until", "zeitraum", "leistungszeitraum",
        "abrechnungszeitraum", "periode", "periodo", "arrival", "departure", "arrivo", "partenza",
        "anreise", "abreise", "arrivee", "depart", "checkin", "checkout", "aankomst", "vertrek",
        "llegada", "salida", "event", "veranstaltung", "evenement", "evento",
    ),
    DateRole.PRINT: ("printed", "printdate", "printedon", "reprint", "closed"),
    DateRole.OTHER: ("validuntil", "valid", "expiry", "expires", "gultigbis", "time", "since", "born"),
}  # fmt: skip
_FIELD_ROLES = {
    DateRole.DUE: {"due", "deadline", "payable", "expiry"},
    DateRole.DELIVERY: {"delivery", "shipping", "ship", "shipped", "service", "supply"},
    DateRole.ORDER: {"order"},
    DateRole.PRINT: {"print", "printed"},
    DateRole.PERIOD: {"start", "end", "from", "until", "period"},
}
_PLAIN_DATE_WORDS = frozenset({"date", "datum", "data", "fecha", "tarikh"})
_ISSUE_NAME_WORDS = frozenset(
    {"date", "invoice", "issue", "issued", "purchase", "receipt", "transaction", "document", "bill", "sale"}
)
_COLUMN_ROWS = 3  # rows above and below searched for the other dates of a date column
_TIME_AHEAD = re.compile(r"\s?\d{1,2}:\d{2}")
# Documents dated before this year are not what a pipeline is fed: such a "date" is most
# likely a misread or a code (a 2-digit "70" pivots to 1970). It still wins when alone.
PLAUSIBLE_SINCE = 1990


def date_role(spec: FieldSpec) -> DateRole:
    """The role of a date field by its name (see the module docstring)."""
    words = set(spec.name.lower().split("_"))
    for role, names in _FIELD_ROLES.items():
        if words & names:
            return role
    if words <= _ISSUE_NAME_WORDS:
        return DateRole.ISSUE
    return DateRole.CUSTOM


def _word_ends(word: str, squashed: str, spaced: str) -> list[int]:
    """Where ``word`` ends in ``squashed``; a short word only as a word of its own, or last."""
    if len(word) > 3:
        return [m.end() for m in re.finditer(word, squashed)]
    ends = [len(squashed)] if squashed.endswith(word) else []
    offset = 0
    for token in spaced.split(" "):
        offset += len(token)
        if token == word:
            ends.append(offset)
    return ends


@lru_cache(maxsize=4096)  # pure, called for every date of every page
def read_date_label(text: str) -> tuple[DateRole, str]:
    """The role a label gives the date after it, and the keyword that decided.

    The keyword ending last wins (the longer of two ending together); a plain "date" word
    right after another role's word takes that role ("Printed Date", "Ship Date").
    """
    squashed, spaced = label_words(text)
    best: tuple[int, int, DateRole, str] | None = None
    for role, words in _ROLE_WORDS.items():
        for word in words:
            if word not in squashed:  # most words are not in a label: the cheap test first
                continue
            for end in _word_ends(word, squashed, spaced):
                if best is None or (end, len(word)) > (best[0], best[1]):
                    best = (end, len(word), role, word)
    if best is None:
        return DateRole.NONE, ""
    end, size, role, word = best
    if role is DateRole.ISSUE and word in _PLAIN_DATE_WORDS:
        before = squashed[: end - size]
        for other, words in _ROLE_WORDS.items():
            if other is not DateRole.ISSUE and any(len(w) > 3 and before.endswith(w) for w in words):
                return other, word
    return role, word


@dataclass(frozen=True)
class DateCandidate:
    """A date on the page with the label and context that decide its score."""

    match: DateMatch
    row: int
    cell: Cell
    label: str
    label_cell: Cell | None
    placement: float
    inside_identifier: bool
    in_column: bool = False  # one of a column of bare dates: an item table's dates


# Field flag of an ambiguous numeric date (both parts 12 or less) whose day/month order
# nothing on its page proves (``extractors.checks.AMBIGUOUS_DATE`` blocks done on it).
AMBIGUOUS_DATE = "ambiguous_date"
UNPROVEN_ORDER = "day-first: unproven"
# What a deployment says about dates nothing on the page orders (``FOLIO_DATE_ORDER``):
# "auto" leaves them ambiguous; "dmy" / "mdy" reads them that way, unflagged.
DateOrderSetting = Literal["auto", "dmy", "mdy"]
# Malaysian ringgit as receipts print it, before an amount ("RM2.00", "RM 14.00").
_RINGGIT = re.compile(r"(?<![^\W\d_])RM\s{0,4}\d")


def day_order(rows: Sequence[Row], unproven: DateOrderSetting = "auto") -> tuple[bool, str]:
    """Whether the page's ambiguous numeric dates are day-first, and why (module docstring).
    ``unproven`` is the deployment's order for a page that proves none."""
    texts = [row.text for row in rows]
    proofs: dict[bool, set[str]] = {True: set(), False: set()}
    written = {True: 0, False: 0}  # month-name dates with the day first / the month first
    for text in texts:
        for d in find_dates(text):
            snippet = text[d.start : d.end]
            if d.month_name:
                written[snippet[:1].isdigit()] += 1
            elif not d.ambiguous and d.value.day != d.value.month and not re.match(r"\d{4}", snippet):
                proofs[int(re.split(r"[./-]", snippet)[0]) == d.value.day].add(snippet)
    if len(proofs[True]) != len(proofs[False]):
        winner = len(proofs[True]) > len(proofs[False])
        return winner, f"{'day' if winner else 'month'}-first: {sorted(proofs[winner])[0]} on the page"
    if written[True] != written[False]:
        winner = written[True] > written[False]
        return winner, f"{'day' if winner else 'month'}-first: month names written that way on the page"
    currency = detect_currency(texts)
    code = currency.code if currency is not None else None
    if code is None:
        # The currency field's wider reading: codes glued to amounts, the issuer's country.
        found = page_currency(rows)
        code = found.text if found is not None else None
    if code is None and any(_RINGGIT.search(text) for text in texts):
        code = "MYR"
    if code == "USD":
        return False, "month-first: assumed from the currency (USD)"
    if code is None and unproven != "auto":
        # The operator knows its documents: not a proof from the page, but no coin toss either.
        winner = unproven == "dmy"
        return winner, f"{'day' if winner else 'month'}-first: set by the deployment (date_order {unproven})"
    if code is None:
        return True, f"{UNPROVEN_ORDER} (no date, month name, currency or country on the page says)"
    return True, f"day-first: assumed (currency {code})"


def _bare_date(text: str) -> bool:
    """Whether ``text`` starts with a date, nothing but punctuation before it."""
    dates = find_dates(text)
    return bool(dates) and not re.search(r"[A-Za-zÀ-ÿ]", text[: dates[0].start])


def _in_date_column(rows: Sequence[Row], r: int, cell: Cell) -> bool:
    """Whether a bare date sits under or over this cell within three rows: a date column."""
    near = [*rows[max(0, r - _COLUMN_ROWS) : r], *rows[r + 1 : r + 1 + _COLUMN_ROWS]]
    return _bare_date(cell.text) and any(
        x.overlaps_x(cell) > 0 and _bare_date(x.text) for row in near for x in row.cells
    )


def _label_options(
    rows: Sequence[Row], r: int, c: int, match: DateMatch, unit: float
) -> list[tuple[str, Cell, float]]:
    """Where a date's label may be: before it in its cell, the cell to its left, the cell
    above (a stacked header); each as (text, cell, placement)."""
    cell = rows[r].cells[c]
    out = []
    before = cell.text[: match.start]
    if re.search(r"[A-Za-zÀ-ÿ]", before):
        out.append((before, cell, 1.0))
    if c > 0:
        left = rows[r].cells[c - 1]
        if re.search(r"[A-Za-zÀ-ÿ]", left.text) and not find_dates(left.text):
            out.append((left.text, left, 0.97))
    # A header over a column of bare dates (an item table's "Date") labels no field.
    column = _in_date_column(rows, r, cell)
    for above in reversed(rows[max(0, r - 2) : r]):
        if column or cell.y0 - above.y1 > 2.2 * max(unit, cell.height):
            break
        over = [x for x in above.cells if x.overlaps_x(cell) > 0 and not re.search(r"\d", x.text)]
        if over:
            best = max(over, key=lambda x: x.overlaps_x(cell))
            out.append((best.text, best, 0.93))
            break
    after = cell.text[match.end :]  # "wird am 09.01.2025 per Lastschrift eingezogen"
    if read_date_label(after)[0] in (DateRole.DUE, DateRole.DELIVERY, DateRole.PERIOD):
        out.append((after, cell, 1.0))
    return out


def _label_of(
    rows: Sequence[Row], r: int, c: int, match: DateMatch, unit: float, aliases: frozenset[str]
) -> tuple[str, Cell | None, float]:
    """The label of a date: the first place that holds a date word or a field's alias (a
    value to the left, like an invoice number over its own header, is no label), else the
    first text found, else none."""
    options = _label_options(rows, r, c, match, unit)
    for text, cell, placement in options:
        squashed, _ = label_words(text)
        if read_date_label(text)[0] is not DateRole.NONE or any(a in squashed for a in aliases):
            return text, cell, placement
    if options:
        return options[0]
    return "", None, 1.0


def _inside_identifier(text: str, match: DateMatch) -> bool:
    """A date glued between parts of a code ("SP-nul1-18/06/20-1022050") is a code part."""
    before = text[match.start - 1 : match.start]
    after = text[match.end :]
    if _TIME_AHEAD.match(after):
        return False
    glued_before = before.isdigit() or before in ("-", "/", "_")
    glued_after = after[:1].isalnum() or (after[:1] in ("-", "/", "_") and after[1:2].isalnum())
    return glued_before and glued_after


def read_dates(
    rows: Sequence[Row], unit: float, day_first: bool, aliases: frozenset[str] = frozenset()
) -> list[DateCandidate]:
    """Every date on the page with its label (see the module docstring); ``aliases`` are the
    squashed labels of the schema's date fields."""
    out = []
    for r, row in enumerate(rows):
        for c, cell in enumerate(row.cells):
            for match in find_dates(cell.text, day_first=day_first):
                label, label_cell, placement = _label_of(rows, r, c, match, unit, aliases)
                inside = _inside_identifier(cell.text, match)
                column = _in_date_column(rows, r, cell)
                out.append(DateCandidate(match, r, cell, label, label_cell, placement, inside, column))
    return out


def _own_words(spec: FieldSpec) -> tuple[str, ...]:
    return tuple(squash(a) for a in aliases_for(spec) if squash(a))


def _score(spec: FieldSpec, role: DateRole, found: DateCandidate, rows: int) -> tuple[float, str]:
    """(score, kind of match) of one date for one field."""
    label_role, word = read_date_label(found.label) if found.label else (DateRole.NONE, "")
    squashed, _ = label_words(found.label)
    own = max(
        (len(w) for w in _own_words(spec) if squashed.endswith(w) or (len(w) > 4 and w in squashed)),
        default=0,
    )
    if role is not DateRole.CUSTOM and own and label_role in (role, DateRole.NONE, DateRole.OTHER):
        label_role = role
    if label_role is role or (role is DateRole.CUSTOM and own):
        return 1.0 + min(0.05, 0.005 * max(len(word), own)), "labelled"
    if role is not DateRole.ISSUE:
        return 0.0, ""
    if label_role in (DateRole.NONE, DateRole.OTHER):
        return 0.5 + 0.05 * (1 - found.row / max(rows, 1)), "unlabelled"
    return 0.1, "other-label"


def choose_dates(
    rows: Sequence[Row],
    specs: Sequence[FieldSpec],
    *,
    unit: float,
    page_number: int,
    date_order: DateOrderSetting = "auto",
) -> dict[str, ExtractedField]:
    """The schema's date fields read from one page (see the module docstring); ``date_order``
    orders the ambiguous dates of a page that proves no order (``day_order``)."""
    date_specs = [s for s in specs if s.kind is FieldKind.DATE]
    if not date_specs:
        return {}
    day_first, order_reason = day_order(rows, date_order)
    aliases = frozenset(w for spec in date_specs for w in _own_words(spec) if len(w) > 3)
    candidates = read_dates(rows, unit, day_first, aliases)
    distinct = {c.match.value for c in candidates if not c.inside_identifier}
    out: dict[str, ExtractedField] = {}
    issue: DateCandidate | None = None
    # The document's own date first: a due date may be counted from it (payment terms).
    for spec in sorted(date_specs, key=lambda s: date_role(s) is not DateRole.ISSUE):
        role = date_role(spec)
        scored = []
        for found in candidates:
            score, kind = _score(spec, role, found, len(rows))
            if not kind or (page_number > 1 and kind != "labelled"):
                continue  # a later page restates the document's date only with its label
            repeats = sum(
                1
                for o in candidates
                if o is not found
                and o.match.value == found.match.value
                and not o.in_column
                and _score(spec, role, o, len(rows))[1]
                and _score(spec, role, o, len(rows))[1] != "other-label"
            )
            score += min(0.1, 0.05 * repeats)
            score -= 0.3 if found.inside_identifier else 0.0
            score -= 0.1 if found.in_column else 0.0
            score -= 0.02 if found.match.two_digit_year else 0.0
            score -= 0.4 if found.match.value.year < PLAUSIBLE_SINCE else 0.0
            scored.append((score, -found.row, found, kind, repeats))
        best_scored = max(scored, key=lambda s: (s[0], s[1])) if scored else None
        if best_scored is not None and (role is not DateRole.DUE or best_scored[3] == "labelled"):
            _, _, best, kind, repeats = best_scored
            out[spec.name] = _pick(best, kind, repeats, distinct, order_reason).to_field(page_number)
            if role is DateRole.ISSUE:
                issue = best
        elif role is DateRole.DUE:
            due = _due_from_terms(rows, issue)
            if due is not None:
                out[spec.name] = due.to_field(page_number)
    return out


_TERMS = re.compile(
    r"(?:within|in|innerhalb(?:\s+von)?|binnen|entro|dans|a|à|en)?\s*(?P<days>\d{1,3})\s*"
    r"(?:days?|tagen?|dagen|jours|j\.|giorni|gg\.?|d[ií]as)(?!\w)",
    re.IGNORECASE,
)
# Words that make a number of days payment terms, and words of terms counted otherwise
# (from the end of the month: "30 gg d.f.f.m.", "30 days EOM") that a plain sum would get wrong.
_TERMS_WORDS = re.compile(
    r"pay|due|terms|zahl|paiement|règlement|reglement|betal|pago|vencim|pagamento|scadenza|bonifico",
    re.IGNORECASE,
)
_MONTH_END = re.compile(r"f\.?\s?f\.?\s?m|fine mese|end of month|eom|fin de mois|monatsende", re.IGNORECASE)


def _due_from_terms(rows: Sequence[Row], issue: DateCandidate | None) -> Pick | None:
    """A due date counted from payment terms ("Within 30 days", "Zahlbar innerhalb von 14
    Tagen", "à 45 jours") and the document's date, when no due date is printed."""
    if issue is None:
        return None
    for row in rows:
        for cell in row.cells:
            terms = _TERMS.search(cell.text)
            if terms is None or not _TERMS_WORDS.search(cell.text) or _MONTH_END.search(cell.text):
                continue
            days = int(terms["days"])
            if not 0 < days <= 180:
                continue
            due = issue.match.value + dt.timedelta(days=days)
            evidence = [f"terms {terms.group(0).strip()!r} counted from {issue.match.value.isoformat()}"]
            return Pick(due.isoformat(), [cell], 1.0, 0.7, "date:terms", evidence)
    return None


def _pick(best: DateCandidate, kind: str, repeats: int, distinct: set[dt.date], order_reason: str) -> Pick:
    if kind == "unlabelled" and distinct == {best.match.value}:
        kind = "only-one"
    strength = {"labelled": 1.0, "only-one": 0.85, "unlabelled": 0.6, "other-label": 0.3}[kind]
    evidence = [f"label {best.label.strip()!r}"] if best.label.strip() else ["no label"]
    if repeats:
        evidence.append(f"printed {repeats + 1} times on the page")
    flags: list[str] = []
    if best.match.ambiguous:
        evidence.append(f"day/month order {order_reason}")
        if "assumed" in order_reason:
            strength *= 0.9
        if order_reason.startswith(UNPROVEN_ORDER):
            # Nothing on the page says which part is the day: the value is a coin toss
            # however clear its label, so the done rule sends it to a person.
            flags.append(AMBIGUOUS_DATE)
    if best.inside_identifier:
        evidence.append("inside an identifier")
        strength *= 0.7
    if kind == "other-label":
        evidence.append("no date labelled for this field; this one is labelled for something else")
    cells = [best.cell] if best.label_cell is None else [best.label_cell, best.cell]
    value = best.match.value.isoformat()
    return Pick(value, cells, best.placement, strength, f"date:{kind}", evidence, flags)
