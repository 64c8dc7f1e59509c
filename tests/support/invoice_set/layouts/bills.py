"""Bills rather than invoices in the narrow sense: electricity and telecom bills, with account
numbers, billing periods and amount-due panels."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from tests.support.invoice_set import compose
from tests.support.invoice_set.compose import Names
from tests.support.invoice_set.facts import InvoiceFacts, Line
from tests.support.invoice_set.layouts import blocks
from tests.support.invoice_set.layouts.base import Ctx, Layout, LineSpan, basic_facts
from tests.support.invoice_set.layouts.countries import COUNTRY, RATE
from tests.support.invoice_set.money import Locale, cents, number
from tests.support.invoice_set.render import GREY, PALE, WHITE, Column, TableStyle

# --- Utility bill (electricity / gas) ---------------------------------------------------------

UTILITY_WORDS = dict(
    en=dict(
        title="Your electricity bill",
        account="Account number",
        bill="Bill number",
        date="Bill date",
        period="Billing period",
        due="Amount due",
        by="to be collected by Direct Debit on or after {date}",
        prev="Previous balance",
        received="Payment received - thank you",
        charges="Charges for this period",
        standing="Standing charge",
        day="Day rate",
        night="Night rate",
        meter="Meter readings",
        mprev="Previous",
        mcur="Current",
        used="Units used",
        vat="VAT at {rate} on {base}",
        total="Total charges for this period",
        balance="Balance to pay",
        supply="Supply address",
        days="days",
        meter_no="Meter no.",
    ),
    de=dict(
        title="Ihre Stromrechnung",
        account="Vertragskonto",
        bill="Rechnungsnummer",
        date="Rechnungsdatum",
        period="Abrechnungszeitraum",
        due="Rechnungsbetrag",
        by="wird am {date} per Lastschrift eingezogen",
        prev="Saldo Vormonat",
        received="Zahlung erhalten – vielen Dank",
        charges="Ihre Kosten im Zeitraum",
        standing="Grundpreis",
        day="Arbeitspreis HT",
        night="Arbeitspreis NT",
        meter="Zählerstände",
        mprev="Ablesung alt",
        mcur="Ablesung neu",
        used="Verbrauch",
        vat="Umsatzsteuer {rate} auf {base}",
        total="Summe brutto",
        balance="Zu zahlender Betrag",
        supply="Lieferstelle",
        days="Tage",
        meter_no="Zählernummer",
    ),
    nl=dict(
        title="Uw energienota",
        account="Klantnummer",
        bill="Notanummer",
        date="Notadatum",
        period="Periode",
        due="Te betalen",
        by="wordt rond {date} automatisch afgeschreven",
        prev="Vorig saldo",
        received="Ontvangen betaling – dank u",
        charges="Kosten over deze periode",
        standing="Vaste leveringskosten",
        day="Stroom normaal",
        night="Stroom dal",
        meter="Meterstanden",
        mprev="Begin",
        mcur="Eind",
        used="Verbruik",
        vat="Btw {rate} over {base}",
        total="Totaal deze nota",
        balance="Te betalen",
        supply="Leveringsadres",
        days="dagen",
        meter_no="Meternummer",
    ),
)


def _build_utility(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    country = COUNTRY[loc.tag]
    rate = Decimal("0.05") if country == "GB" else Decimal(RATE[country])
    facts = basic_facts(
        rng,
        loc,
        names,
        vendor_country=country,
        domain="services",
        lines=(3, 3),
        rate=rate,
        pattern="utility",
        terms=(14,),
        customer_person=rng.random() < 0.6,
        vendor_sector=False,
    )
    facts.vendor.name = facts.vendor.name.replace(
        facts.vendor.brand,
        facts.vendor.brand + " Energie" if loc.language != "en" else facts.vendor.brand + " Energy",
    )
    w = UTILITY_WORDS[loc.language]
    end = facts.issue_date - dt.timedelta(days=rng.randint(2, 6))
    days = rng.choice([28, 30, 31, 92])
    start = end - dt.timedelta(days=days - 1)
    facts.dates.update(period_start=start, period_end=end)
    unit = {"en": "kWh", "de": "kWh", "nl": "kWh"}[loc.language]
    day_kwh = Decimal(rng.randint(120, 900) * days // 30)
    lines = [
        Line(w["standing"], Decimal(days), Decimal(rng.randint(3800, 6200)) / 10000, rate, unit=w["days"]),
        Line(w["day"], day_kwh, Decimal(rng.randint(2100, 3400)) / 10000, rate, unit=unit),
    ]
    if rng.random() < 0.5:
        lines.append(
            Line(
                w["night"],
                Decimal(rng.randint(40, 300)),
                Decimal(rng.randint(1400, 2100)) / 10000,
                rate,
                unit=unit,
            )
        )
    facts.lines = lines
    facts.refs["account"] = f"{rng.randint(10**9, 10**10 - 1)}"
    facts.refs["meter"] = f"{rng.choice(['S', 'E', '1ESY'])}{rng.randint(10**6, 10**8)}"
    facts.refs["previous"] = str(cents(Decimal(rng.uniform(30, 260))))
    facts.refs["reading"] = str(rng.randint(10000, 80000))
    return facts


def _draw_utility(ctx: Ctx) -> None:
    c, f, rng = ctx.canvas, ctx.facts, ctx.rng
    w = UTILITY_WORDS[ctx.language]
    ctx.money_style = "symbol"
    ctx.date_style = "long" if ctx.language == "en" else "numeric"
    v, cust = f.vendor, f.customer
    assert cust is not None
    left, right = 40.0, c.width - 40
    blocks.wordmark(ctx, left, 58, v.brand, style="circle", size=22)
    c.text(right, 50, w["title"], font=ctx.bold, size=15, align="right")
    c.lines(
        right,
        66,
        [
            f"{w['account']}: {f.refs['account']}",
            f"{w['bill']}: {f.number}",
            f"{w['date']}: {ctx.d(f.issue_date)}",
        ],
        font=ctx.font,
        size=8.5,
        align="right",
    )
    blocks.party(ctx, left, 130, cust, size=10, bold_name=False)
    # The amount-due panel: what households look at first.
    c.box(320, 112, right, 205, stroke=None, fill=ctx.accent, radius=0.06)
    debit = f.due_date or f.issue_date
    c.text(332, 132, w["due"], font=ctx.bold, size=10, color=WHITE)
    c.text(332, 162, ctx.m(f.total), font=ctx.bold, size=24, color=WHITE)
    c.lines(
        332,
        180,
        c.wrap(w["by"].format(date=ctx.d(debit)), right - 344, ctx.font, 8),
        font=ctx.font,
        size=8,
        color=WHITE,
    )
    period = f"{ctx.d(f.dates['period_start'])} – {ctx.d(f.dates['period_end'])}"
    c.text(left, 240, f"{w['period']}: {period}", font=ctx.bold, size=9.5)
    c.text(left, 254, f"{w['supply']}: {', '.join(cust.address)}", font=ctx.font, size=8.5, color=GREY)
    previous = Decimal(f.refs["previous"])
    y = blocks.totals(
        ctx,
        left,
        right - 4,
        282,
        [(w["prev"], ctx.m(previous), False), (w["received"], ctx.m(-previous), False)],
        size=9,
        rule_before_last=False,
    )
    c.text(left, y + 8, w["charges"], font=ctx.bold, size=10.5, color=ctx.accent)
    rows = []
    for line in f.lines:
        rows.append(
            {
                "description": line.description,
                "quantity": f"{ctx.q(line.quantity)} {line.unit}",
                "unit_price": f"{number(line.unit_price, ctx.loc, 4)}",
                "amount": ctx.m(line.amount),
            }
        )
    cols = [
        Column("description", "", 230),
        Column("quantity", "", 90, "right"),
        Column("unit_price", "", 90, "right"),
        Column("amount", "", right - left - 410, "right"),
    ]
    style = TableStyle(size=9, header_size=1, header_rule=False, row_rules=True, leading=12)
    y = blocks.items(ctx, left, y + 10, cols, style, bottom=c.height - 120, rows=rows)
    tax = f.tax_rows[0]
    tot: list[blocks.TotalRow] = [
        (w["vat"].format(rate=ctx.pct(tax.rate), base=ctx.m(tax.base)), ctx.m(tax.tax), False),
        (w["total"], ctx.m(f.total), True),
    ]
    if rng.random() < 0.5:
        tot.insert(0, (ctx.label("net"), ctx.m(f.subtotal), False))
    else:
        f.subtotal_printed = False
    y = blocks.totals(ctx, left, right - 4, y + 18, tot, size=9.5)
    c.text(left, y + 14, w["meter"], font=ctx.bold, size=9)
    reading = int(f.refs["reading"])
    used = int(sum((line.quantity for line in f.lines[1:]), Decimal(0)))
    cells = [
        (w["meter_no"], f.refs["meter"]),
        (w["mprev"], str(reading)),
        (w["mcur"], str(reading + used)),
        (w["used"], f"{used} kWh"),
    ]
    blocks.boxes_under(ctx, left, y + 22, cells, [130, 100, 100, 100], size=8.5)
    blocks.footer(
        ctx,
        c.height - 40,
        [
            [
                f"{v.name} · {' · '.join(v.address)} · {ctx.label('vat_id')} {v.vat_id}",
                f"{v.website} · {v.phone}",
            ]
        ],
        size=6.8,
    )


UTILITY = Layout(
    "utility_bill",
    "Electricity bill (amount-due panel, billing period, kWh at 4-decimal rates)",
    ("en-GB", "de-DE", "nl-NL"),
    _build_utility,
    _draw_utility,
    long_tables=False,
)


# --- Telecom bill ----------------------------------------------------------------------------

# Labels and the plan/extra names a telecom bill lists ("items" is a tuple, the rest strings).
TELECOM: dict[str, dict[str, Any]] = dict(
    en=dict(
        title="Your bill",
        account="Account no.",
        bill="Bill no.",
        date="Bill date",
        period="Bill period",
        summary="Bill summary",
        plans="Monthly plans",
        usage="Usage and extras",
        total="Total to pay",
        pay="Payment will be taken by Direct Debit on",
        vat="VAT {rate}",
        net="Total (excl. VAT)",
        items=(
            "Business Unlimited 5G",
            "Mobile Broadband 100 GB",
            "Roaming day pass (EU)",
            "Extra data 10 GB",
            "Handset instalment",
            "International calls",
        ),
    ),
    fr=dict(
        title="Votre facture",
        account="N° de compte",
        bill="N° de facture",
        date="Date de facture",
        period="Période",
        summary="Récapitulatif",
        plans="Forfaits mensuels",
        usage="Consommations et options",
        total="Total à payer",
        pay="Montant prélevé le",
        vat="TVA {rate}",
        net="Total HT",
        items=(
            "Forfait Pro Illimité 5G",
            "Box Internet Fibre Pro",
            "Pass roaming Europe",
            "Option data 10 Go",
            "Échéance terminal",
            "Appels internationaux",
        ),
    ),
    es=dict(
        title="Su factura",
        account="Nº de cliente",
        bill="Nº de factura",
        date="Fecha de emisión",
        period="Periodo de facturación",
        summary="Resumen",
        plans="Cuotas mensuales",
        usage="Consumos y extras",
        total="Total a pagar",
        pay="Se cargará en su cuenta el",
        vat="IVA {rate}",
        net="Base imponible",
        items=(
            "Tarifa Empresa Ilimitada 5G",
            "Fibra 1 Gb Empresa",
            "Bono roaming UE",
            "Datos extra 10 GB",
            "Cuota terminal",
            "Llamadas internacionales",
        ),
    ),
    it=dict(
        title="La tua fattura",
        account="Codice cliente",
        bill="Numero fattura",
        date="Data emissione",
        period="Periodo di fatturazione",
        summary="Riepilogo",
        plans="Canoni mensili",
        usage="Traffico e opzioni",
        total="Totale da pagare",
        pay="Addebito in conto il",
        vat="IVA {rate}",
        net="Imponibile",
        items=(
            "Business Illimitato 5G",
            "Fibra Business 1 Giga",
            "Roaming UE giornaliero",
            "Giga extra 10 GB",
            "Rata smartphone",
            "Chiamate internazionali",
        ),
    ),
)


def _build_telecom(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    country = COUNTRY[loc.tag]
    rate = Decimal(RATE[country])
    facts = basic_facts(
        rng,
        loc,
        names,
        vendor_country=country,
        domain="saas",
        lines=(3, 3),
        rate=rate,
        pattern=rng.choice(["utility", "courier"]),
        terms=(10, 14, 20),
        vendor_sector=False,
    )
    facts.vendor.name = f"{facts.vendor.brand} Telecom {facts.vendor.name.split()[-1]}"
    items = TELECOM[loc.language]["items"]
    lines = [
        Line(items[0], Decimal(rng.randint(1, 12)), compose.price(rng, 18, 45), rate),
        Line(items[1], Decimal(1), compose.price(rng, 29, 69), rate),
    ]
    for name in rng.sample(items[2:], rng.randint(1, 3)):
        lines.append(Line(name, Decimal(rng.randint(1, 6)), compose.price(rng, 2.5, 25), rate))
    facts.lines = lines
    start = facts.issue_date.replace(day=1) - dt.timedelta(days=1)
    facts.dates.update(period_start=start.replace(day=1), period_end=start)
    facts.refs["account"] = f"{rng.randint(10**7, 10**8 - 1)}"
    return facts


def _draw_telecom(ctx: Ctx) -> None:
    c, f, _rng = ctx.canvas, ctx.facts, ctx.rng
    w = TELECOM[ctx.language]
    ctx.money_style = "symbol"
    v, cust = f.vendor, f.customer
    assert cust is not None
    left, right = 40.0, c.width - 40
    c.box(0, 0, c.width, 80, stroke=None, fill=ctx.accent)
    c.text(left, 50, v.brand.lower(), font="hebo", size=28, color=WHITE)
    c.text(right, 46, w["title"], font=ctx.bold, size=16, color=WHITE, align="right")
    c.text(right, 62, ctx.d(f.issue_date, "long"), font=ctx.font, size=9, color=WHITE, align="right")
    blocks.party(ctx, left, 120, cust, size=9.5)
    period = f"{ctx.d(f.dates['period_start'])} – {ctx.d(f.dates['period_end'])}"
    meta = [
        (w["account"], f.refs["account"]),
        (w["bill"], f.number),
        (w["date"], ctx.d(f.issue_date)),
        (w["period"], period),
    ]
    blocks.pairs(
        ctx, 300, 120, meta, label_width=0, size=8.5, value_align="right", value_right=right, lead=13
    )
    # The summary panel, then the detail by section.
    c.box(left, 190, right, 250, stroke=None, fill=PALE)
    c.text(left + 12, 210, w["summary"], font=ctx.bold, size=10)
    c.text(left + 12, 236, w["total"], font=ctx.bold, size=12)
    c.text(right - 12, 236, ctx.m(f.total), font=ctx.bold, size=18, align="right")
    y = 280.0
    cols = [
        Column("description", "", 300),
        Column("quantity", "", 50, "right"),
        Column("unit_price", "", 80, "right"),
        Column("amount", "", right - left - 430, "right"),
    ]
    style = TableStyle(size=9, header_size=1, header_rule=False, row_rules=True, leading=12)
    rows = blocks.item_rows(ctx)
    for title, part in ((w["plans"], rows[:2]), (w["usage"], rows[2:])):
        c.text(left, y, title, font=ctx.bold, size=10, color=ctx.accent)
        y = blocks.items(ctx, left, y + 2, cols, style, bottom=c.height - 90, rows=part) + 20
    tot: list[blocks.TotalRow] = [(w["net"], ctx.m(f.subtotal), False)]
    tot += blocks.tax_rows(ctx, w["vat"])
    tot += [(w["total"], ctx.m(f.total), True)]
    y = blocks.totals(ctx, right - 220, right - 4, y, tot, size=9.5)
    c.text(left, y + 16, f"{w['pay']} {ctx.d(f.due_date or f.issue_date)}", font=ctx.font, size=8.5)
    blocks.footer(
        ctx,
        c.height - 38,
        [[f"{v.name} · {' · '.join(v.address)}", f"{ctx.label('vat_id')} {v.vat_id} · {v.website}"]],
        size=6.8,
    )


TELECOM_BILL = Layout(
    "telecom_bill",
    "Mobile/telecom business bill (summary panel, plans and usage sections)",
    ("en-GB", "fr-FR", "es-ES", "it-IT"),
    _build_telecom,
    _draw_telecom,
    long_tables=False,
)


LAYOUTS = (UTILITY, TELECOM_BILL)
