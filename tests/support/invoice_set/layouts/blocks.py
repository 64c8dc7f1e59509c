"""Pieces many layouts share: wordmarks, address blocks, label/value blocks, tables, totals, footers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from tests.support.invoice_set.facts import Party
from tests.support.invoice_set.layouts.base import Ctx
from tests.support.invoice_set.money import MoneyStyle
from tests.support.invoice_set.render import (
    BLACK,
    GREY,
    LIGHT,
    WHITE,
    Align,
    Color,
    Column,
    Row,
    TableStyle,
    draw_table,
)

ACCENTS: tuple[Color, ...] = (
    (0.11, 0.29, 0.53),
    (0.0, 0.45, 0.42),
    (0.55, 0.13, 0.2),
    (0.2, 0.2, 0.25),
    (0.85, 0.4, 0.05),
    (0.33, 0.22, 0.55),
    (0.1, 0.5, 0.2),
)


def wordmark(
    ctx: Ctx, x: float, y: float, brand: str, *, style: str, size: float = 20, align: Align = "left"
) -> float:
    """A logo-like brand mark at baseline ``y``; returns its width."""
    c = ctx.canvas
    if style == "circle":
        c.circle(x + size * 0.55, y - size * 0.35, size * 0.55, fill=ctx.accent)
        c.text(
            x + size * 0.55,
            y - size * 0.12,
            brand[0],
            font="hebo",
            size=size * 0.8,
            color=WHITE,
            align="center",
        )
        return size * 1.3 + c.text(x + size * 1.3, y, brand, font="hebo", size=size * 0.8, color=ctx.accent)
    if style == "caps":
        text = " ".join(brand.upper())
        if align == "right":
            return c.text(x, y, text, font="hebo", size=size * 0.75, color=ctx.accent, align="right")
        return c.text(x, y, text, font="hebo", size=size * 0.75, color=ctx.accent)
    if style == "serif":
        w = c.text(
            x,
            y,
            brand,
            font="tibo",
            size=size,
            color=ctx.accent,
            align="right" if align == "right" else "left",
        )
        left = x - w if align == "right" else x
        c.rule(left, y + 4, left + w, width=1.5, color=ctx.accent)
        return w
    # "block": a filled square with the initial, then the name
    c.box(x, y - size * 0.9, x + size * 1.1, y + size * 0.2, stroke=None, fill=ctx.accent)
    c.text(
        x + size * 0.55, y - size * 0.12, brand[0], font="hebo", size=size * 0.85, color=WHITE, align="center"
    )
    return size * 1.4 + c.text(x + size * 1.4, y, brand, font="hebo", size=size * 0.75)


def party(
    ctx: Ctx,
    x: float,
    y: float,
    who: Party,
    *,
    title: str | None = None,
    size: float = 9,
    bold_name: bool = True,
    extra: Sequence[str] = (),
    align: Align = "left",
    title_color: Color = GREY,
) -> float:
    """A party's name and address (under an optional heading); returns the y below it."""
    c = ctx.canvas
    lead = size * 1.3
    if title:
        c.text(x, y, title, font=ctx.bold, size=size - 1, color=title_color, align=align)
        y += lead + 1
    c.text(x, y, who.name, font=ctx.bold if bold_name else ctx.font, size=size, align=align)
    y += lead
    if who.contact and ctx.extra.get("attention"):
        y = c.lines(x, y, [str(ctx.extra["attention"]).format(who.contact)], font=ctx.font, size=size)
    return c.lines(x, y, [*who.address, *extra], font=ctx.font, size=size, align=align)


def pairs(
    ctx: Ctx,
    x: float,
    y: float,
    rows: Sequence[tuple[str, str]],
    *,
    label_width: float,
    size: float = 9,
    value_align: Align = "left",
    value_right: float | None = None,
    bold_labels: bool = False,
    colon: bool = False,
    label_color: Color = BLACK,
    lead: float | None = None,
) -> float:
    """Label and value rows: values in a column at ``x + label_width`` or right-aligned at ``value_right``."""
    c = ctx.canvas
    step = lead or size * 1.45
    for label, value in rows:
        c.text(
            x,
            y,
            label + (":" if colon else ""),
            font=ctx.bold if bold_labels else ctx.font,
            size=size,
            color=label_color,
        )
        if value_align == "right" and value_right is not None:
            c.text(value_right, y, value, font=ctx.font, size=size, align="right")
        else:
            c.text(x + label_width, y, value, font=ctx.font, size=size)
        y += step
    return y


