"""Invoices of small service businesses: courier/freight accounts and freelancers."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from tests.support.invoice_set import compose, vocab
from tests.support.invoice_set.compose import Names
from tests.support.invoice_set.facts import Adjustment, InvoiceFacts, Line
from tests.support.invoice_set.layouts import blocks
from tests.support.invoice_set.layouts.base import Ctx, Layout, LineSpan, basic_facts, cap
from tests.support.invoice_set.layouts.countries import COUNTRY, RATE
from tests.support.invoice_set.money import Locale, cents
from tests.support.invoice_set.render import GREY, LIGHT, PALE, Column, TableStyle

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

LAYOUTS = (COURIER, FREELANCER)
