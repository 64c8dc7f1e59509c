"""Invoices of online trade: marketplace sellers and SaaS subscriptions (courier accounts and
freelancers are in ``services``)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from tests.support.invoice_set.compose import Names
from tests.support.invoice_set.facts import Adjustment, InvoiceFacts
from tests.support.invoice_set.layouts import blocks
from tests.support.invoice_set.layouts.base import Ctx, Layout, LineSpan, basic_facts, cap
from tests.support.invoice_set.layouts.countries import COUNTRY, RATE
from tests.support.invoice_set.money import Locale
from tests.support.invoice_set.render import GREY, LETTER, LIGHT, PALE, Column, TableStyle

# --- Marketplace seller invoice ------------------------------------------------------------

PLATFORMS = ("kartly", "Bazaro", "shoplane", "Mercavo")
MP_WORDS = {
    "en": dict(
        title="Invoice",
        sold_by="Sold by",
        bill="Billing address",
        ship="Delivery address",
        order="Order number",
        order_date="Order date",
        number="Invoice number",
        date="Invoice date",
        delivery="Delivery date",
        desc="Description",
        qty="Qty",
        price="Unit price (excl. VAT)",
        vat="VAT rate",
        sub="Item subtotal (excl. VAT)",
        subtotal="Subtotal (excl. VAT)",
        ship_cost="Shipping charges",
        tax="VAT {rate}",
        total="Total payable",
        note="This invoice was issued by the seller through the {platform} marketplace.",
        paid="Paid by card",
    ),
    "de": dict(
        title="Rechnung",
        sold_by="Verkauft von",
        bill="Rechnungsadresse",
        ship="Lieferadresse",
        order="Bestellnummer",
        order_date="Bestelldatum",
        number="Rechnungsnummer",
        date="Rechnungsdatum",
        delivery="Lieferdatum",
        desc="Beschreibung",
        qty="Menge",
        price="Stückpreis (netto)",
        vat="USt.-Satz",
        sub="Zwischensumme (netto)",
        subtotal="Zwischensumme (netto)",
        ship_cost="Versandkosten",
        tax="USt. {rate}",
        total="Rechnungsbetrag",
        note="Diese Rechnung wurde vom Verkäufer über den Marktplatz {platform} ausgestellt.",
        paid="Bereits bezahlt per Kreditkarte",
    ),
    "fr": dict(
        title="Facture",
        sold_by="Vendu par",
        bill="Adresse de facturation",
        ship="Adresse de livraison",
        order="N° de commande",
        order_date="Date de commande",
        number="N° de facture",
        date="Date de facturation",
        delivery="Date de livraison",
        desc="Description",
        qty="Qté",
        price="Prix unitaire (HT)",
        vat="Taux TVA",
        sub="Sous-total (HT)",
        subtotal="Sous-total (HT)",
        ship_cost="Frais de livraison",
        tax="TVA {rate}",
        total="Total à payer",
        note="Facture émise par le vendeur via la place de marché {platform}.",
        paid="Payé par carte",
    ),
}


def _build_marketplace(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    country = COUNTRY[loc.tag]
    facts = basic_facts(
        rng,
        loc,
        names,
        vendor_country=country,
        domain="goods",
        lines=cap(span, 6),
        rate=Decimal(RATE[country]),
        pattern="mp",
        customer_person=True,
    )
    facts.due_date = None  # paid at checkout: marketplace invoices have no due date
    facts.number = f"{country}{facts.number}"
    facts.refs["order_no"] = (
        f"{rng.randint(100, 999)}-{rng.randint(1000000, 9999999)}-{rng.randint(1000000, 9999999)}"
    )
    if rng.random() < 0.6:
        facts.adjustments.append(
            Adjustment(
                "shipping", Decimal(rng.choice(["3.99", "4.95", "5.90", "7.49"])), before_subtotal=False
            )
        )
    facts.paid = facts.total
    return facts


def _draw_marketplace(ctx: Ctx) -> None:
    c, f, rng = ctx.canvas, ctx.facts, ctx.rng
    w = MP_WORDS[ctx.language]
    ctx.money_style = "symbol"
    v, cust = f.vendor, f.customer
    assert cust is not None
    platform = rng.choice(PLATFORMS)
    left, right = 45.0, c.width - 45
    # The platform's mark is the biggest name on the page; the seller is in "Sold by".
    c.text(left, 55, platform, font="hebo", size=24, color=ctx.accent)
    c.text(right, 55, w["title"], font=ctx.bold, size=18, align="right")
    meta = [
        (w["number"], f.number),
        (w["date"], ctx.d(f.issue_date)),
        (w["delivery"], ctx.d(f.dates["delivery"])),
        (w["order"], f.refs["order_no"]),
        (w["order_date"], ctx.d(f.dates["order"])),
    ]
    blocks.pairs(ctx, 330, 85, meta, label_width=100, size=8.5, bold_labels=True, lead=12.5)
    c.box(left, 75, left + 250, 160, stroke=LIGHT)
    blocks.party(
        ctx, left + 8, 90, v, title=w["sold_by"], size=8.5, extra=[f"{ctx.label('vat_id')} {v.vat_id}"]
    )
    blocks.party(ctx, left, 190, cust, title=w["bill"], size=8.5, bold_name=False)
    blocks.party(ctx, 230, 190, cust, title=w["ship"], size=8.5, bold_name=False)
    cols = [
        Column("description", w["desc"], 230),
        Column("quantity", w["qty"], 35, "right"),
        Column("unit_price", w["price"], 85, "right"),
        Column("rate", w["vat"], 50, "right"),
        Column("amount", w["sub"], right - left - 400, "right"),
    ]
    style = TableStyle(
        size=8.5, header_size=7.5, header_fill=PALE, header_rule=False, row_rules=True, leading=11
    )
    bottom = c.height - 70
    y = blocks.items(ctx, left, 265, cols, style, bottom=bottom)
    tot: list[blocks.TotalRow] = [(w["subtotal"], ctx.m(f.subtotal), False)]
    tot += [(w["ship_cost"], ctx.m(a.amount), False) for a in f.post_adjustments]
    tot += blocks.tax_rows(ctx, w["tax"])
    tot += [(w["total"], ctx.m(f.total), True)]
    y = blocks.room_for(ctx, y, 30 + 16 * len(tot) + 60, bottom)
    y = blocks.totals(ctx, right - 220, right - 4, y + 18, tot, size=9)
    c.text(
        right - 4, y + 4, f"{w['paid']} · {ctx.m(f.paid)}", font=ctx.font, size=8, color=GREY, align="right"
    )
    c.text(left, y + 30, w["note"].format(platform=platform), font=ctx.font, size=7.5, color=GREY)


MARKETPLACE = Layout(
    "marketplace",
    "Marketplace seller invoice (platform brand on top, seller under Sold by)",
    ("en-GB", "de-DE", "fr-FR"),
    _build_marketplace,
    _draw_marketplace,
    long_tables=False,
)


# --- SaaS subscription (Stripe-like) -------------------------------------------------------


def _build_saas(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    country = COUNTRY[loc.tag]
    rate = Decimal("0") if country == "US" else Decimal(RATE[country])
    facts = basic_facts(
        rng,
        loc,
        names,
        vendor_country=country,
        domain="saas",
        lines=cap(span, 5),
        rate=rate,
        pattern="stripe",
        terms=(0, 14, 30),
        countries=country != "US",
    )
    start = facts.issue_date
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=min(start.day, 28))
    facts.dates["period_start"], facts.dates["period_end"] = start, end
    if country == "US":
        facts.tax_printed = rng.random() < 0.5
    return facts


def _draw_saas(ctx: Ctx) -> None:
    c, f, _rng = ctx.canvas, ctx.facts, ctx.rng
    ctx.money_style = "symbol"
    ctx.date_style = "long"
    v, cust = f.vendor, f.customer
    assert cust is not None
    left, right = 48.0, c.width - 48
    c.text(left, 64, "Invoice", font=ctx.bold, size=20)
    blocks.wordmark(ctx, right, 64, v.brand, style="caps", size=18, align="right")
    due = f.due_date or f.issue_date
    meta = [("Invoice number", f.number), ("Date of issue", ctx.d(f.issue_date)), ("Date due", ctx.d(due))]
    blocks.pairs(ctx, left, 98, meta, label_width=95, size=9, lead=14)
    blocks.party(ctx, left, 160, v, size=9, extra=[v.email or ""])
    blocks.party(
        ctx,
        230,
        160,
        cust,
        title="Bill to",
        size=9,
        bold_name=False,
        extra=[cust.email or ""],
        title_color=(0, 0, 0),
    )
    amount = f"{ctx.m(f.total)} {'due' if f.due_date else 'paid'} {ctx.d(due)}"
    c.text(left, 262, amount, font=ctx.bold, size=15)
    c.text(
        left,
        280,
        "Pay online" if f.due_date else "Thank you for your payment.",
        font=ctx.font,
        size=9,
        color=ctx.accent,
    )
    period = f"{ctx.d(f.dates['period_start'], 'short')} – {ctx.d(f.dates['period_end'], 'short')}"
    rows = blocks.item_rows(ctx)
    for row in rows:
        row["detail"] = period
    cols = [
        Column("description", "Description", 280),
        Column("quantity", "Qty", 50, "right"),
        Column("unit_price", "Unit price", 80, "right"),
        Column("amount", "Amount", right - left - 410, "right"),
    ]
    style = TableStyle(
        size=9,
        header_size=8,
        header_font=ctx.font,
        header_color=GREY,
        header_rule=True,
        row_rules=True,
        leading=12,
    )
    bottom = c.height - 60
    y = blocks.items(ctx, left, 305, cols, style, bottom=bottom, rows=rows)
    tot: list[blocks.TotalRow] = [("Subtotal", ctx.m(f.subtotal), False)]
    if f.tax_printed:
        label = "Tax" if f.currency == "USD" else "VAT ({rate})"
        tot += blocks.tax_rows(ctx, label)
    tot += [
        ("Total", ctx.m(f.total), False),
        ("Amount due" if f.due_date else "Amount paid", ctx.m(f.total), True),
    ]
    y = blocks.room_for(ctx, y, 20 + 16 * len(tot), bottom)
    blocks.totals(ctx, 300, right - 4, y + 18, tot, size=9, rule_before_last=True)
    for index in range(c.page_count):
        c.goto(index)
        c.rule(left, c.height - 44, right, width=0.4, color=LIGHT)
        c.text(
            left,
            c.height - 30,
            f"{f.number} · {ctx.m(f.total)} due {ctx.d(due)}",
            font=ctx.font,
            size=7.5,
            color=GREY,
        )
        c.text(
            right,
            c.height - 30,
            f"Page {index + 1} of {c.page_count}",
            font=ctx.font,
            size=7.5,
            color=GREY,
            align="right",
        )
    c.goto(c.page_count - 1)


SAAS = Layout(
    "saas_stripe",
    "SaaS subscription invoice, Stripe-like (amount due line, service period)",
    ("en-US", "en-IE", "en-GB"),
    _build_saas,
    _draw_saas,
    page=LETTER,
    long_tables=False,
)


LAYOUTS = (MARKETPLACE, SAAS)