def boxes_under(
    ctx: Ctx,
    x: float,
    y: float,
    cells: Sequence[tuple[str, str]],
    widths: Sequence[float],
    *,
    size: float = 8.5,
    fill: Color | None = None,
) -> float:
    """A row of boxes, each with a small label on top and its value under it; returns the y below."""
    c = ctx.canvas
    height = size * 3.3
    cx = x
    for (label, value), width in zip(cells, widths, strict=True):
        c.box(cx, y, cx + width, y + height, stroke=BLACK, width=0.5)
        if fill:
            c.box(cx, y, cx + width, y + size * 1.55, stroke=BLACK, fill=fill, width=0.5)
        c.text(
            cx + 4, y + size * 1.15, label, font=ctx.font, size=size - 1.5, color=GREY if not fill else BLACK
        )
        c.text(cx + 4, y + size * 2.75, value, font=ctx.bold, size=size)
        cx += width
    return y + height


def grid_right(
    ctx: Ctx,
    x: float,
    y: float,
    rows: Sequence[tuple[str, str]],
    label_width: float,
    value_width: float,
    *,
    size: float = 8.5,
    fill: Color | None = None,
) -> float:
    """Boxed ``label | value`` rows, the value in a cell to the right of its label."""
    c = ctx.canvas
    height = size * 1.9
    for label, value in rows:
        c.box(x, y, x + label_width, y + height, stroke=BLACK, fill=fill, width=0.5)
        c.box(x + label_width, y, x + label_width + value_width, y + height, stroke=BLACK, width=0.5)
        c.text(x + 4, y + size * 1.3, label, font=ctx.bold, size=size - 0.5)
        c.text(
            x + label_width + value_width - 4, y + size * 1.3, value, font=ctx.font, size=size, align="right"
        )
        y += height
    return y


TotalRow = tuple[str, str, bool]


def totals(
    ctx: Ctx,
    label_x: float,
    right: float,
    y: float,
    rows: Sequence[TotalRow],
    *,
    size: float = 9,
    rule_before_last: bool = True,
    box_last: Color | None = None,
    label_align: Align = "left",
    lead: float | None = None,
    double_rule: bool = False,
) -> float:
    """A totals block: labels at ``label_x``, amounts right-aligned at ``right``; bold rows stand out."""
    c = ctx.canvas
    step = lead or size * 1.6
    for i, (label, value, strong) in enumerate(rows):
        last = i == len(rows) - 1
        if last and box_last:
            c.box(label_x - 6, y - size - 4, right + 4, y + size * 0.6, stroke=None, fill=box_last)
        elif last and rule_before_last:
            c.rule(label_x, y - size - 3, right, width=0.7)
        font = ctx.bold if strong else ctx.font
        color = WHITE if (last and box_last and sum(box_last) < 1.5) else BLACK
        c.text(
            label_x,
            y,
            label,
            font=font,
            size=size + (0.5 if strong else 0),
            color=color,
            align="right" if label_align == "right" else "left",
        )
        c.text(right, y, value, font=font, size=size + (0.5 if strong else 0), color=color, align="right")
        y += step
    if double_rule:
        c.rule(label_x, y - step + size * 0.5, right, width=0.5)
        c.rule(label_x, y - step + size * 0.5 + 2, right, width=0.5)
    return y


def tax_rows(ctx: Ctx, template: str, *, base: bool = False) -> list[TotalRow]:
    """One totals row per tax rate, with the rate (and optionally its base) put into ``template``."""
    out = []
    for row in ctx.facts.tax_rows:
        label = template.format(rate=ctx.pct(row.rate), base=ctx.m(row.base))
        out.append((label, ctx.m(row.tax), False))
    return out


def item_rows(ctx: Ctx, *, money_style: MoneyStyle | None = None, pos: bool = False) -> list[Row]:
    """The invoice's lines as table rows (quantity, unit, unit price, amount, tax rate, position)."""
    rows = []
    for i, line in enumerate(ctx.facts.lines, 1):
        rows.append(
            {
                "pos": str(i * 10 if pos else i),
                "code": line.code,
                "description": line.description,
                "detail": line.detail,
                "quantity": ctx.q(line.quantity),
                "qty_unit": f"{ctx.q(line.quantity)} {line.unit}".strip(),
                "unit": line.unit,
                "unit_price": ctx.m(line.unit_price, money_style),
                "amount": ctx.m(line.amount, money_style),
                "rate": ctx.pct(line.rate),
                "date": ctx.d(line.day) if line.day else "",
            }
        )
    return rows


