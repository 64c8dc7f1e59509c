"""Money fields by score: the total, subtotal and tax of a page, and custom money fields.

A schema's money field plays a role by its name: ``total`` (``total_amount``, ``amount_due``,
``grand_total``), ``subtotal`` (``subtotal``, ``net_amount``), ``tax`` (``tax_amount``,
``vat``) or ``custom`` (anything else, e.g. ``shipping_cost``: found by its own labels).

The total is chosen among every amount whose label says total (``money_lines``), never the
first match. Each candidate scores its label (a word for the amount to pay, "Grand total",
"Gesamtbetrag", "Total TTC", "TOTAL ROUNDED", beats a plain "Total", which beats an
ambiguous "Net total") plus the checks it passes against the rest of the page:

- ``sum``: a subtotal plus the tax lines (plus service charges or shipping) make it;
- ``rounding``: another total plus a rounding adjustment makes it;
- ``cash``: what was tendered minus the change makes it (or equals it, with no change);
- ``items``: the item lines above the totals add up to it;
- ``paid``: it minus a part payment printed under it leaves the balance printed under that
  (and that balance, "Balance due", "Saldo", is then no total);

(see ``total_checks``), and a little for being the last and the largest total of the page.

A whole number on a page whose amounts have cents is a count, not money ("Total: 24
473.30"; a year is never a candidate). Cash, change, rounding, discount, quantity and
tax-summary lines are never the total, except an amount of a whole unit or more on a
"Rounding" line (no adjustment is that large: it is the rounded total under a short label).
A subtotal or payment line is one only when what was paid confirms it (a receipt without a
total label), and an amount whose label says nothing known only when a subtotal and tax
above it add up to it. The subtotal of such a passing sum loses (tax is added to it, so it
is no total). A lost decimal point is repaired (``6413`` -> 64.13) when the page's amounts
have cents, and the repaired value must win on the same checks.

Subtotal and tax come from the same block: when a check ``subtotal + tax = total`` passed,
its subtotal and tax lines are the answers; otherwise the best-labelled line of each (a tax
line whose printed rate times the subtotal gives its amount is confirmed by ``rate``).

Methods (``ExtractedField.method``) and their strength (confidence = OCR x placement x it):

| method | what chose it | strength |
|---|---|---|
| ``total:keyword+sum`` (``+rounding``, ``+paid``, ``+cash``, ``+items``) | label and check | 1.0 |
| ``total:keyword`` | total labels that agree, no check possible | 0.9 (0.85 plain "total") |
| ``total:largest`` | total labels that disagree, none checked: the best by order and size | 0.6 |
| ``total:sum`` | a label the lexicon does not know, after a subtotal and tax that make it | 0.8 |
| ``total:paid`` | no total label: a subtotal or payment line that what was paid confirms | 0.55 |
| ``total:repaired`` | any of the above on a value whose decimal point was restored | x 0.8 |
| ``subtotal:keyword+sum`` / ``+items``, ``subtotal:keyword`` | as for the total | 1.0 / 0.85 |
| ``tax:keyword+sum`` / ``+rate``, ``tax:keyword`` | as for the total | 1.0 / 0.85 |
| ``subtotal:summary``, ``tax:summary`` (``+sum``) | the tax summary's sum row | 0.6 (1.0) |
| ``money:labelled`` | a custom field's own label | 0.9 |

A check that could be made and failed ("subtotal + tax != total") takes 0.75 off the
strength of an unchecked pick and is named in the evidence, as is every check that passed.

A total that is the net (``total_checks.net_total_check``: it equals a subtotal or net line
while tax above zero is printed, and nothing shows the tax included) is replaced by the
amount net + tax when the page prints one (its sum check passed); otherwise it keeps its
value with the field flag ``inconsistent``, which the done rule (``extractors.checks``)
turns into a blocking review flag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

from extractors.fieldmap.amount_labels import MoneyRole, read_label
from extractors.fieldmap.amounts import without_decimal_point
from extractors.fieldmap.labels import aliases_for, squash
from extractors.fieldmap.layout import Row
from extractors.fieldmap.money_lines import MoneyLine, MoneyPage, read_money_page
from extractors.fieldmap.picks import Pick
from extractors.fieldmap.total_checks import (
    CENT,
    TotalOption,
    balance_check,
    cash_check,
    failed_checks,
    items_check,
    money_text,
    net_total_check,
    paid_check,
    rounding_check,
    same,
    sum_check,
)
from models.extraction import ExtractedField
from models.schemas import FieldKind, FieldSpec

_DECIMAL_PAGE = 0.6  # share of amounts with cents above which whole numbers look like counts
_CHECK_BONUS = {"sum": 0.3, "rounding": 0.3, "paid": 0.25, "cash": 0.25, "items": 0.2}
_PAID_EQUALS = 0.15  # what was paid equals it, with no change: weaker than cash - change
_CHECK_ORDER = ("sum", "rounding", "paid", "cash", "items")
# Lines whose label makes them a total candidate on their own (see _total_options).
_TOTAL_LIKE = (MoneyRole.TOTAL, MoneyRole.NET, MoneyRole.ROUNDING)
ROUNDING_AT_MOST = Decimal("1.00")  # no rounding adjustment is a whole unit or more
# The field flag of a total that the page's own amounts contradict (the done rule blocks it:
# ``extractors.checks.INCONSISTENT``).
INCONSISTENT = "inconsistent"
# A printed rate; a lone "O" before the sign is OCR's zero ("GST SR@O%").
_RATE = re.compile(r"(\d{1,2}(?:[.,]\d{1,3})?|(?<![^\W\d_])[Oo](?=\s?%))\s?%")


def money_role(spec: FieldSpec) -> str:
    """The role of a money field by its name: total, subtotal, tax or custom."""
    words = set(spec.name.lower().split("_"))
    if "subtotal" in words or "net" in words or {"sub", "total"} <= words:
        return "subtotal"
    if words & {"tax", "vat", "gst", "mwst", "tva", "iva", "btw", "ust", "sst"}:
        return "tax"
    if words & {"total", "due", "payable", "grand"}:
        return "total"
    return "custom"


def _is_year(line: MoneyLine) -> bool:
    value = line.amount.value
    return not line.amount.has_decimals and 1900 <= value <= 2099


def _total_options(page: MoneyPage) -> list[TotalOption]:
    labelled = page.of(MoneyRole.TOTAL, MoneyRole.NET)
    # A rounding adjustment is cents; a larger amount on a "Rounding" line is the rounded total.
    labelled += [x for x in page.of(MoneyRole.ROUNDING) if abs(x.value) >= ROUNDING_AT_MOST]
    fallback = page.of(MoneyRole.SUBTOTAL, MoneyRole.CASH)
    # An amount with a label the lexicon does not know ("Final amount GBP") after a subtotal
    # and a tax line: the sum check alone may make it the total.
    first_tax = min((x.place for x in page.of(MoneyRole.TAX) if x.value != 0), default=None)
    if first_tax is not None:
        fallback += [
            x
            for x in page.of(MoneyRole.OTHER)
            if x.place > first_tax and x.amount.has_decimals and not x.follows_amount
        ]
    options: list[TotalOption] = []
    for line in [*labelled, *fallback]:
        if line.value <= 0:
            continue
        restored = without_decimal_point(line.amount) if page.decimal_share >= _DECIMAL_PAGE else None
        if restored is not None:
            note = f"repaired {line.amount.value} -> {money_text(restored)} (decimal point lost)"
            options.append(TotalOption(line, restored, repaired=note))
        if not _is_year(line):
            options.append(TotalOption(line, line.value))
    return options


def _score(page: MoneyPage, option: TotalOption, options: Sequence[TotalOption]) -> None:
    line = option.line
    reading = line.reading
    if reading.role is MoneyRole.TOTAL:
        option.score = 0.8 if reading.final else 0.7
    elif reading.role in (MoneyRole.NET, MoneyRole.ROUNDING):
        option.score = 0.55
    else:  # a subtotal or payment line: only with what was paid behind it
        option.score = 0.3
    sum_check(page, option)
    rounding_check(page, option)
    cash_check(page, option)
    items_check(page, option)
    paid_check(page, option)
    option.score += sum(_CHECK_BONUS[name] for name in option.checks)
    if option.checks.get("cash", "").startswith("paid "):
        option.score -= _CHECK_BONUS["cash"] - _PAID_EQUALS
    if reading.role in (MoneyRole.SUBTOTAL, MoneyRole.CASH) and "cash" not in option.checks:
        option.score = -1.0
        return
    if reading.role is MoneyRole.OTHER and "sum" not in option.checks:
        option.score = -1.0
        return
    whole = not line.amount.has_decimals and option.repaired is None
    if whole and page.decimal_share >= _DECIMAL_PAGE:
        option.score -= 0.35  # "Total: 24" items, "Total Qty 5": a count, not money
    if option.repaired is not None:
        option.score -= 0.15
    if option.value == 0:
        option.score -= 0.4
    if balance_check(page, option):
        option.score -= 0.6  # what is left after a part payment, not the total
    totals = [o for o in options if o.line.role in _TOTAL_LIKE]
    if totals and line.row == max(o.line.row for o in totals):
        option.score += 0.08
    if totals and option.value == max(o.value for o in totals):
        option.score += 0.04
    agreeing = {o.line.row for o in totals if o.line.row != line.row and same(o.value, option.value)}
    option.score += min(0.1, 0.05 * len(agreeing))


def _pick_total(page: MoneyPage) -> tuple[Pick, TotalOption] | None:
    options = _total_options(page)
    for option in options:
        _score(page, option, options)
    # The subtotal of a passing sum is no total: tax is added to it ("Net total" + VAT).
    bases = {id(o.parts[0]) for o in options if "sum" in o.checks and o.score > 0}
    for option in options:
        if id(option.line) in bases:
            option.score -= 0.3
    options = [o for o in options if o.score > 0]
    if not options:
        return None
    best = max(options, key=lambda o: (o.score, o.line.row))
    net = net_total_check(page, best)
    if net is not None and net.net_plus_tax is not None:
        best, net = _net_plus_tax(net.net_plus_tax, net.parts), None
    evidence = [f"label {best.line.label!r}"] if best.line.label else []
    if best.repaired:
        evidence.append(best.repaired)
    if best.line.amount.repair:
        evidence.append(best.line.amount.repair)
    evidence += [f"check passed: {text}" for text in best.checks.values()]
    passed = next((name for name in _CHECK_ORDER if name in best.checks), None)
    labelled = best.line.role in _TOTAL_LIKE
    rivals = {o.value for o in options if o.line.role in _TOTAL_LIKE and o.repaired is None}
    if best.line.role is MoneyRole.OTHER:
        method, strength = "total:sum", 0.8
    elif not labelled:
        method, strength = "total:paid", 0.55
    elif passed:
        method, strength = f"total:keyword+{passed}", 1.0
    elif len(rivals) > 1:
        method, strength = "total:largest", 0.6
        evidence.append("other totals on the page: " + ", ".join(money_text(v) for v in sorted(rivals)))
    else:
        method, strength = "total:keyword", 0.9 if best.line.reading.final else 0.85
    failed = failed_checks(page, best) + ([net.detail] if net is not None else [])
    if failed and not passed:
        strength *= 0.75
    evidence += [f"check failed: {text}" for text in failed]
    if best.repaired is not None:
        method, strength = "total:repaired", strength * 0.8
    # The net chosen while tax is printed: a value the done rule must not pass.
    flags = [INCONSISTENT] if net is not None else []
    pick = Pick(float(best.value), best.line.cells, best.line.placement, strength, method, evidence, flags)
    return pick, best


def _net_plus_tax(line: MoneyLine, parts: tuple[MoneyLine, ...]) -> TotalOption:
    """The amount net + tax printed on the page, as the total, its sum check passed."""
    option = TotalOption(line, line.value, parts=parts)
    shown = " + ".join(money_text(p.value) for p in parts)
    option.checks["sum"] = f"subtotal + tax = total ({shown} = {money_text(line.value)})"
    return option


def _last_summary_row(page: MoneyPage, *roles: MoneyRole) -> list[MoneyLine]:
    """Lines of these roles in the last tax-summary row that has one (its sum row: "Σ")."""
    lines = [x for x in page.lines if x.in_summary and x.role in roles and x.amount.has_decimals]
    return [x for x in lines if x.row == lines[-1].row] if lines else []


def _summary_pair_checks(page: MoneyPage, total: TotalOption | None) -> str | None:
    """Do the summary's last subtotal and tax add up to the chosen total?"""
    bases, taxes = (
        _last_summary_row(page, MoneyRole.SUBTOTAL, MoneyRole.NET),
        _last_summary_row(page, MoneyRole.TAX),
    )
    if total is None or not bases or not taxes:
        return None
    if same(bases[0].value + taxes[0].value, total.value):
        shown = f"{money_text(bases[0].value)} + {money_text(taxes[0].value)} = {money_text(total.value)}"
        return f"subtotal + tax = total ({shown}, from the tax summary)"
    return None


