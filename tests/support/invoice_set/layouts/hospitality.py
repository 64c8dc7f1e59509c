"""Hospitality bills: hotel folios and restaurant/catering bills, both priced gross (VAT
contained in the total and shown in a breakdown per rate)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from tests.support.invoice_set import compose
from tests.support.invoice_set.compose import Names
from tests.support.invoice_set.facts import InvoiceFacts, Line
from tests.support.invoice_set.layouts import blocks
from tests.support.invoice_set.layouts.base import Ctx, Layout, LineSpan, basic_facts, cap
from tests.support.invoice_set.layouts.countries import COUNTRY
from tests.support.invoice_set.money import Locale, cents
from tests.support.invoice_set.render import GREY, LIGHT, Column, TableStyle

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

LAYOUTS = (HOTEL_FOLIO, CATERING_BILL)
