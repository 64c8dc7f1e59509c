"""Invoices printed by ERP suites: SAP- and Odoo-like (accounting packages are in ``bookkeeping``)."""

from __future__ import annotations

import random
from decimal import Decimal

from tests.support.invoice_set.compose import Names
from tests.support.invoice_set.facts import InvoiceFacts
from tests.support.invoice_set.layouts import blocks
from tests.support.invoice_set.layouts.base import Ctx, Layout, LineSpan
from tests.support.invoice_set.layouts.countries import country_facts
from tests.support.invoice_set.money import Locale, cents, number
from tests.support.invoice_set.render import GREY, LIGHT, Column, TableStyle

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
    facts = country_facts(
        rng, loc, names, span, pattern="sap", terms=(30, 45, 60), codes=True, countries=True
    )
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
    facts = country_facts(rng, loc, names, span, pattern=pattern, terms=(15, 30, 45))
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


LAYOUTS = (SAP, ODOO)
