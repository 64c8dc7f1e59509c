"""Invoices printed by small-business accounting packages: QuickBooks-, Xero- and DATEV-like."""

from __future__ import annotations

import random
from decimal import Decimal

from tests.support.invoice_set.compose import Names
from tests.support.invoice_set.facts import Adjustment, InvoiceFacts
from tests.support.invoice_set.layouts import blocks
from tests.support.invoice_set.layouts.base import Ctx, Layout, LineSpan
from tests.support.invoice_set.layouts.countries import country_facts
from tests.support.invoice_set.money import Locale, cents
from tests.support.invoice_set.render import GREY, LETTER, Column, TableStyle

# --- QuickBooks-like (US Letter) -----------------------------------------------------------


def _build_qb(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    facts = country_facts(rng, loc, names, span, pattern="qb", terms=(15, 30, 30, 60))
    facts.lines[:] = [line for line in facts.lines]
    for line in facts.lines:
        line.code = rng.choice(["Services", "Hardware", "Supplies", "Labor", "Materials"])
    if facts.lines and rng.random() < 0.4:
        facts.adjustments.append(
            Adjustment(
                "shipping", Decimal(rng.choice(["12.50", "25.00", "48.75", "9.95"])), before_subtotal=False
            )
        )
    if rng.random() < 0.35:
        facts.paid = cents(facts.total * Decimal(rng.choice(["0.5", "0.25", "0.4"])))
    return facts


def _draw_qb(ctx: Ctx) -> None:
    c, f, rng = ctx.canvas, ctx.facts, ctx.rng
    ctx.money_style = "plain"
    v, cust = f.vendor, f.customer
    assert cust is not None
    left, right = 40.0, c.width - 40
    c.text(left, 58, v.name, font=ctx.bold, size=13)
    c.lines(left, 73, [*v.address, v.phone or "", v.email or ""], font=ctx.font, size=8.5)
    c.text(right, 62, "INVOICE", font=ctx.bold, size=24, color=ctx.accent, align="right")
    blocks.party(ctx, left, 160, cust, title="BILL TO", size=9, bold_name=False, title_color=ctx.accent)
    if rng.random() < 0.5:
        blocks.party(ctx, 200, 160, cust, title="SHIP TO", size=9, bold_name=False, title_color=ctx.accent)
    meta = [
        ("INVOICE #", f.number),
        ("DATE", ctx.d(f.issue_date)),
        ("DUE DATE", ctx.d(f.due_date) if f.due_date else ""),
        ("TERMS", f"Net {f.terms_days}"),
    ]
    blocks.pairs(
        ctx,
        400,
        160,
        meta,
        label_width=0,
        size=9,
        value_align="right",
        value_right=right,
        bold_labels=True,
        label_color=ctx.accent,
        lead=14,
    )
    rows = blocks.item_rows(ctx)
    for row in rows:
        row["activity"] = row["code"]
    cols = [
        Column("activity", "ACTIVITY", 85),
        Column("description", "DESCRIPTION", 230),
        Column("quantity", "QTY", 50, "right"),
        Column("unit_price", "RATE", 80, "right"),
        Column("amount", "AMOUNT", right - left - 445, "right"),
    ]
    red, green, blue = ctx.accent
    tint = (0.8 + 0.2 * red, 0.8 + 0.2 * green, 0.8 + 0.2 * blue)
    style = TableStyle(
        size=9,
        header_size=8.5,
        header_fill=tint,
        header_color=ctx.accent,
        header_rule=False,
        leading=12,
        row_rules=False,
    )
    bottom = c.height - 60
    y = blocks.items(ctx, left, 255, cols, style, bottom=bottom, rows=rows)
    tot: list[blocks.TotalRow] = [("SUBTOTAL", ctx.m(f.subtotal), False)]
    tot += [("SHIPPING", ctx.m(a.amount), False) for a in f.post_adjustments]
    tot += blocks.tax_rows(ctx, "TAX ({rate})" if rng.random() < 0.5 else "SALES TAX {rate}")
    tot += [("TOTAL", ctx.m(f.total), False)]
    if f.paid:
        tot += [("PAYMENT", ctx.m(-f.paid), False)]
    y = blocks.room_for(ctx, y, 30 + 16 * len(tot) + 40, bottom)
    y = blocks.totals(ctx, 360, right - 4, y + 18, tot, size=9, rule_before_last=False)
    c.rule(360, y - 8, right, width=0.5, dashes="[2 2] 0")
    c.text(360, y + 10, "BALANCE DUE", font=ctx.bold, size=10)
    c.text(right - 4, y + 12, ctx.m(f.balance, "symbol"), font=ctx.bold, size=16, align="right")
    c.text(
        left,
        y + 12,
        rng.choice(["Thank you for your business!", "We appreciate your prompt payment."]),
        font=ctx.font,
        size=9,
    )
    blocks.page_numbers(ctx, c.height - 30, "Page {n} of {of}", x=right)


QUICKBOOKS = Layout(
    "quickbooks",
    "QuickBooks-like US invoice (BILL TO/SHIP TO, INVOICE # box, BALANCE DUE)",
    ("en-US",),
    _build_qb,
    _draw_qb,
    page=LETTER,
)


# --- Xero-like ----------------------------------------------------------------------------


def _build_xero(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    facts = country_facts(rng, loc, names, span, pattern="xero", terms=(7, 14, 30))
    facts.refs["reference"] = rng.choice(["PO ", "Job ", "Ref "]) + str(rng.randint(100, 9999))
    return facts


def _draw_xero(ctx: Ctx) -> None:
    c, f, rng = ctx.canvas, ctx.facts, ctx.rng
    ctx.money_style = "plain"
    ctx.date_style = "short" if rng.random() < 0.7 else "long"
    v, cust = f.vendor, f.customer
    assert cust is not None
    left, right = 50.0, c.width - 50
    title = "TAX INVOICE" if rng.random() < 0.6 else "INVOICE"
    c.text(left, 80, title, font=ctx.bold, size=22)
    blocks.party(ctx, left, 105, cust, size=9, bold_name=False)
    meta_x, vendor_x = 300, 430
    y = 80.0
    for label, value in [
        ("Invoice Date", ctx.d(f.issue_date)),
        ("Invoice Number", f.number),
        ("Reference", f.refs["reference"]),
        ("VAT Number", v.vat_id or ""),
    ]:
        c.text(meta_x, y, label, font=ctx.bold, size=8.5)
        c.text(meta_x, y + 11, value, font=ctx.font, size=8.5)
        y += 27
    c.lines(vendor_x, 80, [v.name, *v.address], font=ctx.font, size=8.5)
    cols = [
        Column("description", "Description", 215),
        Column("quantity", "Quantity", 60, "right"),
        Column("unit_price", "Unit Price", 70, "right"),
        Column("rate", "VAT", 50, "right"),
        Column("amount", f"Amount {f.currency}", right - left - 395, "right"),
    ]
    style = TableStyle(size=8.5, header_size=8.5, header_rule=True, row_rules=True, leading=11.5)
    bottom = c.height - 200
    y = blocks.items(ctx, left, 200, cols, style, bottom=bottom)
    tot: list[blocks.TotalRow] = [("Subtotal", ctx.m(f.subtotal), False)]
    tot += blocks.tax_rows(ctx, "TOTAL VAT {rate}")
    tot += [(f"TOTAL {f.currency}", ctx.m(f.total), True)]
    y = blocks.room_for(ctx, y, 20 + 16 * len(tot), bottom)
    y = blocks.totals(ctx, right - 190, right - 4, y + 18, tot, size=9)
    due = ctx.d(f.due_date) if f.due_date else ""
    y = c.lines(left, y + 16, [f"Due Date: {due}"], font=ctx.bold, size=10)
    c.lines(
        left,
        y,
        [
            f"Payment by bank transfer to {v.name}",
            f"Account: {v.ids['iban']}",
            f"Please quote {f.number} as the payment reference.",
        ],
        font=ctx.font,
        size=8.5,
    )
    # The tear-off payment advice that Xero prints at the foot of the last page.
    top = c.height - 165
    c.rule(left - 20, top, right + 20, width=0.6, dashes="[4 3] 0")
    c.text(left, top + 26, "PAYMENT ADVICE", font=ctx.bold, size=14)
    c.lines(left, top + 48, ["To: " + v.name, *v.address], font=ctx.font, size=8.5)
    blocks.pairs(
        ctx,
        300,
        top + 26,
        [
            ("Customer", cust.name),
            ("Invoice Number", f.number),
            ("Amount Due", ctx.m(f.total)),
            ("Due Date", due),
            ("Amount Enclosed", ""),
        ],
        label_width=95,
        size=8.5,
        bold_labels=True,
        lead=15,
    )
    c.rule(395, top + 88, right, width=0.5)
    c.text(395, top + 100, "Enter the amount you are paying above", font=ctx.font, size=7, color=GREY)
    company_no = f"{rng.randint(1000000, 9999999):08d}"
    reg = f"Company Registration No: {company_no}. Registered Office: {v.name}, {', '.join(v.address)}."
    c.text(left, c.height - 28, reg, font=ctx.font, size=6.5, color=GREY)


XERO = Layout(
    "xero",
    "Xero-like tax invoice (meta column, seller far right, tear-off PAYMENT ADVICE)",
    ("en-GB", "en-IE"),
    _build_xero,
    _draw_xero,
)


# --- DATEV/Lexware-like export -------------------------------------------------------------


def _build_datev(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    facts = country_facts(
        rng,
        loc,
        names,
        span,
        pattern="datev",
        terms=(8, 14, 30),
        codes=True,
        domain=rng.choice(["goods", "catering"]),
    )
    if len(facts.lines) > 1:
        # Food and books at the reduced rate: a DATEV export shows a VAT breakdown per rate.
        reduced = Decimal("0.07") if loc.tag == "de-DE" else Decimal("0.10")
        for line in facts.lines[1::3]:
            line.rate = reduced
    return facts


def _draw_datev(ctx: Ctx) -> None:
    c, f, _rng = ctx.canvas, ctx.facts, ctx.rng
    ctx.font, ctx.bold = "cour", "cobo"
    ctx.money_style = "plain"
    v, cust = f.vendor, f.customer
    assert cust is not None
    left, right = 50.0, c.width - 45
    c.text(left, 50, v.name.upper(), font="cobo", size=12)
    c.text(left, 63, " - ".join(v.address), font="cour", size=8)
    c.rule(left, 70, right, width=0.8)
    blocks.party(ctx, left, 120, cust, size=9.5, bold_name=False)
    pairs = [
        ("Rechnungs-Nr.", f.number),
        ("Datum", ctx.d(f.issue_date)),
        ("Kunden-Nr.", f.refs["customer_no"]),
        ("Lieferdatum", ctx.d(f.dates["delivery"])),
        ("Ihre Best.-Nr.", f.refs["order_no"]),
    ]
    blocks.pairs(ctx, 330, 120, pairs, label_width=95, size=8.5, colon=True, lead=12)
    c.text(left, 215, "R E C H N U N G", font="cobo", size=13)
    cols = [
        Column("pos", "Pos", 26),
        Column("code", "Art.-Nr.", 52),
        Column("description", "Bezeichnung", 170),
        Column("quantity", "Menge", 45, "right"),
        Column("unit", "ME", 34),
        Column("unit_price", "E-Preis", 60, "right"),
        Column("rate", "USt", 40, "right"),
        Column("amount", "G-Preis", right - left - 427, "right"),
    ]
    style = TableStyle(font="cour", header_font="cobo", size=8, header_size=8, leading=10.5, header_rule=True)
    bottom = c.height - 70
    rows = blocks.item_rows(ctx)
    for row, line in zip(rows, f.lines, strict=True):
        row["rate"] = f"{int(line.rate * 100)}%"
    y = blocks.items(ctx, left, 228, cols, style, bottom=bottom, rows=rows, carry="Übertrag")
    y = blocks.room_for(ctx, y, 150, bottom)
    y += 26
    c.text(left, y, "USt-Satz", font="cobo", size=8)
    for x, label in ((180, "Netto"), (270, "USt"), (360, "Brutto")):
        c.text(x, y, label, font="cobo", size=8, align="right")
    for tax_row in f.tax_rows:
        y += 11
        c.text(left, y, f"{ctx.pct(tax_row.rate)}", font="cour", size=8)
        for x, value in ((180, tax_row.base), (270, tax_row.tax), (360, tax_row.gross)):
            c.text(x, y, ctx.m(value), font="cour", size=8, align="right")
    y += 22
    tot: list[blocks.TotalRow] = [
        ("Summe netto", ctx.m(f.subtotal), False),
        ("Summe USt", ctx.m(f.tax), False),
        (f"Rechnungsbetrag {f.currency}", ctx.m(f.total), True),
    ]
    y = blocks.totals(ctx, right - 220, right - 4, y, tot, size=8.5, lead=12)
    due = ctx.d(f.due_date) if f.due_date else ""
    c.lines(
        left,
        y + 10,
        [
            f"Zahlungsziel: {f.terms_days} Tage netto, fällig am {due}.",
            f"Bankverbindung: IBAN {v.ids['iban']}",
        ],
        font="cour",
        size=8,
    )
    blocks.footer(
        ctx, c.height - 35, [[f"{v.name} | USt-IdNr. {v.vat_id} | Tel. {v.phone} | {v.email}"]], size=6.5
    )
    blocks.page_numbers(ctx, 50, "Blatt {n}/{of}", x=right)


DATEV = Layout(
    "datev_export",
    "DATEV/Lexware-like export (monospaced, 19 %/7 % breakdown, Übertrag)",
    ("de-DE", "de-AT"),
    _build_datev,
    _draw_datev,
)

LAYOUTS = (QUICKBOOKS, XERO, DATEV)
