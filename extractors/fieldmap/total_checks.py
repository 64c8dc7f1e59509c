"""The checks a total candidate can pass against the rest of its page, and what they show.

- ``sum``: a subtotal (or an earlier total) plus one to three tax lines, plus a surcharge
  (service charge, shipping) and minus a discount, makes it;
- ``rounding``: an earlier total plus or minus a rounding adjustment makes it (OCR often
  loses the adjustment's sign);
- ``cash``: what was tendered minus the change makes it, or what was paid equals it with no
  change (a payment printed as a credit, "-234,47", counts by its size);
- ``paid``: it minus a part payment printed under it leaves the balance printed under that;
- ``items``: the item lines above the totals add up to it.

``balance_check`` says the opposite of ``paid``: that a value is what is left after a part
payment, so no total. ``failed_checks`` names the checks that could be made and failed.

``net_total_check`` says a chosen total is the amount before tax: it equals a subtotal or
net line of the page while a tax above zero is printed, no sum or rounding check passed,
and the page does not show the tax as included (no amount equal to the total less the tax);
when the page prints the net plus that tax, that amount is the total it offers instead.
Amounts compare to the cent.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from extractors.fieldmap.amount_labels import MoneyRole
from extractors.fieldmap.money_lines import MoneyLine, MoneyPage

CENT = Decimal("0.01")


@dataclass
class TotalOption:
    """A candidate value for the total: its line, score, and the checks it passed."""

    line: MoneyLine
    value: Decimal
    repaired: str | None = None
    score: float = 0.0
    checks: dict[str, str] = field(default_factory=dict)  # check name -> what it showed
    parts: tuple[MoneyLine, ...] = ()  # the subtotal and tax lines of a passed sum check


def same(a: Decimal, b: Decimal) -> bool:
    """Equal to the cent."""
    return abs(a - b) < CENT / 2


def money_text(value: Decimal) -> str:
    """An amount as evidence shows it: two decimals."""
    return f"{value:.2f}"


def sum_check(page: MoneyPage, option: TotalOption) -> None:
    """Does a subtotal (or an earlier total) plus the tax lines make this value?"""
    bases = [
        x
        for x in page.of(MoneyRole.SUBTOTAL, MoneyRole.NET, MoneyRole.TOTAL)
        if x.place < option.line.place
        and x.amount.has_decimals
        and 0 < x.value < option.value
        and x.last_in_group
    ]
    taxes = [x for x in page.of(MoneyRole.TAX) if x.amount.has_decimals and x.value > 0 and x.last_in_group]
    extras = [x for x in page.of(MoneyRole.SURCHARGE) if x.amount.has_decimals and x.value > 0]
    discounts = [x for x in page.of(MoneyRole.DISCOUNT) if x.amount.has_decimals and x.value != 0]
    for base in reversed(bases):  # the nearest base first
        for size in (1, 2, 3):
            for tax in itertools.combinations(taxes, size):
                for extra in (*((e,) for e in extras), ()):
                    for discount in (*((d,) for d in discounts), ()):
                        total = base.value + sum(t.value for t in tax) + sum(e.value for e in extra)
                        total -= sum(abs(d.value) for d in discount)
                        if same(total, option.value):
                            parts = (base, *tax)
                            shown = " + ".join(money_text(p.value) for p in (base, *tax, *extra))
                            shown += "".join(f" - {money_text(abs(d.value))}" for d in discount)
                            option.checks["sum"] = (
                                f"subtotal + tax = total ({shown} = {money_text(option.value)})"
                            )
                            option.parts = parts
                            return


def rounding_check(page: MoneyPage, option: TotalOption) -> None:
    roundings = [x for x in page.of(MoneyRole.ROUNDING) if x.amount.has_decimals and x.value != 0]
    earlier = [
        x
        for x in page.of(MoneyRole.TOTAL, MoneyRole.NET, MoneyRole.SUBTOTAL)
        if x.amount.has_decimals and x.place < option.line.place and not same(x.value, option.value)
    ]
    for rounding, before in itertools.product(roundings, earlier):
        for sign in (1, -1):  # OCR often loses the sign of a rounding adjustment
            if same(before.value + sign * abs(rounding.value), option.value):
                step = f"{'+-'[sign < 0]} {money_text(abs(rounding.value))}"
                shown = f"{money_text(before.value)} {step} = {money_text(option.value)}"
                option.checks["rounding"] = f"rounded total ({shown})"
                return


def cash_check(page: MoneyPage, option: TotalOption) -> str | None:
    """Passes when tendered - change = value; returns what failed when it could not pass."""
    # A payment may be printed as a credit ("Pagamento carta di credito  -234,47").
    cash = [
        abs(x.value)
        for x in page.of(MoneyRole.CASH)
        if x.amount.has_decimals and x.value != 0 and x is not option.line  # never its own witness
    ]
    change = [x.value for x in page.of(MoneyRole.CHANGE) if x.amount.has_decimals and x.value >= 0]
    for paid in cash:
        for back in change:
            if back > 0 and same(paid - back, option.value):
                shown = f"{money_text(paid)} - {money_text(back)} = {money_text(option.value)}"
                option.checks["cash"] = f"cash - change = total ({shown})"
                return None
        if same(paid, option.value) and all(back == 0 for back in change):
            option.checks["cash"] = f"paid {money_text(paid)} = total"
            return None
    if cash and change:
        return f"cash - change != total ({money_text(cash[0])} - {money_text(change[0])})"
    return None


def balance_check(page: MoneyPage, option: TotalOption) -> bool:
    """Is this value what is left to pay after a part payment (total - paid = balance)?

    When it is, the total it came from gets the ``paid`` check and this value is no total.
    """
    paid = [x for x in page.of(MoneyRole.CASH) if x.amount.has_decimals and x.value != 0]
    earlier = [
        x
        for x in page.of(MoneyRole.TOTAL, MoneyRole.NET)
        if x.amount.has_decimals and x.place < option.line.place and x.value > option.value
    ]
    for payment, total in itertools.product(paid, earlier):
        if total.place < payment.place < option.line.place and same(
            total.value - abs(payment.value), option.value
        ):
            return True
    return False


def paid_check(page: MoneyPage, option: TotalOption) -> None:
    """A total, a part payment under it and the balance left: total - paid = balance."""
    paid = [x for x in page.of(MoneyRole.CASH) if x.amount.has_decimals and x.value != 0]
    later = [x for x in page.of(MoneyRole.TOTAL) if x.place > option.line.place and x.value < option.value]
    for payment, balance in itertools.product(paid, later):
        between = option.line.place < payment.place < balance.place
        if between and same(option.value - abs(payment.value), balance.value):
            paid_text = money_text(abs(payment.value))
            shown = f"{money_text(option.value)} - {paid_text} = {money_text(balance.value)}"
            option.checks["paid"] = f"total - paid = balance ({shown})"
            return


def items_check(page: MoneyPage, option: TotalOption) -> None:
    if page.items_sum is not None and page.item_count >= 2 and same(page.items_sum, option.value):
        option.checks["items"] = f"items sum to {money_text(page.items_sum)} ({page.item_count} lines)"


def failed_checks(page: MoneyPage, best: TotalOption) -> list[str]:
    failed = []
    subtotals = page.of(MoneyRole.SUBTOTAL)
    taxes = page.of(MoneyRole.TAX)
    if "sum" not in best.checks and subtotals and any(t.value != 0 for t in taxes):
        shown = f"{money_text(subtotals[-1].value)} + {money_text(taxes[-1].value)}"
        failed.append(f"subtotal + tax != total ({shown})")
    if "cash" not in best.checks:
        probe = TotalOption(best.line, best.value)
        cash_failure = cash_check(page, probe)
        if cash_failure and "rounding" not in best.checks:
            failed.append(cash_failure)
    return failed


@dataclass(frozen=True)
class NetTotal:
    """A total that is the amount before tax: what shows it, and the amount net + tax printed
    on the page (with the net and tax lines that make it), when there is one."""

    detail: str
    net_plus_tax: MoneyLine | None = None
    parts: tuple[MoneyLine, ...] = ()


def _positive(page: MoneyPage, *roles: MoneyRole) -> list[MoneyLine]:
    """Lines of these roles with cents and above zero, the tax summary's included."""
    return [x for x in page.lines if x.role in roles and x.amount.has_decimals and x.value > 0]