def _pick_subtotal(page: MoneyPage, total: TotalOption | None) -> Pick | None:
    if total is not None and "sum" in total.checks:
        base = total.parts[0]
        evidence = [f"label {base.label!r}", f"check passed: {total.checks['sum']}"]
        return Pick(float(base.value), base.cells, base.placement, 1.0, "subtotal:keyword+sum", evidence)
    lines = [
        x
        for x in page.of(MoneyRole.SUBTOTAL, MoneyRole.NET)
        if x.amount.has_decimals and x.value > 0 and x.last_in_group
    ]
    if total is not None:
        lines = [x for x in lines if x.place < total.line.place]
    if not lines:
        summary = _last_summary_row(page, MoneyRole.SUBTOTAL, MoneyRole.NET)
        if not summary:
            return None
        best, passed = summary[0], _summary_pair_checks(page, total)
        evidence = [f"label {best.label!r}", "read from the tax summary"]
        if passed:
            evidence.append(f"check passed: {passed}")
            return Pick(float(best.value), best.cells, best.placement, 1.0, "subtotal:summary+sum", evidence)
        return Pick(float(best.value), best.cells, best.placement, 0.6, "subtotal:summary", evidence)
    best = max(lines, key=lambda x: (x.role is MoneyRole.SUBTOTAL, x.place))
    evidence = [f"label {best.label!r}"]
    if page.items_sum is not None and page.item_count >= 2 and same(page.items_sum, best.value):
        evidence.append(f"check passed: items sum to {money_text(page.items_sum)}")
        return Pick(float(best.value), best.cells, best.placement, 1.0, "subtotal:keyword+items", evidence)
    strength = 0.85 if best.role is MoneyRole.SUBTOTAL else 0.6
    return Pick(float(best.value), best.cells, best.placement, strength, "subtotal:keyword", evidence)


