"""National business-letter invoices of the north-west: German DIN 5008, Dutch factuur, French
facture (Spanish and Italian ones are in ``european_south``)."""

from __future__ import annotations

import random
from decimal import Decimal

from tests.support.invoice_set.compose import Names
from tests.support.invoice_set.facts import Adjustment, InvoiceFacts
from tests.support.invoice_set.layouts import blocks
from tests.support.invoice_set.layouts.base import Ctx, Layout, LineSpan, basic_facts
from tests.support.invoice_set.money import Locale, cents
from tests.support.invoice_set.render import GREY, PALE, Column, TableStyle

MM = 72 / 25.4


# --- Germany: DIN 5008 business letter -------------------------------------------------------


def _build_din(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    facts = basic_facts(
        rng,
        loc,
        names,
        vendor_country="DE",
        domain=rng.choice(["services", "goods"]),
        lines=span,
        rate=Decimal("0.19"),
        pattern=rng.choice(["re", "datev", "re"]),
        terms=(14, 30, 10),
    )
    facts.vendor.ids["court"] = f"Amtsgericht {facts.vendor.address[-1].split(' ', 1)[1]}"
    facts.vendor.ids["hrb"] = f"HRB {rng.randint(10000, 99999)}"
    if rng.random() < 0.3 and len(facts.lines) > 1:
        pct = Decimal(rng.choice([2, 3, 5, 10]))
        facts.adjustments.append(
            Adjustment("discount", -cents(facts.lines_total * pct / 100), before_subtotal=True, percent=pct)
        )
    return facts


def _draw_din(ctx: Ctx) -> None:
    c, f, rng = ctx.canvas, ctx.facts, ctx.rng
    ctx.font, ctx.bold = rng.choice([("helv", "hebo"), ("helv", "hebo"), ("tiro", "tibo")])
    ctx.money_style = rng.choice(["plain", "symbol"])
    left, right = 25 * MM, 190 * MM
    v = f.vendor
    # Letterhead: a wordmark top-right, or the full name top-left.
    if rng.random() < 0.5:
        blocks.wordmark(
            ctx, right, 22 * MM, v.brand, style=rng.choice(["caps", "serif"]), size=22, align="right"
        )
        c.text(right, 27 * MM, v.name, font=ctx.font, size=8, color=GREY, align="right")
    else:
        c.text(left, 22 * MM, v.name, font=ctx.bold, size=17, color=ctx.accent)
        c.text(left, 27 * MM, " · ".join([*v.address, v.phone or ""]), font=ctx.font, size=8, color=GREY)
    # Return-address line over the window, then the recipient.
    sender = " · ".join([v.name, *v.address])
    c.text(left, 49 * MM, sender, font=ctx.font, size=6.5)
    c.rule(left, 50 * MM, left + c.measure(sender, ctx.font, 6.5), width=0.3)
    cust = f.customer
    assert cust is not None
    y = 60 * MM
    if rng.random() < 0.4:
        c.text(left, y, "Firma", font=ctx.font, size=10)
        y += 13
    c.text(left, y, cust.name, font=ctx.font, size=10)
    y += 13
    if cust.contact and rng.random() < 0.5:
        c.text(left, y, f"z. Hd. {cust.contact}", font=ctx.font, size=10)
        y += 13
    c.lines(left, y, cust.address, font=ctx.font, size=10, leading=13)
    # Information block beside the window.
    info = [
        ("Rechnungsnummer" if rng.random() < 0.6 else "Rechnung Nr.", f.number),
        ("Kundennummer", f.refs["customer_no"]),
        ("Rechnungsdatum", ctx.d(f.issue_date)),
        ("Lieferdatum" if rng.random() < 0.6 else "Leistungsdatum", ctx.d(f.dates["delivery"])),
    ]
    if rng.random() < 0.5:
        info.append(("Ihre Bestellung", f"{f.refs['order_no']} vom {ctx.d(f.dates['order'])}"))
    info += [("Ansprechpartner", v.contact or ""), ("Telefon", v.phone or "")]
    blocks.pairs(ctx, 125 * MM, 52 * MM, info, label_width=32 * MM, size=8.5, lead=11.5)
    # Subject, salutation, table.
    c.text(
        left,
        103 * MM,
        f"Rechnung Nr. {f.number}" if rng.random() < 0.5 else "Rechnung",
        font=ctx.bold,
        size=12,
    )
    intro = rng.choice(
        [
            "vielen Dank für Ihren Auftrag. Wir berechnen Ihnen folgende Lieferungen und Leistungen:",
            "für die erbrachten Leistungen erlauben wir uns, wie folgt zu berechnen:",
        ]
    )
    c.text(left, 113 * MM, "Sehr geehrte Damen und Herren,", font=ctx.font, size=10)
    c.text(left, 119 * MM, intro, font=ctx.font, size=10)
    cols = [
        Column("pos", "Pos.", 28),
        Column("quantity", "Menge", 40, "right"),
        Column("unit", "Einheit", 42),
        Column("description", "Bezeichnung", 200),
        Column("unit_price", "Einzelpreis", 75, "right"),
        Column("amount", "Gesamtpreis", right - left - 385, "right"),
    ]
    style = TableStyle(
        font=ctx.font,
        header_font=ctx.bold,
        size=9,
        header_size=8.5,
        header_fill=PALE,
        header_rule=True,
        row_rules=rng.random() < 0.5,
        leading=11.5,
    )
    bottom = c.height - 38 * MM
    y = blocks.items(ctx, left, 125 * MM, cols, style, bottom=bottom, carry="Übertrag", top=25 * MM)
    # Totals.
    sum_rows: list[blocks.TotalRow] = []
    if f.pre_adjustments:
        adj = f.pre_adjustments[0]
        sum_rows += [
            ("Summe Positionen", ctx.m(f.lines_total), False),
            (f"abzgl. {ctx.q(adj.percent or Decimal(0))} % Rabatt", ctx.m(adj.amount), False),
        ]
    sum_rows += [("Nettobetrag" if rng.random() < 0.6 else "Summe netto", ctx.m(f.subtotal), False)]
    sum_rows += blocks.tax_rows(ctx, "zzgl. {rate} MwSt." if rng.random() < 0.6 else "Umsatzsteuer {rate}")
    sum_rows += [("Gesamtbetrag" if rng.random() < 0.6 else "Rechnungsbetrag", ctx.m(f.total), True)]
    y = blocks.room_for(ctx, y + 6, 22 + 15 * len(sum_rows) + 70, bottom, 25 * MM)
    y = blocks.totals(ctx, right - 210, right - 4, y + 14, sum_rows, size=9.5, double_rule=True)
    due = ctx.d(f.due_date) if f.due_date else ""
    text = rng.choice(
        [
            f"Bitte überweisen Sie den Rechnungsbetrag bis zum {due} ohne Abzug "
            "auf das unten genannte Konto.",
            f"Zahlbar innerhalb von {f.terms_days} Tagen ohne Abzug bis zum {due}.",
        ]
    )
    y = c.lines(left, y + 10, c.wrap(text, right - left, ctx.font, 9.5), font=ctx.font, size=9.5)
    c.lines(left, y + 10, ["Mit freundlichen Grüßen", "", v.contact or ""], font=ctx.font, size=9.5)
    # Footer: address, contact, bank, register.
    blocks.footer(
        ctx,
        c.height - 24 * MM,
        [
            [v.name, *v.address],
            [f"Tel. {v.phone}", f"E-Mail: {v.email}", v.website or ""],
            [
                "Bankverbindung",
                rng.choice(["Hansa Sparkasse", "Volksbank Mittelland", "Nordbank eG"]),
                f"IBAN {v.ids['iban']}",
                f"BIC {rng.choice(['HASPDEHHXXX', 'GENODEF1M01', 'NOLADE21XXX'])}",
            ],
            [f"Geschäftsführer: {v.contact}", f"{v.ids['court']} {v.ids['hrb']}", f"USt-IdNr. {v.vat_id}"],
        ],
        left=left,
        right=right,
    )
    # Above the letterhead's name on follow-on pages, clear of the carried-forward line.
    blocks.page_numbers(ctx, 14 * MM, "Seite {n} von {of}", x=right)
    # Fold and punch marks at the left edge, as on a printed DIN letter.
    for mark, length in ((105, 8), (148.5, 12), (210, 8)):
        for index in range(c.page_count):
            c.goto(index)
            c.rule(4 * MM, mark * MM, 4 * MM + length, width=0.4, color=GREY)
    c.goto(c.page_count - 1)


DIN5008 = Layout("din5008", "German business letter (DIN 5008, Form B)", ("de-DE",), _build_din, _draw_din)


# --- Netherlands: factuur --------------------------------------------------------------------


def _build_nl(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    facts = basic_facts(
        rng,
        loc,
        names,
        vendor_country="NL",
        domain=rng.choice(["services", "goods", "catering"]),
        lines=span,
        rate=Decimal("0.21"),
        pattern=rng.choice(["nl", "slash", "f"]),
        terms=(14, 30),
    )
    if rng.random() < 0.4:
        # Food and books carry the low rate in the Netherlands; a mixed invoice shows both.
        for line in facts.lines[::2]:
            line.rate = Decimal("0.09")
    facts.vendor.ids["kvk"] = str(rng.randint(10000000, 99999999))
    return facts


def _draw_nl(ctx: Ctx) -> None:
    c, f, rng = ctx.canvas, ctx.facts, ctx.rng
    ctx.money_style = "symbol"
    v, cust = f.vendor, f.customer
    assert cust is not None
    left, right = 50.0, c.width - 50
    # Seller top-right as a letterhead block; "FACTUUR" big on the left.
    blocks.wordmark(
        ctx, right, 62, v.brand, style=rng.choice(["caps", "serif", "caps"]), size=20, align="right"
    )
    c.lines(
        right,
        80,
        [v.name, *v.address, v.phone or "", v.email or ""],
        font=ctx.font,
        size=8,
        align="right",
        color=GREY,
    )
    c.text(
        left, 150, "FACTUUR" if rng.random() < 0.6 else "Factuur", font=ctx.bold, size=24, color=ctx.accent
    )
    blocks.party(ctx, left, 185, cust, title="Klant" if rng.random() < 0.5 else "Factuur aan", size=9.5)
    meta = [("Factuurnummer", f.number), ("Factuurdatum", ctx.d(f.issue_date))]
    if f.due_date:
        meta.append(("Vervaldatum", ctx.d(f.due_date)))
    meta += [("Klantnummer", f.refs["customer_no"]), ("Uw referentie", f.refs["order_no"])]
    blocks.pairs(ctx, 330, 185, meta, label_width=90, size=9, bold_labels=True)
    cols = [
        Column("description", "Omschrijving", 230),
        Column("quantity", "Aantal", 50, "right"),
        Column("unit_price", "Prijs", 75, "right"),
        Column("rate", "Btw", 40, "right"),
        Column("amount", "Bedrag", right - left - 395, "right"),
    ]
    style = TableStyle(
        size=9,
        header_size=8.5,
        header_fill=ctx.accent,
        header_color=(1, 1, 1),
        header_rule=False,
        row_rules=True,
        leading=11.5,
    )
    bottom = c.height - 90
    y = blocks.items(ctx, left, 290, cols, style, bottom=bottom, continued="Vervolg op volgende pagina")
    rows: list[blocks.TotalRow] = [("Totaal excl. btw", ctx.m(f.subtotal), False)]
    rows += blocks.tax_rows(ctx, "btw {rate}" if len(f.rates) == 1 else "btw {rate} over {base}")
    rows += [("Totaal incl. btw", ctx.m(f.total), True)]
    y = blocks.room_for(ctx, y + 4, 30 + 16 * len(rows) + 60, bottom)
    y = blocks.totals(ctx, right - 220, right - 4, y + 16, rows, size=9.5, box_last=PALE)
    due = ctx.d(f.due_date) if f.due_date else ""
    text = (
        f"Wij verzoeken u vriendelijk het totaalbedrag vóór {due} over te maken op rekeningnummer "
        f"{v.ids['iban']} t.n.v. {v.name} onder vermelding van het factuurnummer."
    )
    c.lines(left, y + 14, c.wrap(text, right - left, ctx.font, 8.5), font=ctx.font, size=8.5)
    blocks.footer(
        ctx,
        c.height - 48,
        [
            [v.name, " ".join(v.address)],
            [f"KvK {v.ids['kvk']}", f"Btw-nr. {v.vat_id}"],
            [f"IBAN {v.ids['iban']}", v.website or ""],
        ],
    )
    blocks.page_numbers(ctx, c.height - 60, "Pagina {n} van {of}")


FACTUUR_NL = Layout(
    "factuur_nl", "Dutch factuur (KvK/btw footer, mixed 21 %/9 %)", ("nl-NL",), _build_nl, _draw_nl
)


# --- France: facture -------------------------------------------------------------------------


def _build_fr(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    facts = basic_facts(
        rng,
        loc,
        names,
        vendor_country="FR",
        domain=rng.choice(["services", "goods"]),
        lines=span,
        rate=Decimal("0.20"),
        pattern=rng.choice(["f", "odoo_fr", "f"]),
        terms=(30, 45, 60),
    )
    siren = "".join(str(rng.randint(0, 9)) for _ in range(9))
    facts.vendor.ids.update(
        siret=f"{siren[:3]} {siren[3:6]} {siren[6:]} {rng.randint(10000, 99999)}",
        rcs=f"RCS {facts.vendor.address[-1].split(' ', 1)[1].title()} B {siren[:3]} {siren[3:6]} {siren[6:]}",
        ape=f"{rng.randint(10, 96)}{rng.randint(10, 99)}Z",
    )
    if rng.random() < 0.35:
        facts.paid = cents(Decimal(rng.choice([0.3, 0.5])) * facts.lines_total * Decimal("1.2"))
    return facts


def _draw_fr(ctx: Ctx) -> None:
    c, f, rng = ctx.canvas, ctx.facts, ctx.rng
    ctx.money_style = rng.choice(["symbol", "plain"])
    v, cust = f.vendor, f.customer
    assert cust is not None
    left, right = 45.0, c.width - 45
    top_right_name = rng.random() < 0.5
    y0 = 60
    # Seller block top-left; "FACTURE" and its number in a box top-right.
    blocks.wordmark(ctx, left, y0, v.brand, style=rng.choice(["circle", "block"]), size=18)
    c.lines(left, y0 + 22, [v.name, *v.address, f"Tél. {v.phone}", v.email or ""], font=ctx.font, size=8.5)
    c.box(right - 200, y0 - 18, right, y0 + 40, stroke=ctx.accent, width=1)
    c.text(right - 100, y0 + 2, "FACTURE", font=ctx.bold, size=16, color=ctx.accent, align="center")
    c.text(right - 100, y0 + 26, f"N° {f.number}", font=ctx.bold, size=10.5, align="center")
    y = 175.0
    blocks.party(
        ctx,
        320,
        y,
        cust,
        title="Facturé à" if top_right_name else "Client",
        size=9.5,
        extra=[f"N° TVA : {cust.vat_id}"],
    )
    meta = [
        ("Date de facture", ctx.d(f.issue_date, "long" if rng.random() < 0.4 else "numeric")),
        ("Date d'échéance" if rng.random() < 0.5 else "Échéance", ctx.d(f.due_date) if f.due_date else ""),
        ("Date de livraison", ctx.d(f.dates["delivery"])),
        ("Réf. client", f.refs["customer_no"]),
    ]
    blocks.pairs(ctx, left, y, meta, label_width=95, size=9, colon=True)
    cols = [
        Column("description", "Désignation", 225),
        Column("quantity", "Qté", 45, "right"),
        Column("unit", "Unité", 45),
        Column("unit_price", "PU HT", 80, "right"),
        Column("amount", "Montant HT", right - left - 395, "right"),
    ]
    style = TableStyle(size=9, header_size=8.5, grid=True, header_fill=PALE, leading=11.5, rule_color=GREY)
    bottom = c.height - 95
    y = blocks.items(ctx, left, 260, cols, style, bottom=bottom, continued="Suite page suivante")
    rows: list[blocks.TotalRow] = [("Total HT", ctx.m(f.subtotal), False)]
    rows += blocks.tax_rows(ctx, "TVA {rate}")
    rows += [("Total TTC", ctx.m(f.total), True)]
    if f.paid:
        rows += [("Acompte versé", ctx.m(-f.paid), False), ("Net à payer", ctx.m(f.balance), True)]
    y = blocks.room_for(ctx, y, 40 + 16 * len(rows) + 70, bottom)
    y = blocks.grid_right(ctx, right - 230, y + 12, [(r[0], r[1]) for r in rows], 130, 100, size=9)
    text = (
        "En cas de retard de paiement, une pénalité égale à trois fois le taux d'intérêt légal sera "
        "exigible, ainsi qu'une indemnité forfaitaire pour frais de recouvrement de 40 €. "
        "Pas d'escompte pour paiement anticipé."
    )
    y = c.lines(
        left, y + 18, [f"Conditions de paiement : {f.terms_days} jours par virement"], font=ctx.bold, size=8.5
    )
    c.lines(left, y, c.wrap(text, right - left, ctx.font, 7.5), font=ctx.font, size=7.5, color=GREY)
    legal = (
        f"{v.name} au capital de {rng.choice(['10 000', '37 000', '50 000', '120 000'])} € · "
        f"SIRET {v.ids['siret']} · {v.ids['rcs']} · APE {v.ids['ape']} · TVA intracommunautaire {v.vat_id}"
    )
    bank = f"IBAN {v.ids['iban']} · BIC {rng.choice(['CCBPFRPPLYO', 'AGRIFRPP882', 'SOGEFRPP'])}"
    blocks.footer(
        ctx, c.height - 50, [c.wrap(legal, right - left, ctx.font, 6.8) + [bank]], left=left, right=right
    )
    blocks.page_numbers(ctx, c.height - 62, "Page {n}/{of}", x=right)


FACTURE_FR = Layout(
    "facture_fr",
    "French facture (HT/TVA/TTC, SIRET, RCS, late-payment notice)",
    ("fr-FR",),
    _build_fr,
    _draw_fr,
)


LAYOUTS = (DIN5008, FACTUUR_NL, FACTURE_FR)