# Roles of an amount that may be the total net + tax when the chosen total is the net.
_NET_PLUS_TAX_ROLES = (
    MoneyRole.TOTAL,
    MoneyRole.NET,
    MoneyRole.ROUNDING,
    MoneyRole.CASH,
    MoneyRole.OTHER,
)


def net_total_check(page: MoneyPage, best: TotalOption) -> NetTotal | None:
    """Is the chosen total the subtotal or net, tax not added (see the module docstring)?"""
    if "sum" in best.checks or "rounding" in best.checks:
        return None
    taxes = [t for t in _positive(page, MoneyRole.TAX) if t.value < best.value]
    nets = [
        x
        for x in _positive(page, MoneyRole.SUBTOTAL, MoneyRole.NET)
        if x is not best.line and same(x.value, best.value)
    ]
    if best.line.role in (MoneyRole.SUBTOTAL, MoneyRole.NET):
        nets.append(best.line)
    if not taxes or not nets:
        return None
    amounts = [x for x in page.lines if x.amount.has_decimals]
    for tax in taxes:
        above = next(
            (x for x in amounts if x.role in _NET_PLUS_TAX_ROLES and same(x.value, best.value + tax.value)),
            None,
        )
        if above is not None:
            shown = f"{money_text(best.value)} + {money_text(tax.value)} = {money_text(above.value)}"
            return NetTotal(
                f"total {money_text(best.value)} is the net: net + tax is printed ({shown})",
                above,
                (nets[0], tax),
            )
    if nets == [best.line] or any(same(x.value, best.value - t.value) for t in taxes for x in amounts):
        return None  # a net label alone ("Nett Total" on receipts), or the tax shown as included
    return NetTotal(
        f"total {money_text(best.value)} equals the net line {nets[0].label!r} "
        f"while tax {money_text(taxes[-1].value)} is printed"
    )