def _rate_base(page: MoneyPage, line: MoneyLine, subtotal: Pick | None) -> tuple[str, Decimal] | None:
    """The printed rate of a tax line and the base it applies to: an amount before it in its
    group ("MwSt. 19 % auf 60,08  11,42"), else the subtotal; None without a printed rate."""
    rate = _RATE.search(line.label)
    if rate is None:
        return None
    group = [x for x in page.lines if x.row == line.row and x.label == line.label and x.place < line.place]
    printed = "0" if rate.group(1) in ("O", "o") else rate.group(1)
    if group:
        return printed, group[-1].value
    if subtotal is not None and isinstance(subtotal.value, float):
        return printed, Decimal(str(subtotal.value))
    return None


def _summary_tax(
    page: MoneyPage, summary: list[MoneyLine], subtotal: Pick | None
) -> tuple[MoneyLine, list[str]]:
    """The tax of a tax-summary row whose rate labels all its amounts ("GST SR@0%  27.27
    0.00": the amount and its tax): the one that is the printed rate of an amount before it;
    else the first."""
    for line in summary:
        found = _rate_base(page, line, subtotal)
        if found and same((found[1] * Decimal(found[0].replace(",", ".")) / 100).quantize(CENT), line.value):
            return line, [f"rate check: {found[0]} % of {money_text(found[1])} = {money_text(line.value)}"]
    return summary[0], []


