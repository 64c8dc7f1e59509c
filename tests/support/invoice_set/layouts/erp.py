"""Invoices printed by ERP and accounting systems: SAP-, Odoo-, QuickBooks-, Xero- and DATEV-like."""

from __future__ import annotations

import random
from decimal import Decimal

from tests.support.invoice_set.compose import Names
from tests.support.invoice_set.facts import Adjustment, InvoiceFacts
from tests.support.invoice_set.layouts import blocks
from tests.support.invoice_set.layouts.base import Ctx, Layout, LineSpan, basic_facts
from tests.support.invoice_set.money import Locale, cents, number
from tests.support.invoice_set.render import GREY, LETTER, LIGHT, Column, TableStyle

COUNTRY = {
    "en-GB": "GB",
    "en-US": "US",
    "en-IE": "IE",
    "de-DE": "DE",
    "de-AT": "AT",
    "fr-FR": "FR",
    "nl-NL": "NL",
    "es-ES": "ES",
    "it-IT": "IT",
    "de-CH": "CH",
}
RATE = {
    "GB": "0.20",
    "US": "0.0725",
    "IE": "0.23",
    "DE": "0.19",
    "AT": "0.20",
    "FR": "0.20",
    "NL": "0.21",
    "ES": "0.21",
    "IT": "0.22",
    "CH": "0.081",
}


def _facts(
    rng: random.Random,
    loc: Locale,
    names: Names,
    span: LineSpan,
    *,
    pattern: str,
    terms: tuple[int, ...],
    domain: str | None = None,
    codes: bool = False,
    countries: bool = False,
) -> InvoiceFacts:
    """The usual facts for an ERP invoice in the locale's country at its standard VAT rate."""
    country = COUNTRY[loc.tag]
    return basic_facts(
        rng,
        loc,
        names,
        vendor_country=country,
        lines=span,
        rate=Decimal(RATE[country]),
        domain=domain or rng.choice(["services", "goods"]),
        pattern=pattern,
        terms=terms,
        codes=codes,
        countries=countries,
    )


# --- SAP-like ------------------------------------------------------------------------------

SAP_WORDS = {
    "en": dict(
        title="Invoice",
        number="Invoice No.",
        date="Invoice date",
        cust="Customer number",
        po="Your purchase order",
        dn="Delivery note",
        terms="Terms of payment",
        terms_text="Within {days} days due net",
        item="Item",
        mat="Material",
        desc="Description",
        qty="Quantity",
        uom="UoM",
        price="Price/unit",
        value="Net value",
        total_net="Total net value",
        tax="Output tax {rate}",
        final="Final amount",
        page="Page {n} of {of}",
        carry="Carry forward",
    ),
    "de": dict(
        title="Rechnung",
        number="Rechnungsnr.",
        date="Rechnungsdatum",
        cust="Kundennummer",
        po="Ihre Bestellung",
        dn="Lieferschein",
        terms="Zahlungsbedingungen",
        terms_text="Innerhalb {days} Tagen ohne Abzug",
        item="Pos.",
        mat="Material",
        desc="Bezeichnung",
        qty="Menge",
        uom="ME",
        price="Preis/ME",
        value="Nettowert",
        total_net="Nettowert gesamt",
        tax="Ausgangssteuer {rate}",
        final="Endbetrag",
        page="Seite {n} von {of}",
        carry="Übertrag",
    ),
}


