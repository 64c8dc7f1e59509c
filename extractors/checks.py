"""The done rule: the checks a careful clerk makes before a document needs no one to look.

A document ends ``done`` only when none of its review flags blocks (``blocking_flags``):

- it has at least one field (``no_fields``);
- every essential field of the schema is present (``missing``), with a calibrated
  confidence that clears the engine's done rule (``low_confidence``); a field of unknown
  confidence clears only where a second witness (the page's own text or OCR) agrees with it
  (``unknown_confidence``); a schema without essential fields asks this of every field;
- no value contradicts the page (``ungrounded``, ``disagreement``) or another page
  (``conflict``, from the merge);
- the amounts add up (``inconsistent``): subtotal + tax = total, the total is not smaller
  than the tax, the line items sum to the subtotal (net lines) or the total (gross lines, a
  cent a line for tax rounded per line), or, with no subtotal, to the total with or without
  the tax, within cash rounding (items that do not add up to a total that two other printed
  amounts confirm, cash - change, a rounding line or net + tax, are a misread table: a note,
  ``uncertain``, not a block); and no field carries the flag ``inconsistent`` from its
  engine (the local engine's total that equals the page's net while tax is printed, whatever
  the other fields were read as);
- no date's day/month order is a guess (``ambiguous_date``: "04/05/2023" on a page where
  no other date, month name or currency tells which comes first);
- the document's own dates are plausible (``implausible_date``): not before 1990, not more
  than a year after today, not more than a year apart from each other, and no due date
  before the issue date;
- the values pass the schema's validation (``invalid``).

A non-essential field below the field threshold gets a visible note (``uncertain``) that
does not block: a person reading the result sees it, but an optional field the document may
not even carry does not send every document to review.

Flags read ``code: subject detail`` with the field name first, so stored flags point at the
field they are about.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError

from models.calibration import (
    WITNESS_AGREES,
    DoneRule,
    combine_probabilities,
    evidence_word,
    load_calibration,
)
from models.extraction import DocumentExtraction, ExtractedField
from models.schemas import ExtractionSchema, FieldKind

# Amount comparisons tolerate rounding to the cent; line items against a total also tolerate
# cash rounding (totals rounded to 5 cents where small coins are gone).
CENT = Decimal("0.01")
CASH_ROUNDING = Decimal("0.05")
# Document dates before this are a misread year, not an old document.
EARLIEST_DATE = dt.date(1990, 1, 1)
# How far a document's dates may lie after today, and apart from each other.
DATE_SPREAD = dt.timedelta(days=366)

# Field flags that say a value contradicts the page (set by the llama engine's grounding
# and second-witness checks); ``WITNESS_AGREES`` says a second witness states it.
UNGROUNDED = "ungrounded"
DISAGREEMENT = "disagreement"
# Field flag of a value its own page's amounts contradict (the local engine's totals).
INCONSISTENT = "inconsistent"
# Field flag of a numeric date whose day/month order nothing on its page proves (the local
# engine's dates: "04/05/2023" with no other date, month name or currency to tell).
AMBIGUOUS_DATE = "ambiguous_date"
WITNESS_DISAGREES = "witness:disagrees"

# Review-flag codes that leave ``done`` possible: visible notes, not reasons.
NOTE_CODES = frozenset({"uncertain"})

# A date field is one of the document's own dates (issue, due, order, ...) when every word of
# its name is one of these: "invoice_date", "due_date", "date" are; "date_of_birth" is not.
_DOCUMENT_DATE_WORDS = frozenset(
    {"date", "invoice", "issue", "issued", "due", "receipt", "order", "delivery", "payment"}
    | {"transaction", "purchase", "billing", "bill", "sale", "sales", "ship", "shipping", "tax"}
)


def _disagreement(name: str, found: ExtractedField) -> str:
    """The review flag of a value the page contradicts, with what the second witness read
    where it says ('disagreement: total_amount (model 120.00, page text 102.00)', from the
    llama engine's evidence ``witness:disagrees: ...``)."""
    prefix = f"{WITNESS_DISAGREES}: "
    said = next((e.removeprefix(prefix) for e in found.evidence if e.startswith(prefix)), None)
    if said:
        return f"disagreement: {name} ({said})"
    return f"disagreement: {name} {found.value!r} is not what the page's text says"


def _field_inconsistent(name: str, found: ExtractedField) -> str:
    """The review flag of a value its engine found contradicted by the page's amounts, with
    the failed check its evidence names ('check failed: total 18238.67 is the net: ...')."""
    prefix = "check failed: "
    said = [e.removeprefix(prefix) for e in found.evidence if e.startswith(prefix)]
    return f"inconsistent: {name} {said[-1] if said else 'contradicts the amounts of its page'}"


def blocking_flags(flags: list[str]) -> list[str]:
    """The review flags that keep a document from ``done`` (notes left out)."""
    return [f for f in flags if f.split(":", 1)[0].strip() not in NOTE_CODES]


def has_witness(found: ExtractedField) -> bool:
    """True when a second witness confirmed the value (flag or evidence ``witness:agrees``)."""
    return WITNESS_AGREES in found.flags or any(evidence_word(e) == WITNESS_AGREES for e in found.evidence)


# --- consistency of amounts -------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One consistency check over some fields (the first is its subject): passed or not."""

    name: str
    fields: tuple[str, ...]
    passed: bool
    detail: str = ""  # what disagrees, for the review flag

    @property
    def evidence(self) -> str:
        """The evidence entry a passed check leaves on its fields ('check:totals_agree')."""
        return f"check:{self.name}_agree"

    @property
    def flag(self) -> str:
        """The review flag of a failed check."""
        return f"inconsistent: {self.fields[0]} {self.detail}"


def _money(extraction: DocumentExtraction, name: str) -> Decimal | None:
    found = extraction.fields.get(name)
    if found is None or found.value is None or isinstance(found.value, bool):
        return None
    try:
        return Decimal(str(found.value))
    except InvalidOperation:
        return None


def _line_amounts(
    extraction: DocumentExtraction, schema: ExtractionSchema
) -> tuple[str, list[Decimal]] | None:
    """The first table's name and its rows' amounts, when every row has one."""
    table = next((s for s in schema.fields if s.kind is FieldKind.TABLE), None)
    rows = extraction.tables.get(table.name, []) if table is not None else []
    if table is None or not rows:
        return None
    amounts = []
    for row in rows:
        cell = row.get("amount")
        if cell is None or cell.value is None or isinstance(cell.value, bool):
            return None
        try:
            amounts.append(Decimal(str(cell.value)))
        except InvalidOperation:
            return None
    return table.name, amounts


def amount_checks(extraction: DocumentExtraction, schema: ExtractionSchema) -> list[Check]:
    """Every amount check the document's values allow (a check without its values is skipped)."""
    subtotal = _money(extraction, "subtotal")
    tax = _money(extraction, "tax_amount")
    total = _money(extraction, "total_amount")
    checks: list[Check] = []
    if subtotal is not None and tax is not None and total is not None:
        checks.append(
            Check(
                "totals",
                ("total_amount", "subtotal", "tax_amount"),
                abs(subtotal + tax - total) <= CENT,
                f"{total} != subtotal {subtotal} + tax_amount {tax}",
            )
        )
    if tax is not None and total is not None:
        checks.append(
            Check(
                "tax",
                ("total_amount", "tax_amount"),
                total >= tax,
                f"{total} is smaller than tax_amount {tax}",
            )
        )
    lines = _line_amounts(extraction, schema)
    if lines is not None:
        table, amounts = lines
        lines_sum = sum(amounts, Decimal("0"))
        if subtotal is not None:
            # Lines printed net add up to the subtotal; lines printed gross (tax included, as
            # many European invoices print them) add up to the total, give or take the tax
            # rounded per line: a cent a line.
            net = abs(lines_sum - subtotal) <= CENT
            gross = total is not None and abs(lines_sum - total) <= CENT * max(1, len(amounts))
            checks.append(
                Check(
                    "lines", (table, "subtotal"), net or gross, f"sum to {lines_sum}, subtotal is {subtotal}"
                )
            )
        elif total is not None:
            # Without a subtotal the items add up to the total, tax included or not.
            gaps = [abs(lines_sum - total)] + ([abs(lines_sum + tax - total)] if tax is not None else [])
            agrees = min(gaps) <= CASH_ROUNDING
            checks.append(
                Check(
                    "lines", (table, "total_amount"), agrees, f"sum to {lines_sum}, total_amount is {total}"
                )
            )
    return checks


def _amount_flag(check: Check, extraction: DocumentExtraction) -> str:
    """The flag of a failed amount check: ``inconsistent``, except line items that do not add
    up to a total two other printed amounts confirm (cash - change, a rounding line, net +
    tax): the items table was misread, not the total, so the disagreement is a note."""
    total = extraction.fields.get("total_amount")
    if check.name != "lines" or total is None:
        return check.flag
    confirmed = [
        e.removeprefix(_PASSED)
        for e in total.evidence
        if e.startswith(_PASSED) and not e.removeprefix(_PASSED).startswith("items")
    ]
    if not confirmed:
        return check.flag
    return f"uncertain: {check.fields[0]} {check.detail} (the total is confirmed: {confirmed[0]})"


_PASSED = "check passed: "


# --- dates ----------------------------------------------------------------------------


def _is_document_date(name: str) -> bool:
    words = [w for w in re.split(r"[_\W\d]+", name.casefold()) if w]
    return bool(words) and all(w in _DOCUMENT_DATE_WORDS for w in words)


def _document_dates(extraction: DocumentExtraction, schema: ExtractionSchema) -> dict[str, dt.date]:
    kinds = {s.name: s.kind for s in schema.fields}
    dates: dict[str, dt.date] = {}
    for name, found in extraction.fields.items():
        if not isinstance(found.value, str) or not _is_document_date(name):
            continue
        if kinds.get(name, FieldKind.DATE) is not FieldKind.DATE:
            continue
        try:
            dates[name] = dt.date.fromisoformat(found.value[:10])
        except ValueError:
            continue  # not a date: schema validation says so
    return dates


def date_flags(extraction: DocumentExtraction, schema: ExtractionSchema, *, today: dt.date) -> list[str]:
    """``implausible_date`` flags for the document's own dates (see the module docstring)."""
    dates = _document_dates(extraction, schema)
    flags = []
    for name, date in dates.items():
        if date < EARLIEST_DATE:
            flags.append(f"implausible_date: {name} {date} is before {EARLIEST_DATE.year}")
        elif date > today + DATE_SPREAD:
            flags.append(f"implausible_date: {name} {date} is more than a year after today ({today})")
    due = {n: d for n, d in dates.items() if "due" in n.casefold()}
    issued = {n: d for n, d in dates.items() if n not in due}
    for due_name, due_date in due.items():
        for issue_name, issue_date in issued.items():
            if due_date < issue_date:
                flags.append(f"implausible_date: {due_name} {due_date} is before {issue_name} {issue_date}")
    ordered = sorted(dates.items(), key=lambda item: item[1])
    if len(ordered) > 1 and ordered[-1][1] - ordered[0][1] > DATE_SPREAD:
        (first, early), (last, late) = ordered[0], ordered[-1]
        flags.append(f"implausible_date: {first} {early} is more than a year before {last} {late}")
    return flags


# --- confidence -----------------------------------------------------------------------


def confidence_flags(extraction: DocumentExtraction, schema: ExtractionSchema, rule: DoneRule) -> list[str]:
    """``missing``, ``low_confidence`` and ``unknown_confidence`` reasons, ``uncertain`` notes."""
    flags: list[str] = []
    essential = list(schema.essential)
    for name in essential:
        if extraction.fields.get(name) is None:
            flags.append(f"missing: {name}")
    present = [n for n in essential if n in extraction.fields]
    # A schema without essential fields: every present field must clear the field bar.
    judged = present if essential else list(extraction.fields)
    probabilities: dict[str, float] = {}
    for name in judged:
        found = extraction.fields[name]
        if found.confidence is None:
            if not has_witness(found):
                flags.append(f"unknown_confidence: {name} (no calibrated confidence and no second witness)")
            continue
        probabilities[name] = found.confidence
    if essential and rule.combine == "product" and probabilities:
        together = combine_probabilities(list(probabilities.values()), "product")
        if together < rule.threshold:
            weakest = min(probabilities, key=lambda n: probabilities[n])
            flags.append(
                f"low_confidence: {weakest} ({probabilities[weakest]:.2f}; essential fields together "
                f"{_below(together, rule.threshold)})"
            )
    else:
        bar = rule.threshold if essential else rule.field_threshold
        for name, p in probabilities.items():
            if p < bar:
                flags.append(f"low_confidence: {name} ({_below(p, bar)})")
    for name, found in extraction.fields.items():
        if name in judged:
            continue
        if found.confidence is None and not has_witness(found):
            flags.append(f"uncertain: {name} (unknown confidence)")
        elif found.confidence is not None and found.confidence < rule.field_threshold:
            flags.append(f"uncertain: {name} ({_below(found.confidence, rule.field_threshold)})")
    return flags


def _below(value: float, bar: float) -> str:
    """``"value < bar"``: the bar as set (up to four decimals, so 0.9984 is not shown as
    1.00), the value with two decimals or as many more (up to six) as it takes to read
    under the bar: never "1.00 < 1.00"."""
    limit = f"{bar:.4f}".rstrip("0")
    limit = limit + "0" * max(0, 2 - len(limit.partition(".")[2]))
    for places in range(2, 6):
        shown = f"{value:.{places}f}"
        if float(shown) < float(limit):
            return f"{shown} < {limit}"
    return f"{value:.6f} < {limit}"


# --- the rule -------------------------------------------------------------------------


def review_flags(
    extraction: DocumentExtraction,
    schema: ExtractionSchema,
    rule: DoneRule | None = None,
    *,
    today: dt.date | None = None,
) -> list[str]:
    """Reasons a person should review this extraction, and notes (see ``blocking_flags``).

    ``rule`` is the engine's done rule for the schema (default: from the engine's packaged
    calibration);
    ``today`` the processing date the dates are judged against (default: today).
    """
    if rule is None:
        rule = load_calibration(extraction.engine).rule_for(schema.name)
    today = today or dt.date.today()
    flags: list[str] = []
    if not extraction.fields:
        flags.append("no_fields: no field was found")
    flags.extend(confidence_flags(extraction, schema, rule))
    for name, found in extraction.fields.items():
        if UNGROUNDED in found.flags:
            flags.append(f"ungrounded: {name} does not appear in the page text")
        if DISAGREEMENT in found.flags:
            flags.append(_disagreement(name, found))
        if INCONSISTENT in found.flags:
            flags.append(_field_inconsistent(name, found))
        if AMBIGUOUS_DATE in found.flags:
            flags.append(f"ambiguous_date: {name} {found.value} (nothing on its page says which is the day)")
    flags.extend(_amount_flag(c, extraction) for c in amount_checks(extraction, schema) if not c.passed)
    flags.extend(date_flags(extraction, schema, today=today))
    if not schema.free_form:
        try:
            schema.validate_values(extraction.values())
        except ValidationError as exc:
            for err in exc.errors()[:5]:
                where = ".".join(str(p) for p in err["loc"])
                flags.append(f"invalid: {where}: {err['msg']}")
    return flags


def with_review_flags(
    extraction: DocumentExtraction,
    schema: ExtractionSchema,
    rule: DoneRule | None = None,
    *,
    today: dt.date | None = None,
) -> DocumentExtraction:
    """The extraction with its review flags appended (the merge's flags kept)."""
    flags = [*extraction.review_flags, *review_flags(extraction, schema, rule, today=today)]
    return extraction.model_copy(update={"review_flags": flags})
