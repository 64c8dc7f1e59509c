"""Layouts used only in the held-out split, so its figures include layouts no mapper rule
was developed on: a Swiss QR-bill invoice, a UK trade invoice whose seller is named only in
its footer, a US law-firm bill, and the courtesy copy of an Italian e-invoice (FatturaPA)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from tests.support.invoice_set import compose, vocab
from tests.support.invoice_set.compose import Names
from tests.support.invoice_set.facts import InvoiceFacts, Line
from tests.support.invoice_set.layouts import blocks
from tests.support.invoice_set.layouts.base import Ctx, Layout, LineSpan, basic_facts
from tests.support.invoice_set.money import Locale, number
from tests.support.invoice_set.render import BLACK, GREY, LETTER, PALE, WHITE, Column, TableStyle

MM = 72 / 25.4
HELDOUT = ("heldout",)


# --- Switzerland: invoice with QR-bill payment part --------------------------------------------


def _build_ch(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    facts = basic_facts(
        rng,
        loc,
        names,
        vendor_country="CH",
        domain=rng.choice(["services", "goods"]),
        lines=span,
        rate=Decimal("0.081"),
        pattern=rng.choice(["re", "slash"]),
        terms=(30,),
    )
    if facts.issue_date.year < 2024:
        # Swiss VAT went from 7.7 % to 8.1 % on 1 January 2024.
        for line in facts.lines:
            line.rate = Decimal("0.077")
    facts.vendor.ids["iban"] = compose.iban(rng, "CH")
    facts.refs["qr_ref"] = "".join(str(rng.randint(0, 9)) for _ in range(27))
    return facts


def _qr_modules(ctx: Ctx, x: float, y: float, size: float) -> None:
    """A QR-code-like square with the Swiss cross (the payload itself is not encoded)."""
    c, rng = ctx.canvas, ctx.rng
    n = 33
    cell = size / n
    corners = ((0, 0), (0, n - 7), (n - 7, 0))
    for row in range(n):
        for col in range(n):
            finder = [(r0, c0) for r0, c0 in corners if r0 <= row < r0 + 7 and c0 <= col < c0 + 7]
            if finder:
                r0, c0 = finder[0]
                # Finder pattern: dark ring, light ring, dark 3x3 core.
                on = min(row - r0, col - c0, r0 + 6 - row, c0 + 6 - col) != 1
            else:
                on = rng.random() < 0.48
            if on:
                c.box(
                    x + col * cell,
                    y + row * cell,
                    x + (col + 1) * cell,
                    y + (row + 1) * cell,
                    stroke=None,
                    fill=BLACK,
                )
    mid_x, mid_y, half = x + size / 2, y + size / 2, 3.5 * MM
    c.box(mid_x - half, mid_y - half, mid_x + half, mid_y + half, stroke=WHITE, fill=BLACK, width=1.2)
    arm, thick = half * 0.6, half * 0.2
    c.box(mid_x - thick, mid_y - arm, mid_x + thick, mid_y + arm, stroke=None, fill=WHITE)
    c.box(mid_x - arm, mid_y - thick, mid_x + arm, mid_y + thick, stroke=None, fill=WHITE)


def _draw_ch(ctx: Ctx) -> None:
    c, f, rng = ctx.canvas, ctx.facts, ctx.rng
    ctx.money_style = "code_before"
    v, cust = f.vendor, f.customer
    assert cust is not None
    left, right = 22 * MM, 190 * MM
    blocks.wordmark(ctx, left, 25 * MM, v.brand, style=rng.choice(["block", "circle"]), size=18)
    c.lines(
        right,
        18 * MM,
        [v.name, *v.address, v.phone or "", v.vat_id or ""],
        font=ctx.font,
        size=8,
        align="right",
    )
    blocks.party(ctx, 118 * MM, 55 * MM, cust, size=10, bold_name=False)
    c.text(left, 90 * MM, "Rechnung", font=ctx.bold, size=16)
    meta = [
        ("Rechnungsnummer", f.number),
        ("Rechnungsdatum", ctx.d(f.issue_date)),
        ("Kundennummer", f.refs["customer_no"]),
        ("Zahlbar bis", ctx.d(f.due_date) if f.due_date else ""),
    ]
    blocks.pairs(ctx, left, 98 * MM, meta, label_width=35 * MM, size=9, lead=12)
    cols = [
        Column("description", "Bezeichnung", 230),
        Column("quantity", "Menge", 50, "right"),
        Column("unit_price", "Preis CHF", 75, "right"),
        Column("amount", "Betrag CHF", right - left - 355, "right"),
    ]
    style = TableStyle(size=9, header_size=8.5, header_rule=True, row_rules=True, leading=11.5)
    ctx.money_style = "plain"
    slip_top = c.height - 105 * MM
    y = blocks.items(ctx, left, 122 * MM, cols, style, bottom=slip_top - 20)
    tot: list[blocks.TotalRow] = [("Total exkl. MWST", ctx.m(f.subtotal), False)]
    tot += blocks.tax_rows(ctx, "MWST {rate}")
    tot += [("Total CHF", ctx.m(f.total), True)]
    y = blocks.room_for(ctx, y, 20 + 16 * len(tot) + 30, slip_top - 10)
    blocks.totals(ctx, right - 200, right - 4, y + 16, tot, size=9.5)
    c.text(
        left,
        slip_top - 14,
        f"Zahlbar innert {f.terms_days} Tagen netto. MWST-Nr. {v.vat_id}",
        font=ctx.font,
        size=8,
    )
    # The QR-bill payment part at the foot of the last page: receipt | payment part.
    c.rule(0, slip_top, c.width, width=0.4, dashes="[3 2] 0")
    c.text(
        c.width / 2,
        slip_top - 3,
        "Vor der Einzahlung abzutrennen",
        font=ctx.font,
        size=6,
        color=GREY,
        align="center",
    )
    c.vrule(62 * MM, slip_top, c.height, width=0.4)
    amount = number(f.total, ctx.loc).replace("'", " ")
    iban = v.ids["iban"]
    ref = f.refs["qr_ref"]
    ref_text = f"{ref[:2]} {' '.join(ref[i : i + 5] for i in range(2, 27, 5))}"
    y0 = slip_top + 12 * MM
    c.text(5 * MM, slip_top + 8 * MM, "Empfangsschein", font="hebo", size=11)
    y = c.lines(5 * MM, y0, ["Konto / Zahlbar an"], font="hebo", size=6, leading=9)
    y = c.lines(5 * MM, y, [iban, v.name, *v.address[:2]], font="helv", size=8, leading=9)
    y = c.lines(5 * MM, y + 4, ["Referenz"], font="hebo", size=6, leading=9)
    y = c.lines(5 * MM, y, [ref_text], font="helv", size=8, leading=9)
    y = c.lines(5 * MM, y + 4, ["Zahlbar durch"], font="hebo", size=6, leading=9)
    c.lines(5 * MM, y, [cust.name, *cust.address[:2]], font="helv", size=8, leading=9)
    c.lines(5 * MM, slip_top + 70 * MM, ["Währung      Betrag"], font="hebo", size=6, leading=9)
    c.lines(5 * MM, slip_top + 74 * MM, [f"CHF          {amount}"], font="helv", size=8)
    c.text(57 * MM, slip_top + 85 * MM, "Annahmestelle", font="hebo", size=6, align="right")
    x = 67 * MM
    c.text(x, slip_top + 8 * MM, "Zahlteil", font="hebo", size=11)
    _qr_modules(ctx, x, slip_top + 17 * MM, 46 * MM)
    c.lines(x, slip_top + 72 * MM, ["Währung      Betrag"], font="hebo", size=8, leading=11)
    c.lines(x, slip_top + 77 * MM, [f"CHF          {amount}"], font="helv", size=10)
    x2 = 118 * MM
    y = c.lines(x2, slip_top + 10 * MM, ["Konto / Zahlbar an"], font="hebo", size=8, leading=11)
    y = c.lines(x2, y, [iban, v.name, *v.address[:2]], font="helv", size=10, leading=11)
    y = c.lines(x2, y + 4, ["Referenz"], font="hebo", size=8, leading=11)
    y = c.lines(x2, y, [ref_text], font="helv", size=10, leading=11)
    y = c.lines(x2, y + 4, ["Zusätzliche Informationen"], font="hebo", size=8, leading=11)
    y = c.lines(x2, y, [f"Rechnung {f.number}"], font="helv", size=10, leading=11)
    y = c.lines(x2, y + 4, ["Zahlbar durch"], font="hebo", size=8, leading=11)
    c.lines(x2, y, [cust.name, *cust.address[:2]], font="helv", size=10, leading=11)


CH_QR = Layout(
    "ch_qr_bill",
    "Swiss Rechnung with QR-bill payment part (CHF 1'234.50, MWST 8.1 %)",
    ("de-CH",),
    _build_ch,
    _draw_ch,
    long_tables=False,
    splits=HELDOUT,
)


# --- UK trade invoice: seller named only in the footer -------------------------------------------


def _build_uk(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    facts = basic_facts(
        rng,
        loc,
        names,
        vendor_country="GB",
        domain="goods",
        lines=span,
        rate=Decimal("0.20"),
        pattern=rng.choice(["qb", "xero"]),
        terms=(30,),
        codes=True,
    )
    facts.vendor.ids["company_no"] = f"{rng.randint(1000000, 14999999):08d}"
    buyer = facts.customer.name if facts.customer else ""
    facts.refs["account_ref"] = "".join(ch for ch in buyer.upper() if ch.isalpha())[:6] + "01"
    return facts


def _draw_uk(ctx: Ctx) -> None:
    c, f, rng = ctx.canvas, ctx.facts, ctx.rng
    ctx.money_style = "plain"
    v, cust = f.vendor, f.customer
    assert cust is not None
    left, right = 36.0, c.width - 36
    # Only the brand in the letterhead; the legal name is in the registration footer.
    blocks.wordmark(ctx, left, 62, v.brand, style=rng.choice(["serif", "caps"]), size=26)
    c.lines(
        right,
        40,
        [*v.address, f"Tel: {v.phone}", v.email or "", v.website or ""],
        font=ctx.font,
        size=8,
        align="right",
    )
    c.text(left, 104, "SALES INVOICE", font=ctx.bold, size=13)
    for x, title in ((left, "Invoice To"), (300, "Deliver To")):
        c.box(x, 114, x + 250, 190, stroke=BLACK, width=0.6)
        c.box(x, 114, x + 250, 127, stroke=BLACK, fill=PALE, width=0.6)
        c.text(x + 5, 124, title, font=ctx.bold, size=8)
        c.lines(x + 8, 140, [cust.name, *cust.address], font=ctx.font, size=9, leading=11.5)
    cells = [
        ("Invoice No.", f.number),
        ("Date / Tax Point", ctx.d(f.issue_date)),
        ("Account Ref", f.refs["account_ref"]),
        ("Your Order No.", f.refs["order_no"]),
        ("Despatch Date", ctx.d(f.dates["delivery"])),
    ]
    blocks.boxes_under(ctx, left, 198, cells, [100, 100, 100, 110, right - left - 410], size=9, fill=PALE)
    rows = blocks.item_rows(ctx)
    for row in rows:
        row["vat_code"] = "S"
    cols = [
        Column("code", "Product Code", 70),
        Column("description", "Description", 205),
        Column("quantity", "Qty", 40, "right"),
        Column("unit_price", "Unit Price", 70, "right"),
        Column("amount", "Net Amount", 80, "right"),
        Column("vat_code", "VAT", right - left - 465, "center"),
    ]
    style = TableStyle(size=8.5, header_size=8, grid=True, header_fill=PALE, leading=11)
    bottom = c.height - 170
    y = blocks.items(ctx, left, 240, cols, style, bottom=bottom, rows=rows, continued="Continued...")
    y = blocks.room_for(ctx, y, 120, c.height - 70)
    # VAT analysis on the left, the three totals boxes on the right.
    tax = f.tax_rows[0]
    c.text(left, y + 18, "VAT Analysis", font=ctx.bold, size=8.5)
    blocks.boxes_under(
        ctx,
        left,
        y + 24,
        [("Code", "S"), ("Rate", "20.00%"), ("Net", ctx.m(tax.base)), ("VAT", ctx.m(tax.tax))],
        [40, 55, 80, 70],
        size=8.5,
    )
    blocks.grid_right(
        ctx,
        right - 200,
        y + 10,
        [
            ("Total Net Amount", ctx.m(f.subtotal)),
            ("Total VAT Amount", ctx.m(f.tax)),
            ("Invoice Total £", ctx.m(f.total)),
        ],
        110,
        90,
        size=9,
        fill=PALE,
    )
    c.text(
        left,
        y + 78,
        f"Terms: strictly {f.terms_days} days net. Payment by BACS to sort code "
        f"{rng.randint(10, 99)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}, "
        f"account {rng.randint(10**7, 10**8 - 1)}.",
        font=ctx.font,
        size=8,
    )
    reg = (
        f"{v.name}. Registered in England & Wales No. {v.ids['company_no']}. Registered office: "
        f"{', '.join(v.address)}. VAT Reg No. {v.vat_id}"
    )
    blocks.footer(
        ctx, c.height - 40, [c.wrap(reg, right - left, ctx.font, 7)], size=7, left=left, right=right
    )
    blocks.page_numbers(ctx, c.height - 52, "Page {n} of {of}", x=right)


UK_TRADE = Layout(
    "uk_trade",
    "UK trade invoice (boxed Sage-like form; seller's legal name only in the footer)",
    ("en-GB",),
    _build_uk,
    _draw_uk,
    splits=HELDOUT,
)


# --- US law firm --------------------------------------------------------------------------------

TASKS = (
    "Review and revise master services agreement",
    "Telephone conference with client re: indemnity terms",
    "Draft memorandum on non-compete enforceability",
    "Research case law on limitation of liability",
    "Prepare closing checklist",
    "Correspondence with opposing counsel",
    "Revise disclosure schedules",
    "Attend board meeting (by video)",
    "Draft lease amendment",
    "Review due diligence materials",
)
DISBURSEMENTS = (
    "Filing fee, Secretary of State",
    "Courier charges",
    "Certified copies",
    "Court reporter fee",
)


def _build_law(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    facts = basic_facts(
        rng,
        loc,
        names,
        vendor_country="US",
        domain="services",
        lines=span,
        rate=Decimal(0),
        pattern="qb",
        terms=(30,),
    )
    last = vocab.split_half(vocab.LAST_NAMES["en"], names.split)
    a, b = rng.sample(last, 2)
    facts.vendor.name = f"{a} & {b} LLP"
    facts.vendor.brand = f"{a} & {b}"
    partners = [
        (f"{rng.choice('ADJMRS')}{rng.choice('ABCKLW')}{n[0]}", compose.price(rng, 350, 720)) for n in (a, b)
    ] + [("PL", compose.price(rng, 140, 210))]
    count = compose.item_count(rng, span if span[0] >= 12 else (min(3, span[1]), min(14, span[1])))
    end = facts.issue_date.replace(day=1) - dt.timedelta(days=1)
    lines = []
    for _ in range(count):
        who, rate = rng.choice(partners)
        lines.append(
            Line(
                rng.choice(TASKS),
                Decimal(rng.randint(1, 16)) / 4 * Decimal(1),
                rate,
                Decimal(0),
                code=who,
                day=end - dt.timedelta(days=rng.randint(0, 27)),
            )
        )
    lines.sort(key=lambda line: line.day or end)
    for name in rng.sample(DISBURSEMENTS, rng.randint(0, 2)):
        lines.append(Line(name, Decimal(1), compose.price(rng, 15, 160), Decimal(0), code="", day=end))
    facts.lines = lines
    facts.tax_printed = False
    facts.subtotal_printed = False
    facts.dates["through"] = end
    facts.refs["matter"] = f"{facts.issue_date.year}-{rng.randint(1, 400):04d}"
    facts.refs["previous"] = str(compose.price(rng, 0, 4000)) if rng.random() < 0.5 else "0"
    return facts


def _draw_law(ctx: Ctx) -> None:
    c, f, rng = ctx.canvas, ctx.facts, ctx.rng
    ctx.font, ctx.bold = "tiro", "tibo"
    ctx.money_style = "plain"
    ctx.date_style = "numeric"
    v, cust = f.vendor, f.customer
    assert cust is not None
    left, right = 72.0, c.width - 72
    c.text(c.width / 2, 58, v.name.upper(), font="tibo", size=16, align="center")
    c.text(c.width / 2, 72, "ATTORNEYS AT LAW", font="tiro", size=8, align="center", color=GREY)
    c.text(c.width / 2, 86, " · ".join([*v.address, v.phone or ""]), font="tiro", size=8.5, align="center")
    c.rule(left, 94, right, width=0.5)
    c.text(left, 124, ctx.d(f.issue_date, "long"), font="tiro", size=10.5)
    blocks.party(ctx, left, 150, cust, size=10.5, bold_name=False)
    y = 150 + 13.6 * (len(cust.address) + 2)
    blocks.pairs(
        ctx,
        left,
        y,
        [
            ("Invoice No.", f.number),
            ("Client-Matter", f.refs["matter"]),
            (
                "Re:",
                rng.choice(
                    ["General corporate matters", "Commercial lease", "Asset purchase", "Employment advice"]
                ),
            ),
        ],
        label_width=90,
        size=10,
        lead=13,
    )
    y += 52
    c.text(
        left,
        y,
        f"For professional services rendered through {ctx.d(f.dates['through'], 'long')}:",
        font="tiit",
        size=10.5,
    )
    rows = blocks.item_rows(ctx)
    for row in rows:
        row["timekeeper"] = row["code"]
    cols = [
        Column("date", "Date", 62),
        Column("timekeeper", "Atty", 36),
        Column("description", "Description", 200),
        Column("quantity", "Hours", 40, "right"),
        Column("unit_price", "Rate", 50, "right"),
        Column("amount", "Amount", right - left - 388, "right"),
    ]
    style = TableStyle(font="tiro", header_font="tibo", size=9.5, header_size=9, header_rule=True, leading=12)
    bottom = c.height - 70
    y = blocks.items(ctx, left, y + 10, cols, style, bottom=bottom, rows=rows, continued="(continued)")
    previous = Decimal(f.refs["previous"])
    tot: list[blocks.TotalRow] = [("Total current charges", ctx.m(f.total), True)]
    if previous:
        tot += [("Previous balance", ctx.m(previous), False), ("Payments received", ctx.m(-previous), False)]
    tot += [("Balance due", ctx.m(f.total, "symbol"), True)]
    y = blocks.room_for(ctx, y, 20 + 16 * len(tot) + 60, bottom)
    y = blocks.totals(ctx, right - 230, right - 4, y + 18, tot, size=10, rule_before_last=True)
    due = ctx.d(f.due_date, "long") if f.due_date else ""
    c.lines(
        left,
        y + 12,
        [
            f"Payment is due by {due}. Please make checks payable to {v.name}",
            f"and reference invoice {f.number}. Tax ID {v.vat_id}.",
        ],
        font="tiro",
        size=9,
    )
    blocks.page_numbers(ctx, c.height - 36, "Page {n} of {of}", x=c.width / 2, align="center")


LAW_FIRM = Layout(
    "law_firm",
    "US law-firm bill (centred letterhead, time entries by attorney, balance due)",
    ("en-US",),
    _build_law,
    _draw_law,
    page=LETTER,
    splits=HELDOUT,
)


# --- Italy: courtesy copy of an electronic invoice (FatturaPA) ----------------------------------


def _build_pa(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    facts = basic_facts(
        rng,
        loc,
        names,
        vendor_country="IT",
        domain=rng.choice(["goods", "services"]),
        lines=span,
        rate=Decimal("0.22"),
        pattern="it",
        terms=(30, 60),
        codes=True,
    )
    facts.number = facts.number.split("/")[0] if rng.random() < 0.5 else facts.number
    facts.refs["sdi"] = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(7))
    return facts


def _draw_pa(ctx: Ctx) -> None:
    c, f, rng = ctx.canvas, ctx.facts, ctx.rng
    ctx.money_style = "plain"
    ctx.date_style = "numeric"
    v, cust = f.vendor, f.customer
    assert cust is not None
    left, right = 28.0, c.width - 28
    c.text(
        left,
        36,
        "Copia di cortesia – documento privo di valenza fiscale ai sensi dell'art. 21 DPR 633/72",
        font="heit",
        size=7,
        color=GREY,
    )

    def party_box(x: float, title: str, who: object, width: float) -> None:
        p = who  # a Party
        c.box(x, 46, x + width, 150, stroke=BLACK, width=0.6)
        c.box(x, 46, x + width, 60, stroke=BLACK, fill=PALE, width=0.6)
        c.text(x + 4, 56, title, font="hebo", size=8)
        vat = getattr(p, "vat_id", "") or ""
        rows = [
            ("Identificativo fiscale ai fini IVA:", vat),
            ("Codice fiscale:", vat[2:]),
            ("Denominazione:", getattr(p, "name", "")),
            ("Indirizzo:", getattr(p, "address", [""])[0]),
            ("Comune:", getattr(p, "address", ["", ""])[1]),
            ("Nazione:", "IT"),
        ]
        blocks.pairs(ctx, x + 4, 72, rows, label_width=108, size=7.2, lead=11)

    half = (right - left - 10) / 2
    party_box(left, "Cedente/prestatore (fornitore)", v, half)
    party_box(left + half + 10, "Cessionario/committente (cliente)", cust, half)
    heads = [
        ("Tipologia documento", "TD01 fattura"),
        ("Art. 73", ""),
        ("Numero documento", f.number),
        ("Data documento", ctx.d(f.issue_date)),
        ("Codice destinatario", f.refs["sdi"]),
    ]
    blocks.boxes_under(ctx, left, 160, heads, [120, 50, 120, 110, right - left - 400], size=8, fill=PALE)
    rows = blocks.item_rows(ctx)
    for row, line in zip(rows, f.lines, strict=True):
        row["quantity"] = number(line.quantity, ctx.loc, 2)
        row["unit_price"] = number(line.unit_price, ctx.loc, 6 if rng.random() < 0.3 else 2)
        row["rate"] = number(line.rate * 100, ctx.loc, 2)
    cols = [
        Column("code", "Cod. articolo", 62),
        Column("description", "Descrizione", 190),
        Column("quantity", "Quantità", 50, "right"),
        Column("unit_price", "Prezzo unitario", 70, "right"),
        Column("unit", "UM", 35),
        Column("rate", "%IVA", 40, "right"),
        Column("amount", "Prezzo totale", right - left - 447, "right"),
    ]
    style = TableStyle(size=7.5, header_size=7, grid=True, header_fill=PALE, leading=10)
    bottom = c.height - 50
    y = blocks.items(ctx, left, 205, cols, style, bottom=bottom, rows=rows, top=40)
    y = blocks.room_for(ctx, y, 170, bottom, top=40)
    c.text(left, y + 16, "RIEPILOGHI IVA E TOTALI", font="hebo", size=8)
    tax = f.tax_rows[0]
    y = blocks.boxes_under(
        ctx,
        left,
        y + 22,
        [
            ("esigibilità iva / riferimenti normativi", "I (immediata)"),
            ("%IVA", number(tax.rate * 100, ctx.loc, 2)),
            ("Spese accessorie", ""),
            ("Arr.", ""),
            ("Totale imponibile", ctx.m(tax.base)),
            ("Totale imposta", ctx.m(tax.tax)),
        ],
        [160, 45, 70, 35, 110, right - left - 420],
        size=8,
        fill=PALE,
    )
    y = blocks.boxes_under(
        ctx,
        left,
        y + 6,
        [
            ("Importo bollo", ""),
            ("Sconto/Maggiorazione", ""),
            ("Arr.", ""),
            ("Totale documento", ctx.m(f.total)),
        ],
        [100, 120, 60, right - left - 280],
        size=8,
        fill=PALE,
    )
    due = ctx.d(f.due_date) if f.due_date else ""
    blocks.boxes_under(
        ctx,
        left,
        y + 6,
        [
            ("Modalità pagamento", "MP05 bonifico"),
            ("IBAN", v.ids["iban"]),
            ("Data scadenza", due),
            ("Importo", ctx.m(f.total)),
        ],
        [110, 200, 90, right - left - 400],
        size=8,
        fill=PALE,
    )
    blocks.page_numbers(ctx, c.height - 24, "Pagina {n} di {of}", x=right)


FATTURA_PA = Layout(
    "fattura_pa_copy",
    "Italian e-invoice courtesy copy (FatturaPA style sheet: boxed fields)",
    ("it-IT",),
    _build_pa,
    _draw_pa,
    splits=HELDOUT,
)

LAYOUTS = (CH_QR, UK_TRADE, LAW_FIRM, FATTURA_PA)