def _build_sap(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    facts = _facts(rng, loc, names, span, pattern="sap", terms=(30, 45, 60), codes=True, countries=True)
    facts.refs["delivery_note"] = f"80{rng.randint(10000000, 99999999)}"
    return facts


def _draw_sap(ctx: Ctx) -> None:
    c, f, rng = ctx.canvas, ctx.facts, ctx.rng
    w = SAP_WORDS[ctx.language]
    ctx.money_style = "plain"
    v, cust = f.vendor, f.customer
    assert cust is not None
    left, right = 56.0, c.width - 45
    # Logo top-right, sender line over the window, customer in the window.
    blocks.wordmark(ctx, right, 55, v.brand, style="caps", size=22, align="right")
    c.text(left, 125, f"{v.name}, {', '.join(v.address)}", font=ctx.font, size=6.5)
    blocks.party(ctx, left, 145, cust, size=9.5, bold_name=False)
    c.text(330, 118, w["title"], font=ctx.bold, size=14)
    rows = [
        (w["number"], f.number),
        (w["date"], ctx.d(f.issue_date)),
        (w["cust"], f.refs["customer_no"]),
        (w["po"], f.refs["order_no"]),
        (w["dn"], f.refs["delivery_note"]),
    ]
    blocks.grid_right(ctx, 330, 128, rows, 110, right - 440, size=8.5)
    currency = f"{w['value']} {f.currency}" if rng.random() < 0.5 else w["value"]
    cols = [
        Column("pos", w["item"], 34),
        Column("code", w["mat"], 58),
        Column("description", w["desc"], 175),
        Column("quantity", w["qty"], 50, "right"),
        Column("unit", w["uom"], 34),
        Column("unit_price", w["price"], 70, "right"),
        Column("amount", currency, right - left - 421, "right"),
    ]
    style = TableStyle(size=8.5, header_size=8, header_fill=None, header_rule=True, leading=11)
    bottom = c.height - 100
    y = blocks.items(
        ctx, left, 260, cols, style, bottom=bottom, rows=blocks.item_rows(ctx, pos=True), carry=w["carry"]
    )
    rows2: list[blocks.TotalRow] = [(w["total_net"], ctx.m(f.subtotal), False)]
    # SAP prints the condition rate with three decimals: "19,000 %".
    rows2 += [
        (w["tax"].format(rate=number(r.rate * 100, ctx.loc, 3) + " %"), ctx.m(r.tax), False)
        for r in f.tax_rows
    ]
    rows2 += [(w["final"] + f" {f.currency}", ctx.m(f.total), True)]
    y = blocks.room_for(ctx, y, 40 + 15 * len(rows2) + 40, bottom)
    y = blocks.totals(ctx, right - 230, right - 4, y + 18, rows2, size=9)
    c.text(
        left, y + 12, f"{w['terms']}: {w['terms_text'].format(days=f.terms_days)}", font=ctx.font, size=8.5
    )
    blocks.footer(
        ctx,
        c.height - 52,
        [
            [v.name, *v.address[:-1]],
            [f"{ctx.label('phone')} {v.phone}", v.email or "", v.website or ""],
            [f"{ctx.label('vat_id')} {v.vat_id}", f"IBAN {v.ids['iban']}"],
        ],
        size=6.5,
    )
    blocks.page_numbers(ctx, c.height - 64, w["page"], x=right, always=True)


SAP = Layout(
    "sap_export",
    "SAP-like billing document (window envelope, boxed header grid, item 10/20/30)",
    ("de-DE", "en-GB", "en-US"),
    _build_sap,
    _draw_sap,
)


# --- Odoo-like -----------------------------------------------------------------------------

ODOO_WORDS = {
    "en": (
        "Invoice",
        "Invoice Date:",
        "Due Date:",
        "Source:",
        "Description",
        "Quantity",
        "Unit Price",
        "Taxes",
        "Amount",
        "Untaxed Amount",
        "Tax {rate}",
        "Total",
        "Paid on {date}",
        "Amount Due",
        "Please use the following communication for your payment:",
        "Payment terms: {days} Days",
        "Units",
    ),
    "fr": (
        "Facture",
        "Date de facturation :",
        "Date d'échéance :",
        "Origine :",
        "Description",
        "Quantité",
        "Prix unitaire",
        "Taxes",
        "Montant",
        "Montant hors taxes",
        "TVA {rate}",
        "Total",
        "Payé le {date}",
        "Montant dû",
        "Merci d'utiliser la communication suivante pour votre paiement :",
        "Conditions de paiement : {days} jours",
        "Unité(s)",
    ),
    "nl": (
        "Factuur",
        "Factuurdatum:",
        "Vervaldatum:",
        "Bron:",
        "Omschrijving",
        "Aantal",
        "Prijs per eenheid",
        "Belastingen",
        "Bedrag",
        "Bedrag excl. btw",
        "btw {rate}",
        "Totaal",
        "Betaald op {date}",
        "Openstaand bedrag",
        "Gebruik de volgende mededeling voor uw betaling:",
        "Betalingstermijn: {days} dagen",
        "Stuks",
    ),
    "es": (
        "Factura",
        "Fecha de factura:",
        "Fecha de vencimiento:",
        "Origen:",
        "Descripción",
        "Cantidad",
        "Precio unitario",
        "Impuestos",
        "Importe",
        "Base imponible",
        "IVA {rate}",
        "Total",
        "Pagado el {date}",
        "Importe adeudado",
        "Utilice la siguiente referencia para su pago:",
        "Plazo de pago: {days} días",
        "Unidades",
    ),
    "de": (
        "Rechnung",
        "Rechnungsdatum:",
        "Fälligkeitsdatum:",
        "Quelle:",
        "Beschreibung",
        "Menge",
        "Einzelpreis",
        "Steuern",
        "Betrag",
        "Nettobetrag",
        "MwSt. {rate}",
        "Gesamt",
        "Bezahlt am {date}",
        "Fälliger Betrag",
        "Bitte verwenden Sie für Ihre Zahlung den folgenden Verwendungszweck:",
        "Zahlungsbedingungen: {days} Tage",
        "Stück",
    ),
}


def _build_odoo(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    pattern = "odoo_fr" if loc.language == "fr" and rng.random() < 0.5 else "odoo"
    facts = _facts(rng, loc, names, span, pattern=pattern, terms=(15, 30, 45))
    facts.refs["source"] = f"S{rng.randint(10, 99999):05d}"
    if rng.random() < 0.3:
        facts.paid = cents(facts.total * Decimal(rng.choice(["0.3", "0.5", "0.25"])))
        facts.dates["paid"] = facts.issue_date
    return facts


def _draw_odoo(ctx: Ctx) -> None:
    c, f, rng = ctx.canvas, ctx.facts, ctx.rng
    w = ODOO_WORDS[ctx.language]
    ctx.money_style = "symbol"
    v, cust = f.vendor, f.customer
    assert cust is not None
    left, right = 50.0, c.width - 50
    blocks.wordmark(ctx, left, 58, v.brand, style=rng.choice(["circle", "block"]), size=20)
    c.lines(right, 42, [v.name, *v.address], font=ctx.font, size=8, align="right")
    c.rule(left, 92, right, width=0.8, color=ctx.accent)
    c.lines(left, 108, [v.name, *v.address], font=ctx.font, size=8.5, color=GREY)
    blocks.party(ctx, 320, 140, cust, size=9.5, extra=[cust.vat_id or ""])
    c.text(left, 230, f"{w[0]} {f.number}", font=ctx.font, size=18, color=ctx.accent)
    cells = [
        (w[1], ctx.d(f.issue_date)),
        (w[2], ctx.d(f.due_date) if f.due_date else ""),
        (w[3], f.refs["source"]),
    ]
    x = left
    for label, value in cells:
        c.text(x, 256, label, font=ctx.bold, size=9)
        c.text(x, 270, value, font=ctx.font, size=9)
        x += 150
    rows = blocks.item_rows(ctx)
    for row, line in zip(rows, f.lines, strict=True):
        row["quantity"] = f"{number(line.quantity, ctx.loc)} {w[16]}"
    cols = [
        Column("description", w[4], 210),
        Column("quantity", w[5], 75, "right"),
        Column("unit_price", w[6], 75, "right"),
        Column("rate", w[7], 50, "right"),
        Column("amount", w[8], right - left - 410, "right"),
    ]
    style = TableStyle(size=9, header_size=9, header_rule=True, row_rules=True, leading=12)
    bottom = c.height - 80
    y = blocks.items(ctx, left, 290, cols, style, bottom=bottom, rows=rows)
    tot: list[blocks.TotalRow] = [(w[9], ctx.m(f.subtotal), False)]
    tot += blocks.tax_rows(ctx, w[10])
    tot += [(w[11], ctx.m(f.total), True)]
    if f.paid:
        tot += [
            (w[12].format(date=ctx.d(f.dates["paid"])), ctx.m(f.paid), False),
            (w[13], ctx.m(f.balance), True),
        ]
    y = blocks.room_for(ctx, y, 20 + 16 * len(tot) + 50, bottom)
    y = blocks.totals(ctx, right - 220, right - 4, y + 18, tot, size=9.5)
    y = c.lines(
        left, y + 10, [f"{w[14]} {f.number}", w[15].format(days=f.terms_days)], font=ctx.font, size=8.5
    )
    for index in range(c.page_count):
        c.goto(index)
        c.rule(left, c.height - 50, right, width=0.4, color=LIGHT)
        c.text(
            c.width / 2,
            c.height - 38,
            f"{v.phone}   {v.email}   {v.website}   {v.vat_id}",
            font=ctx.font,
            size=7.5,
            color=GREY,
            align="center",
        )
        c.text(
            c.width / 2,
            c.height - 26,
            f"{ctx.label('page')}: {index + 1} / {c.page_count}",
            font=ctx.font,
            size=7.5,
            color=GREY,
            align="center",
        )
    c.goto(c.page_count - 1)


ODOO = Layout(
    "odoo",
    "Odoo-like invoice (INV/2023/03/0008, values under labels, Untaxed Amount)",
    ("en-IE", "fr-FR", "nl-NL", "es-ES", "de-DE"),
    _build_odoo,
    _draw_odoo,
)


# --- QuickBooks-like (US Letter) -----------------------------------------------------------


def _build_qb(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    facts = _facts(rng, loc, names, span, pattern="qb", terms=(15, 30, 30, 60))
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
    facts = _facts(rng, loc, names, span, pattern="xero", terms=(7, 14, 30))
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
    facts = _facts(
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

LAYOUTS = (SAP, ODOO, QUICKBOOKS, XERO, DATEV)