def _pick_tax(page: MoneyPage, total: TotalOption | None, subtotal: Pick | None) -> Pick | None:
    """The tax: the tax lines of a passed sum; else every tax line of its own rate added up
    (a tax-inclusive invoice lists 19 % and 7 % apart), each checked against its base when the
    label prints a rate; else the tax summary's."""
    if total is not None and "sum" in total.checks and len(total.parts) > 1:
        taxes = total.parts[1:]
        value = sum((t.value for t in taxes), Decimal(0))
        cells = [c for t in taxes for c in t.cells]
        evidence = [*(f"label {t.label!r}" for t in taxes), f"check passed: {total.checks['sum']}"]
        return Pick(float(value), cells, taxes[0].placement, 1.0, "tax:keyword+sum", evidence)
    lines = [x for x in page.of(MoneyRole.TAX) if x.amount.has_decimals and x.last_in_group and x.value >= 0]
    # Tax lines follow the first subtotal or total; one above them is an item ("Imposta di
    # soggiorno  1  5,00  5,00", a tourist tax billed as a line).
    block = [x.place for x in page.of(MoneyRole.SUBTOTAL, MoneyRole.NET, MoneyRole.TOTAL) if x.last_in_group]
    if block:
        lines = [x for x in lines if x.place > min(block)]
    if not lines:
        summary = _last_summary_row(page, MoneyRole.TAX)
        if not summary:
            return None
        best, rated = _summary_tax(page, summary, subtotal)
        passed = _summary_pair_checks(page, total)
        evidence = [f"label {best.label!r}", "read from the tax summary", *rated]
        if passed:
            evidence.append(f"check passed: {passed}")
            return Pick(float(best.value), best.cells, best.placement, 1.0, "tax:summary+sum", evidence)
        return Pick(float(best.value), best.cells, best.placement, 0.6, "tax:summary", evidence)
    by_rate: dict[str, MoneyLine] = {}
    checked: list[str] = []
    for line in lines:
        found = _rate_base(page, line, subtotal)
        rate = found[0].replace(",", ".") if found else ""
        by_rate[rate] = line  # a rate printed twice ("VAT 20%", "Total VAT 20%") counts once
        if found and same((found[1] * Decimal(rate) / 100).quantize(CENT), line.value):
            checked.append(f"{found[0]} % of {money_text(found[1])} = {money_text(line.value)}")
    chosen = list(by_rate.values()) if all(by_rate) and len(by_rate) > 1 else [lines[-1]]
    value = sum((x.value for x in chosen), Decimal(0))
    evidence = [f"label {x.label!r}" for x in chosen]
    if len(chosen) > 1:
        evidence.append(f"sum of {len(chosen)} tax lines of different rates")
    evidence += [f"check passed: {text}" for text in checked]
    cells = [c for x in chosen for c in x.cells]
    if checked and len(checked) >= len(chosen):
        return Pick(float(value), cells, chosen[0].placement, 1.0, "tax:keyword+rate", evidence)
    return Pick(float(value), cells, chosen[0].placement, 0.85, "tax:keyword", evidence)


