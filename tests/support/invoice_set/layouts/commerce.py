"""Invoices of online and small-business trade: marketplace sellers, SaaS subscriptions,
courier accounts and freelancers."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from tests.support.invoice_set import compose, vocab
from tests.support.invoice_set.compose import Names
from tests.support.invoice_set.facts import Adjustment, InvoiceFacts, Line
from tests.support.invoice_set.layouts import blocks
from tests.support.invoice_set.layouts.base import Ctx, Layout, LineSpan, basic_facts, cap
from tests.support.invoice_set.layouts.erp import COUNTRY, RATE
from tests.support.invoice_set.money import Locale, cents
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


# --- Courier / freight account invoice -----------------------------------------------------

SERVICES = dict(
    en=("Express 12:00", "Economy Road", "Express Worldwide", "Same Day", "Parcel Standard"),
    de=("Express 12:00", "Economy Straße", "Express Weltweit", "Kurier Same Day", "Paket Standard"),
    fr=("Express 12h", "Économique Route", "Express International", "Coursier Jour J", "Colis Standard"),
)
COURIER_WORDS = dict(
    en=(
        "Shipping invoice",
        "Account number",
        "Invoice number",
        "Invoice date",
        "Payment due",
        "Date",
        "Consignment",
        "Service / destination",
        "Weight (kg)",
        "Rate/kg",
        "Charge",
        "Shipments",
        "Fuel surcharge {pct} %",
        "Net total",
        "VAT {rate}",
        "Total due",
        "Carried forward",
    ),
    de=(
        "Frachtrechnung",
        "Kundenkonto",
        "Rechnungsnummer",
        "Rechnungsdatum",
        "Fällig am",
        "Datum",
        "Sendungsnr.",
        "Service / Ziel",
        "Gewicht (kg)",
        "Preis/kg",
        "Betrag",
        "Sendungen",
        "Treibstoffzuschlag {pct} %",
        "Nettobetrag",
        "MwSt. {rate}",
        "Gesamtbetrag",
        "Übertrag",
    ),
    fr=(
        "Facture de transport",
        "N° de compte",
        "N° de facture",
        "Date de facture",
        "Échéance",
        "Date",
        "N° d'envoi",
        "Service / destination",
        "Poids (kg)",
        "Tarif/kg",
        "Montant",
        "Envois",
        "Surcharge carburant {pct} %",
        "Total HT",
        "TVA {rate}",
        "Total TTC",
        "Report",
    ),
)
CITIES = (
    "Rotterdam",
    "Lyon",
    "Milano",
    "Wien",
    "Leeds",
    "Gdańsk",
    "Porto",
    "Aarhus",
    "Graz",
    "Lille",
    "Gent",
)


def _build_courier(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    country = COUNTRY[loc.tag]
    facts = basic_facts(
        rng,
        loc,
        names,
        vendor_country=country,
        domain="goods",
        lines=span,
        rate=Decimal(RATE[country]),
        pattern="courier",
        terms=(14, 30),
    )
    count = compose.item_count(rng, span if span[0] >= 12 else (min(4, span[1]), min(22, span[1])))
    lines = []
    start = facts.issue_date - dt.timedelta(days=30)
    for _ in range(count):
        day = start + dt.timedelta(days=rng.randint(0, 27))
        weight = Decimal(rng.randint(5, 4800)) / 10
        per_kg = Decimal(rng.randint(45, 380)) / 100
        service = rng.choice(SERVICES[loc.language])
        lines.append(
            Line(
                f"{service} – {rng.choice(CITIES)}",
                weight,
                per_kg,
                facts.lines[0].rate,
                unit="kg",
                code=f"{rng.randint(10**9, 10**10 - 1)}",
                day=day,
            )
        )
    facts.lines = sorted(lines, key=lambda line: line.day or start)
    pct = Decimal(rng.choice(["8.5", "12.25", "14.0", "17.5"]))
    facts.adjustments.append(
        Adjustment("fuel", cents(facts.lines_total * pct / 100), before_subtotal=True, percent=pct)
    )
    facts.refs["account"] = f"{rng.randint(100000000, 999999999)}"
    return facts


def _draw_courier(ctx: Ctx) -> None:
    c, f, _rng = ctx.canvas, ctx.facts, ctx.rng
    w = COURIER_WORDS[ctx.language]
    ctx.money_style = "plain"
    v, cust = f.vendor, f.customer
    assert cust is not None
    left, right = 40.0, c.width - 40
    c.box(0, 0, c.width, 8, stroke=None, fill=ctx.accent)
    blocks.wordmark(ctx, left, 52, v.brand, style="block", size=22)
    c.text(right, 48, w[0], font=ctx.bold, size=15, align="right")
    c.text(right, 62, v.name, font=ctx.font, size=8, color=GREY, align="right")
    blocks.party(ctx, left, 110, cust, size=9.5, extra=[f"{w[1]}: {f.refs['account']}"])
    rows = [
        (w[2], f.number),
        (w[3], ctx.d(f.issue_date)),
        (w[1], f.refs["account"]),
        (w[4], ctx.d(f.due_date) if f.due_date else ""),
    ]
    y = 100.0
    for label, value in rows:
        c.box(330, y, right, y + 20, stroke=LIGHT)
        c.text(336, y + 13.5, label, font=ctx.font, size=8, color=GREY)
        c.text(right - 6, y + 13.5, value, font=ctx.bold, size=9, align="right")
        y += 20
    rows2 = blocks.item_rows(ctx)
    for row, line in zip(rows2, f.lines, strict=True):
        row["unit_price"] = ctx.m(line.unit_price)
        row["weight"] = ctx.q(line.quantity)
    cols = [
        Column("date", w[5], 55),
        Column("code", w[6], 75),
        Column("description", w[7], 175),
        Column("weight", w[8], 65, "right"),
        Column("unit_price", w[9], 55, "right"),
        Column("amount", f"{w[10]} {f.currency}", right - left - 425, "right"),
    ]
    style = TableStyle(
        size=8, header_size=7.5, header_fill=PALE, header_rule=False, zebra=(0.975, 0.975, 0.975), leading=10
    )
    bottom = c.height - 60
    c.text(left, 212, f"{w[11]}: {len(f.lines)}", font=ctx.bold, size=9)
    y = blocks.items(ctx, left, 220, cols, style, bottom=bottom, rows=rows2, carry=w[16])
    adj = f.pre_adjustments[0]
    tot: list[blocks.TotalRow] = [
        (w[11], ctx.m(f.lines_total), False),
        (w[12].format(pct=ctx.q(adj.percent or Decimal(0))), ctx.m(adj.amount), False),
        (w[13], ctx.m(f.subtotal), False),
    ]
    tot += blocks.tax_rows(ctx, w[14])
    tot += [(f"{w[15]} {f.currency}", ctx.m(f.total), True)]
    y = blocks.room_for(ctx, y, 30 + 16 * len(tot), bottom)
    blocks.totals(ctx, right - 230, right - 4, y + 18, tot, size=9)
    blocks.footer(
        ctx,
        c.height - 32,
        [[f"{v.name} · {' · '.join(v.address)} · {ctx.label('vat_id')} {v.vat_id} · IBAN {v.ids['iban']}"]],
        left=left,
        right=right,
        size=6.5,
    )
    blocks.page_numbers(ctx, c.height - 42, f"{ctx.label('page')} {{n}}/{{of}}", x=right)


COURIER = Layout(
    "courier",
    "Courier/freight account invoice (shipment list by weight, fuel surcharge)",
    ("en-GB", "de-DE", "fr-FR"),
    _build_courier,
    _draw_courier,
)


# --- Freelancer ---------------------------------------------------------------------------

TRADES = dict(
    en=("Illustration & Design", "Web Development", "Copywriting", "Photography"),
    de=("Grafikdesign", "Webentwicklung", "Texte & Lektorat", "Fotografie"),
    nl=("Grafisch ontwerp", "Webontwikkeling", "Tekstschrijver", "Fotografie"),
)


def _build_freelancer(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    country = COUNTRY[loc.tag]
    small_business = country in ("DE", "NL") and rng.random() < 0.5
    rate = Decimal(0) if small_business or country == "US" else Decimal(RATE[country])
    facts = basic_facts(
        rng,
        loc,
        names,
        vendor_country=country,
        domain="services",
        lines=cap(span, 8),
        rate=rate,
        pattern=rng.choice(["hash", "nl", "re"]),
        terms=(7, 14, 30),
    )
    # A freelancer bills under their own name.
    person = names.person(rng, vocab.COUNTRY_LANGUAGE[country], unique=True)
    facts.vendor.name = person
    facts.vendor.brand = person
    facts.vendor.vat_id = None if small_business else facts.vendor.vat_id
    facts.vendor.ids["tax_no"] = f"{rng.randint(10, 99)}/{rng.randint(100, 999)}/{rng.randint(10000, 99999)}"
    facts.vendor.ids["trade"] = rng.choice(TRADES["en" if loc.language == "en" else loc.language])
    facts.vendor.email = f"hello@{person.split()[-1].lower()}.{'com' if country == 'US' else country.lower()}"
    facts.vendor.email = compose.ascii_mail(facts.vendor.email)
    if rate == 0:
        facts.tax_printed = False
        facts.subtotal_printed = False
    facts.refs["small_business"] = "yes" if small_business else ""
    return facts


def _draw_freelancer(ctx: Ctx) -> None:
    c, f, rng = ctx.canvas, ctx.facts, ctx.rng
    ctx.money_style = "symbol"
    ctx.date_style = "long" if rng.random() < 0.5 else "numeric"
    ctx.font, ctx.bold = rng.choice([("helv", "hebo"), ("tiro", "tibo")])
    v, cust = f.vendor, f.customer
    assert cust is not None
    lang = ctx.language
    left, right = 60.0, c.width - 60
    c.text(left, 80, v.name, font="tiit" if ctx.font == "tiro" else "heit", size=26, color=ctx.accent)
    c.text(left, 98, v.ids["trade"], font=ctx.font, size=10, color=GREY)
    c.lines(right, 70, [*v.address, v.email or "", v.phone or ""], font=ctx.font, size=8.5, align="right")
    word = {
        "en": ("Invoice", "To", "Invoice no.", "Date", "Due"),
        "de": ("Rechnung", "An", "Rechnungsnr.", "Datum", "Fällig bis"),
        "nl": ("Factuur", "Aan", "Factuurnr.", "Datum", "Te betalen vóór"),
    }[lang]
    c.text(left, 160, word[0], font=ctx.bold, size=16)
    blocks.party(ctx, left, 190, cust, title=word[1], size=9.5)
    meta = [
        (word[2], f.number),
        (word[3], ctx.d(f.issue_date)),
        (word[4], ctx.d(f.due_date) if f.due_date else ""),
    ]
    blocks.pairs(ctx, 340, 190, meta, label_width=85, size=9.5, bold_labels=True, lead=15)
    head = {
        "en": ("Service", "Hours", "Rate", "Amount"),
        "de": ("Leistung", "Std./Menge", "Satz", "Betrag"),
        "nl": ("Werkzaamheden", "Uren", "Tarief", "Bedrag"),
    }[lang]
    cols = [
        Column("description", head[0], 250),
        Column("quantity", head[1], 65, "right"),
        Column("unit_price", head[2], 80, "right"),
        Column("amount", head[3], right - left - 395, "right"),
    ]
    style = TableStyle(
        font=ctx.font,
        header_font=ctx.bold,
        size=9.5,
        header_size=9,
        header_rule=True,
        row_rules=True,
        leading=13,
    )
    bottom = c.height - 80
    y = blocks.items(ctx, left, 280, cols, style, bottom=bottom)
    tot: list[blocks.TotalRow] = []
    if f.tax_printed:
        vat = {"en": "VAT {rate}", "de": "zzgl. USt. {rate}", "nl": "btw {rate}"}[lang]
        tot += [({"en": "Subtotal", "de": "Netto", "nl": "Subtotaal"}[lang], ctx.m(f.subtotal), False)]
        tot += blocks.tax_rows(ctx, vat)
    tot += [({"en": "Total", "de": "Gesamtbetrag", "nl": "Totaal"}[lang], ctx.m(f.total), True)]
    y = blocks.room_for(ctx, y, 30 + 16 * len(tot) + 70, bottom)
    y = blocks.totals(ctx, right - 200, right - 4, y + 20, tot, size=10)
    notes = []
    if f.refs.get("small_business"):
        notes.append(
            {
                "de": "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet (Kleinunternehmerregelung).",
                "nl": "Vrijgesteld van btw op grond van de kleineondernemersregeling (KOR).",
            }[lang]
        )
    notes.append(
        {
            "en": f"Please pay by bank transfer to {v.ids['iban']} ({v.name}).",
            "de": f"Bitte überweisen Sie den Betrag auf mein Konto IBAN {v.ids['iban']}.",
            "nl": f"Graag overmaken naar {v.ids['iban']} t.n.v. {v.name}.",
        }[lang]
    )
    if lang == "de":
        notes.append(f"Steuernummer: {v.ids['tax_no']}" + (f" · USt-IdNr.: {v.vat_id}" if v.vat_id else ""))
    elif v.vat_id:
        notes.append(f"{ctx.label('vat_id')} {v.vat_id}")
    c.lines(left, y + 16, notes, font=ctx.font, size=8.5)
    c.text(
        left,
        c.height - 50,
        {"en": "Thank you!", "de": "Vielen Dank!", "nl": "Dank je wel!"}[lang],
        font="tiit" if ctx.font == "tiro" else "heit",
        size=12,
        color=ctx.accent,
    )


FREELANCER = Layout(
    "freelancer",
    "Freelancer invoice (own name as wordmark; Kleinunternehmer/KOR without VAT)",
    ("en-GB", "de-DE", "nl-NL", "en-US"),
    _build_freelancer,
    _draw_freelancer,
    long_tables=False,
)

LAYOUTS = (MARKETPLACE, SAAS, COURIER, FREELANCER)
