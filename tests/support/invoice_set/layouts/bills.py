"""Bills rather than invoices in the narrow sense: utility and telecom bills, hotel folios,
restaurant and catering bills (gross prices, VAT taken out of the total)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from tests.support.invoice_set import compose
from tests.support.invoice_set.compose import Names
from tests.support.invoice_set.facts import InvoiceFacts, Line
from tests.support.invoice_set.layouts import blocks
from tests.support.invoice_set.layouts.base import Ctx, Layout, LineSpan, basic_facts, cap
from tests.support.invoice_set.layouts.erp import COUNTRY, RATE
from tests.support.invoice_set.money import Locale, cents, number
from tests.support.invoice_set.render import GREY, LIGHT, PALE, WHITE, Column, TableStyle

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


# --- Hotel folio -------------------------------------------------------------------------------

HOTEL = dict(
    de=dict(
        title="Rechnung",
        guest="Gast",
        room="Zimmer",
        arrival="Anreise",
        departure="Abreise",
        recipient="Rechnungsempfänger",
        date="Datum",
        text="Beschreibung",
        qty="Anz.",
        price="Preis",
        amount="Betrag",
        lodging="Übernachtung Einzelzimmer",
        breakfast="Frühstück",
        parking="Parkgarage",
        minibar="Minibar",
        tax_city="Kulturförderabgabe",
        total="Gesamtbetrag",
        paid="Zahlung Kreditkarte",
        balance="Saldo",
        vat="MwSt.",
        net="Netto",
        gross="Brutto",
        number="Rechnungs-Nr.",
    ),
    en=dict(
        title="Invoice",
        guest="Guest",
        room="Room",
        arrival="Arrival",
        departure="Departure",
        recipient="Invoice to",
        date="Date",
        text="Description",
        qty="Qty",
        price="Price",
        amount="Amount",
        lodging="Accommodation, single room",
        breakfast="Breakfast",
        parking="Car park",
        minibar="Minibar",
        tax_city="City tax",
        total="Total",
        paid="Payment Visa",
        balance="Balance",
        vat="VAT",
        net="Net",
        gross="Gross",
        number="Invoice no.",
    ),
    fr=dict(
        title="Facture",
        guest="Client",
        room="Chambre",
        arrival="Arrivée",
        departure="Départ",
        recipient="Facturé à",
        date="Date",
        text="Libellé",
        qty="Qté",
        price="Prix",
        amount="Montant",
        lodging="Hébergement chambre single",
        breakfast="Petit-déjeuner",
        parking="Parking",
        minibar="Minibar",
        tax_city="Taxe de séjour",
        total="Total TTC",
        paid="Règlement CB",
        balance="Solde",
        vat="TVA",
        net="HT",
        gross="TTC",
        number="Facture n°",
    ),
    it=dict(
        title="Fattura",
        guest="Ospite",
        room="Camera",
        arrival="Arrivo",
        departure="Partenza",
        recipient="Intestatario",
        date="Data",
        text="Descrizione",
        qty="Q.tà",
        price="Prezzo",
        amount="Importo",
        lodging="Pernottamento camera singola",
        breakfast="Colazione",
        parking="Garage",
        minibar="Minibar",
        tax_city="Imposta di soggiorno",
        total="Totale",
        paid="Pagamento carta di credito",
        balance="Saldo",
        vat="IVA",
        net="Imponibile",
        gross="Totale",
        number="Fattura n.",
    ),
)
HOTEL_RATES = {
    "de-DE": ("0.07", "0.19", "0.19", "0"),
    "en-GB": ("0.20", "0.20", "0.20", None),
    "fr-FR": ("0.10", "0.10", "0.20", "0"),
    "it-IT": ("0.10", "0.10", "0.22", "0"),
}


def _build_hotel(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    country = COUNTRY[loc.tag]
    facts = basic_facts(
        rng,
        loc,
        names,
        vendor_country=country,
        domain="services",
        lines=(2, 2),
        rate=Decimal("0"),
        pattern="hotel",
        terms=(0,),
        vendor_sector=False,
    )
    brand = facts.vendor.brand
    kind = {"de": "Hotel", "en": "The", "fr": "Hôtel", "it": "Hotel"}[loc.language]
    facts.vendor.name = (
        f"{kind} {brand} {facts.vendor.name.split()[-1]}"
        if loc.language != "en"
        else f"The {brand} Hotel {facts.vendor.name.split()[-1]}"
    )
    w = HOTEL[loc.language]
    lodging, breakfast, other, city = HOTEL_RATES[loc.tag]
    nights = rng.randint(1, min(6, max(1, span[1] // 2)))
    arrival = facts.issue_date - dt.timedelta(days=nights)
    lines = []
    room_rate = compose.price(rng, 89, 210)
    breakfast_price = compose.price(rng, 14, 28)
    for n in range(nights):
        day = arrival + dt.timedelta(days=n)
        lines.append(Line(w["lodging"], Decimal(1), room_rate, Decimal(lodging), day=day))
        if rng.random() < 0.7:
            lines.append(Line(w["breakfast"], Decimal(1), breakfast_price, Decimal(breakfast), day=day))
        if city is not None:
            lines.append(
                Line(w["tax_city"], Decimal(1), cents(room_rate * Decimal("0.05")), Decimal(city), day=day)
            )
    if rng.random() < 0.5:
        lines.append(
            Line(
                w["parking"],
                Decimal(nights),
                compose.price(rng, 12, 29),
                Decimal(other),
                day=facts.issue_date,
            )
        )
    if rng.random() < 0.4:
        lines.append(
            Line(
                w["minibar"],
                Decimal(rng.randint(1, 4)),
                compose.price(rng, 3.5, 7.5),
                Decimal(other),
                day=facts.issue_date,
            )
        )
    facts.lines = lines
    facts.prices_include_tax = True
    facts.due_date = None
    facts.paid = facts.total
    facts.dates.update(arrival=arrival, departure=facts.issue_date)
    facts.refs.update(
        room=str(rng.randint(101, 719)), guest=names.person(rng, "en" if country == "GB" else loc.language)
    )
    return facts


def _draw_hotel(ctx: Ctx) -> None:
    c, f, rng = ctx.canvas, ctx.facts, ctx.rng
    w = HOTEL[ctx.language]
    ctx.money_style = "plain"
    ctx.font, ctx.bold = rng.choice([("tiro", "tibo"), ("helv", "hebo")])
    v, cust = f.vendor, f.customer
    assert cust is not None
    left, right = 50.0, c.width - 50
    # A centred letterhead with the hotel's name, as hotels print it.
    c.text(c.width / 2, 62, v.name.upper(), font=ctx.bold, size=17, color=ctx.accent, align="center")
    c.text(
        c.width / 2,
        78,
        " · ".join([*v.address, v.phone or ""]),
        font=ctx.font,
        size=8,
        align="center",
        color=GREY,
    )
    c.rule(left, 88, right, width=0.6, color=ctx.accent)
    blocks.party(ctx, left, 125, cust, title=w["recipient"], size=9.5)
    meta = [
        (w["number"], f.number),
        (w["date"], ctx.d(f.issue_date)),
        (w["guest"], f.refs["guest"]),
        (w["room"], f.refs["room"]),
        (w["arrival"], ctx.d(f.dates["arrival"])),
        (w["departure"], ctx.d(f.dates["departure"])),
    ]
    blocks.pairs(ctx, 340, 125, meta, label_width=85, size=9, lead=13)
    c.text(left, 230, w["title"], font=ctx.bold, size=14)
    cols = [
        Column("date", w["date"], 70),
        Column("description", w["text"], 220),
        Column("quantity", w["qty"], 40, "right"),
        Column("unit_price", w["price"], 80, "right"),
        Column("amount", f"{w['amount']} {f.currency}", right - left - 410, "right"),
    ]
    style = TableStyle(
        font=ctx.font, header_font=ctx.bold, size=9, header_size=8.5, header_rule=True, leading=11.5
    )
    bottom = c.height - 70
    y = blocks.items(ctx, left, 240, cols, style, bottom=bottom)
    tot: list[blocks.TotalRow] = [
        (w["total"], ctx.m(f.total), True),
        (w["paid"], ctx.m(-f.paid), False),
        (w["balance"], ctx.m(f.balance), False),
    ]
    y = blocks.room_for(ctx, y, 60 + 14 * (len(f.tax_rows) + 5), bottom)
    y = blocks.totals(ctx, right - 220, right - 4, y + 18, tot, size=9.5, rule_before_last=False)
    # VAT breakdown: rate, net, VAT, gross per rate, the only place the tax is printed.
    y += 6
    heads = [
        (w["vat"], left, "left"),
        (w["net"], left + 150, "right"),
        (w["vat"], left + 240, "right"),
        (w["gross"], left + 330, "right"),
    ]
    for text, x, align in heads:
        c.text(x, y, text, font=ctx.bold, size=8.5, align=align)  # type: ignore[arg-type]
    c.rule(left, y + 3, left + 330, width=0.4, color=LIGHT)
    for row in f.tax_rows:
        y += 12
        c.text(left, y, ctx.pct(row.rate), font=ctx.font, size=8.5)
        for x, value in ((left + 150, row.base), (left + 240, row.tax), (left + 330, row.gross)):
            c.text(x, y, ctx.m(value), font=ctx.font, size=8.5, align="right")
    y += 12
    c.rule(left, y - 8, left + 330, width=0.4, color=LIGHT)
    c.text(left, y + 2, "Σ", font=ctx.bold, size=8.5)
    for x, value in ((left + 150, f.subtotal), (left + 240, f.tax), (left + 330, f.total)):
        c.text(x, y + 2, ctx.m(value), font=ctx.bold, size=8.5, align="right")
    blocks.footer(
        ctx,
        c.height - 40,
        [
            [v.name, f"{ctx.label('vat_id')} {v.vat_id}"],
            [v.website or "", v.email or ""],
            [f"IBAN {v.ids['iban']}"],
        ],
        size=6.8,
    )


HOTEL_FOLIO = Layout(
    "hotel_folio",
    "Hotel folio (gross prices per night, VAT breakdown, settled by card)",
    ("de-DE", "en-GB", "fr-FR", "it-IT"),
    _build_hotel,
    _draw_hotel,
    long_tables=False,
)


# --- Restaurant / catering bill ------------------------------------------------------------------

CATERING = dict(
    de=dict(
        title="Rechnung",
        event="Veranstaltung",
        guests="Personen",
        number="Rechnungs-Nr.",
        date="Datum",
        table="Tisch",
        qty="Menge",
        text="Artikel",
        price="Einzelpreis",
        amount="Summe",
        total="Gesamtsumme",
        incl="Im Gesamtbetrag sind enthalten:",
        vat="MwSt. {rate} auf {base}",
        thanks="Vielen Dank für Ihren Besuch!",
        host="Bewirtete Personen / Anlass:",
        due="Zahlbar bis",
    ),
    fr=dict(
        title="Facture",
        event="Événement",
        guests="couverts",
        number="Facture n°",
        date="Date",
        table="Table",
        qty="Qté",
        text="Article",
        price="P.U. TTC",
        amount="Total TTC",
        total="Total TTC",
        incl="Dont TVA :",
        vat="TVA {rate} sur {base}",
        thanks="Merci de votre visite !",
        host="Objet :",
        due="À régler avant le",
    ),
    it=dict(
        title="Fattura",
        event="Evento",
        guests="coperti",
        number="Fattura n.",
        date="Data",
        table="Tavolo",
        qty="Q.tà",
        text="Articolo",
        price="Prezzo",
        amount="Importo",
        total="Totale",
        incl="di cui IVA:",
        vat="IVA {rate} su {base}",
        thanks="Grazie e arrivederci!",
        host="Causale:",
        due="Scadenza",
    ),
    es=dict(
        title="Factura",
        event="Evento",
        guests="comensales",
        number="Factura nº",
        date="Fecha",
        table="Mesa",
        qty="Cant.",
        text="Artículo",
        price="Precio",
        amount="Importe",
        total="Total",
        incl="IVA incluido:",
        vat="IVA {rate} s/ {base}",
        thanks="¡Gracias por su visita!",
        host="Concepto:",
        due="Vencimiento",
    ),
    en=dict(
        title="Invoice",
        event="Event",
        guests="guests",
        number="Invoice no.",
        date="Date",
        table="Table",
        qty="Qty",
        text="Item",
        price="Price",
        amount="Amount",
        total="Total",
        incl="Total includes:",
        vat="VAT {rate} on {base}",
        thanks="Thank you for dining with us!",
        host="Occasion:",
        due="Due date",
    ),
)
FOOD_RATE = {
    "fr-FR": ("0.10", "0.20"),
    "it-IT": ("0.10", "0.10"),
    "es-ES": ("0.10", "0.10"),
    "en-GB": ("0.20", "0.20"),
}


def _build_catering(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    country = COUNTRY[loc.tag]
    facts = basic_facts(
        rng,
        loc,
        names,
        vendor_country=country,
        domain="catering",
        lines=cap(span, 8),
        rate=Decimal("0.19"),
        pattern=rng.choice(["slash", "hotel", "it"]),
        terms=(7, 14),
        vendor_sector=False,
    )
    place = {"de": "Gasthaus", "fr": "Brasserie", "it": "Trattoria", "es": "Restaurante", "en": "The"}[
        loc.language
    ]
    facts.vendor.name = (
        f"{place} {facts.vendor.brand} {facts.vendor.name.split()[-1]}"
        if loc.language != "en"
        else f"The {facts.vendor.brand} Kitchen {facts.vendor.name.split()[-1]}"
    )
    if loc.tag == "de-DE":
        # Food served in restaurants was taxed at 7 % in 2023 and at 19 % again from 2024.
        food = "0.07" if facts.issue_date.year == 2023 else "0.19"
        drinks = "0.19"
    else:
        food, drinks = FOOD_RATE[loc.tag]
    for line in facts.lines:
        wine = any(word in line.description.lower() for word in ("wein", "vin", "wine", "vino"))
        line.rate = Decimal(drinks if wine else food)
    facts.prices_include_tax = True
    facts.customer_printed = rng.random() < 0.8
    facts.refs["guests"] = str(rng.randint(6, 60))
    return facts


def _draw_catering(ctx: Ctx) -> None:
    c, f, rng = ctx.canvas, ctx.facts, ctx.rng
    w = CATERING[ctx.language]
    ctx.money_style = rng.choice(["plain", "symbol"])
    ctx.font, ctx.bold = ("tiro", "tibo") if rng.random() < 0.6 else ("helv", "hebo")
    v, cust = f.vendor, f.customer
    assert cust is not None
    left, right = 60.0, c.width - 60
    c.text(c.width / 2, 70, v.name, font=ctx.bold, size=22, color=ctx.accent, align="center")
    c.text(c.width / 2, 88, " · ".join(v.address), font=ctx.font, size=8.5, align="center", color=GREY)
    c.text(c.width / 2, 100, f"{v.phone} · {v.email}", font=ctx.font, size=8.5, align="center", color=GREY)
    if f.customer_printed:
        blocks.party(ctx, left, 150, cust, size=10, bold_name=False)
    meta = [
        (w["number"], f.number),
        (w["date"], ctx.d(f.issue_date)),
        (w["event"], f"{ctx.d(f.dates['delivery'])}, {f.refs['guests']} {w['guests']}"),
    ]
    if f.due_date and f.customer_printed:
        meta.append((w["due"], ctx.d(f.due_date)))
    blocks.pairs(ctx, 330, 150, meta, label_width=80, size=9.5, lead=14)
    c.text(left, 245, w["title"], font=ctx.bold, size=16)
    cols = [
        Column("quantity", w["qty"], 45, "right"),
        Column("description", w["text"], 245),
        Column("unit_price", w["price"], 80, "right"),
        Column("amount", w["amount"], right - left - 370, "right"),
    ]
    style = TableStyle(
        font=ctx.font, header_font=ctx.bold, size=10, header_size=9, header_rule=True, leading=13
    )
    bottom = c.height - 70
    y = blocks.items(ctx, left, 258, cols, style, bottom=bottom)
    y = blocks.totals(
        ctx,
        right - 230,
        right - 4,
        y + 22,
        [(f"{w['total']} {f.currency}", ctx.m(f.total), True)],
        size=11,
        double_rule=True,
    )
    c.text(left, y + 8, w["incl"], font=ctx.font, size=9)
    y += 8
    for row in f.tax_rows:
        y += 12
        c.text(
            left + 10, y, w["vat"].format(rate=ctx.pct(row.rate), base=ctx.m(row.base)), font=ctx.font, size=9
        )
        c.text(left + 260, y, ctx.m(row.tax), font=ctx.font, size=9, align="right")
    f.subtotal_printed = False
    c.text(c.width / 2, y + 50, w["thanks"], font=ctx.font, size=10, align="center")
    blocks.footer(
        ctx,
        c.height - 40,
        [[f"{v.name} · {ctx.label('vat_id')} {v.vat_id} · IBAN {v.ids['iban']}"]],
        size=7,
        left=left,
        right=right,
    )


CATERING_BILL = Layout(
    "catering_bill",
    "Restaurant/catering bill (gross prices, VAT contained, food vs drinks)",
    ("de-DE", "fr-FR", "it-IT", "es-ES", "en-GB"),
    _build_catering,
    _draw_catering,
    long_tables=False,
)

LAYOUTS = (UTILITY, TELECOM_BILL, HOTEL_FOLIO, CATERING_BILL)