def _pick_custom(page: MoneyPage, spec: FieldSpec) -> Pick | None:
    """A custom money field: the amount whose label holds the field's most specific alias."""
    targets = [squash(alias) for alias in aliases_for(spec)]
    best: tuple[int, int, MoneyLine] | None = None
    for line in page.lines:
        label = squash(line.label)
        size = max((len(t) for t in targets if t and t in label), default=0)
        if size and (best is None or size > best[0]):
            best = (size, -line.row, line)
    if best is None:
        return None
    line = best[2]
    evidence = [f"label {line.label!r}"] + ([line.amount.repair] if line.amount.repair else [])
    return Pick(float(line.value), line.cells, line.placement, 0.9, "money:labelled", evidence)


def _extra_words(specs: Iterable[FieldSpec]) -> tuple[tuple[str, MoneyRole], ...]:
    """Aliases of the schema's total, subtotal and tax fields that the lexicon lacks."""
    roles = {"total": MoneyRole.TOTAL, "subtotal": MoneyRole.SUBTOTAL, "tax": MoneyRole.TAX}
    out = []
    for spec in specs:
        role = roles.get(money_role(spec))
        if role is None:
            continue
        for alias in spec.aliases:
            if read_label(alias).role is MoneyRole.OTHER and squash(alias):
                out.append((re.sub(r"[^a-z]", "", squash(alias)), role))
    return tuple(sorted(set(out)))


def choose_amounts(
    rows: Sequence[Row], specs: Sequence[FieldSpec], *, unit: float, page_number: int
) -> dict[str, ExtractedField]:
    """The schema's money fields read from one page (see the module docstring)."""
    money_specs = [s for s in specs if s.kind is FieldKind.MONEY]
    if not money_specs:
        return {}
    page = read_money_page(rows, unit, _extra_words(money_specs))
    chosen = _pick_total(page)
    total_pick, total_option = chosen if chosen is not None else (None, None)
    subtotal = _pick_subtotal(page, total_option)
    tax = _pick_tax(page, total_option, subtotal)
    picks = {"total": total_pick, "subtotal": subtotal, "tax": tax}
    out: dict[str, ExtractedField] = {}
    for spec in money_specs:
        role = money_role(spec)
        pick = picks.get(role) if role != "custom" else _pick_custom(page, spec)
        if pick is not None:
            out[spec.name] = pick.to_field(page_number)
    return out