def items(
    ctx: Ctx,
    x: float,
    y: float,
    columns: Sequence[Column],
    style: TableStyle,
    *,
    bottom: float,
    top: float = 70,
    rows: Sequence[Row] | None = None,
    carry: str | None = None,
    continued: str | None = None,
    head: Callable[[Ctx], float] | None = None,
) -> float:
    """The item table, continued over pages with a short head (and a carried subtotal if asked)."""
    rows = list(rows if rows is not None else item_rows(ctx))
    right = x + sum(col.width for col in columns)
    c = ctx.canvas

    def on_break(canvas: object, done: int) -> None:
        if carry:
            running = sum((line.amount for line in ctx.facts.lines[:done]), Decimal(0))
            c.text(right - 110, bottom + 14, carry, font=ctx.bold, size=8.5, align="right")
            c.text(right - 4, bottom + 14, ctx.m(running), font=ctx.bold, size=8.5, align="right")
        elif continued:
            c.text(right, bottom + 14, continued, font=ctx.font, size=7.5, color=GREY, align="right")

    def on_new_page(canvas: object, done: int) -> float:
        ny = head(ctx) if head else continuation_head(ctx, top)
        if carry:
            running = sum((line.amount for line in ctx.facts.lines[:done]), Decimal(0))
            c.text(right - 110, ny, carry, font=ctx.bold, size=8.5, align="right")
            c.text(right - 4, ny, ctx.m(running), font=ctx.bold, size=8.5, align="right")
            ny += 10
        return ny

    return draw_table(
        c, x, y, columns, rows, style, bottom=bottom, on_break=on_break, on_new_page=on_new_page
    )


def continuation_head(ctx: Ctx, top: float = 60) -> float:
    """The head of a follow-on page: seller and invoice number, as real multi-page invoices repeat."""
    c = ctx.canvas
    c.text(50, top, ctx.facts.vendor.name, font=ctx.bold, size=9)
    c.text(
        c.width - 50,
        top,
        f"{ctx.label('invoice_number')} {ctx.facts.number}",
        font=ctx.font,
        size=9,
        align="right",
    )
    c.rule(50, top + 6, c.width - 50, width=0.4, color=LIGHT)
    return top + 24


def room_for(ctx: Ctx, y: float, needed: float, bottom: float, top: float = 60) -> float:
    """``y`` if ``needed`` points fit above ``bottom``, else the top of a new page."""
    if y + needed <= bottom:
        return y
    ctx.canvas.new_page()
    return continuation_head(ctx, top)


def footer(
    ctx: Ctx,
    y: float,
    columns: Sequence[Sequence[str]],
    *,
    size: float = 6.8,
    left: float = 50,
    right: float | None = None,
    rule: bool = True,
    color: Color = GREY,
) -> None:
    """Footer columns on every page (seller, bank, registry), the way letterheads print them."""
    c = ctx.canvas
    right = right if right is not None else c.width - 50
    width = (right - left) / len(columns)
    for index in range(c.page_count):
        c.goto(index)
        if rule:
            c.rule(left, y - size * 1.6, right, width=0.4, color=LIGHT)
        for i, column in enumerate(columns):
            c.lines(left + i * width, y, column, font=ctx.font, size=size, color=color)
    c.goto(c.page_count - 1)


def page_numbers(
    ctx: Ctx,
    y: float,
    template: str,
    *,
    x: float | None = None,
    align: Align = "right",
    size: float = 7.5,
    always: bool = False,
) -> None:
    """``Page 1 of 2`` on every page (only on multi-page documents unless ``always``)."""
    c = ctx.canvas
    if c.page_count == 1 and not always:
        return
    for index in range(c.page_count):
        c.goto(index)
        c.text(
            x if x is not None else c.width - 50,
            y,
            template.format(n=index + 1, of=c.page_count),
            font=ctx.font,
            size=size,
            color=GREY,
            align=align,
        )
    c.goto(c.page_count - 1)
