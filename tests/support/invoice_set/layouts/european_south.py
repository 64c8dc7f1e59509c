"""National business-letter invoices of the south: Spanish factura, Italian fattura."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from tests.support.invoice_set.compose import Names
from tests.support.invoice_set.facts import InvoiceFacts
from tests.support.invoice_set.layouts import blocks
from tests.support.invoice_set.layouts.base import Ctx, Layout, LineSpan, basic_facts
from tests.support.invoice_set.money import Locale
from tests.support.invoice_set.render import GREY, LIGHT, PALE, Column, TableStyle

# --- Spain: factura --------------------------------------------------------------------------


def _build_es(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    facts = basic_facts(
        rng,
        loc,
        names,
        vendor_country="ES",
        domain=rng.choice(["services", "goods"]),
        lines=span,
        rate=Decimal("0.21"),
        pattern=rng.choice(["slash", "es"]),
        terms=(30, 60),
    )
    return facts


def _draw_es(ctx: Ctx) -> None:
    c, f, rng = ctx.canvas, ctx.facts, ctx.rng
    ctx.money_style = rng.choice(["symbol", "code_after"])
    ctx.font, ctx.bold = rng.choice([("helv", "hebo"), ("tiro", "tibo")])
    v, cust = f.vendor, f.customer
    assert cust is not None
    left, right = 45.0, c.width - 45
    # A coloured band across the top with the seller's name in it.
    c.box(0, 0, c.width, 95, stroke=None, fill=ctx.accent)
    c.text(left, 48, v.name, font=ctx.bold, size=18, color=(1, 1, 1))
    c.text(left, 66, f"CIF {v.vat_id} · " + " · ".join(v.address), font=ctx.font, size=8.5, color=(1, 1, 1))
    c.text(left, 80, f"{v.phone} · {v.email}", font=ctx.font, size=8.5, color=(1, 1, 1))
    c.text(right, 56, "FACTURA", font=ctx.bold, size=20, color=(1, 1, 1), align="right")
    y = 130.0
    c.box(left, y - 14, left + 240, y + 70, stroke=LIGHT, fill=None)
    blocks.party(
        ctx,
        left + 8,
        y,
        cust,
        title="Cliente" if rng.random() < 0.6 else "Datos del cliente",
        size=9,
        extra=[f"NIF: {cust.vat_id}"],
    )
    label = rng.choice(["Número de factura", "Factura nº", "Nº Factura"])
    rows = [
        (label, f.number),
        ("Fecha", ctx.d(f.issue_date)),
        ("Vencimiento", ctx.d(f.due_date) if f.due_date else ""),
        ("Forma de pago", "Transferencia bancaria"),
    ]
    blocks.grid_right(ctx, right - 230, y - 14, rows, 110, 120, size=8.5, fill=PALE)
    cols = [
        Column("code", "Ref.", 55) if f.lines[0].code else Column("pos", "Nº", 30),
        Column("description", "Concepto", 185),
        Column("quantity", "Cant.", 45, "right"),
        Column("unit_price", "Precio", 85, "right"),
        Column("amount", "Importe", 0, "right"),
    ]
    used = sum(col.width for col in cols)
    cols[-1] = Column("amount", "Importe", right - left - used, "right")
    style = TableStyle(
        font=ctx.font,
        header_font=ctx.bold,
        size=9,
        header_size=8.5,
        header_fill=PALE,
        zebra=(0.97, 0.97, 0.97),
        leading=11.5,
        header_rule=False,
    )
    bottom = c.height - 90
    y = blocks.items(ctx, left, 230, cols, style, bottom=bottom, continued="Continúa en la página siguiente")
    tax = f.tax_rows[0]
    y = blocks.room_for(ctx, y, 120, bottom)
    # Spanish invoices print the tax summary as a small table: base, rate, quota, total.
    widths = [120, 60, 110, right - left - 290]
    y = blocks.boxes_under(
        ctx,
        left,
        y + 18,
        [
            ("Base imponible", ctx.m(tax.base)),
            ("% IVA", ctx.pct(tax.rate)),
            ("Cuota IVA", ctx.m(tax.tax)),
            ("TOTAL FACTURA", ctx.m(f.total)),
        ],
        widths,
        size=9.5,
        fill=PALE,
    )
    c.lines(
        left,
        y + 22,
        [
            f"Forma de pago: transferencia a la cuenta {v.ids['iban']}",
            f"Vencimiento: {ctx.d(f.due_date) if f.due_date else ''}",
        ],
        font=ctx.font,
        size=8.5,
    )
    reg = (
        f"{v.name} · Inscrita en el Registro Mercantil de {v.address[-1].split(' ', 1)[1]}, "
        f"Tomo {rng.randint(1000, 40000)}, Folio {rng.randint(1, 200)}, "
        f"Hoja {rng.choice('MBV')}-{rng.randint(10000, 99999)}"
    )
    blocks.footer(ctx, c.height - 45, [c.wrap(reg, right - left, ctx.font, 6.5)], left=left, right=right)
    blocks.page_numbers(ctx, c.height - 58, "Página {n} de {of}", x=right)


FACTURA_ES = Layout(
    "factura_es", "Spanish factura (Base imponible / IVA / Total, NIF)", ("es-ES",), _build_es, _draw_es
)


# --- Italy: fattura --------------------------------------------------------------------------


def _build_it(rng: random.Random, loc: Locale, names: Names, span: LineSpan) -> InvoiceFacts:
    facts = basic_facts(
        rng,
        loc,
        names,
        vendor_country="IT",
        domain=rng.choice(["services", "goods"]),
        lines=span,
        rate=Decimal("0.22"),
        pattern="it",
        terms=(30, 60, 90),
        codes=rng.random() < 0.5,
    )
    facts.vendor.ids["cf"] = facts.vendor.vat_id[2:] if facts.vendor.vat_id else ""
    facts.vendor.ids["rea"] = f"REA {rng.choice(['MI', 'TO', 'BO'])}-{rng.randint(100000, 999999)}"
    if facts.due_date:
        # Italian terms run to the end of the month ("30 gg d.f.f.m.").
        end = facts.due_date.replace(day=28) + dt.timedelta(days=4)
        facts.due_date = end - dt.timedelta(days=end.day)
    return facts


def _draw_it(ctx: Ctx) -> None:
    c, f, rng = ctx.canvas, ctx.facts, ctx.rng
    ctx.money_style = rng.choice(["symbol", "plain"])
    v, cust = f.vendor, f.customer
    assert cust is not None
    left, right = 42.0, c.width - 42
    c.text(left, 58, v.name, font=ctx.bold, size=15)
    c.lines(
        left,
        74,
        [
            *v.address,
            f"P.IVA {v.vat_id[2:] if v.vat_id else ''} – C.F. {v.ids['cf']}",
            f"Tel. {v.phone} – {v.email}",
        ],
        font=ctx.font,
        size=8.5,
    )
    # The buyer block on the right, introduced with "Spett.le" as Italian letters do.
    y = 150.0
    c.box(300, y - 16, right, y + 66, stroke=GREY)
    blocks.party(
        ctx,
        310,
        y,
        cust,
        title="Spett.le",
        size=9.5,
        extra=[f"P.IVA {cust.vat_id[2:] if cust.vat_id else ''}"],
    )
    label = rng.choice(["Fattura n.", "FATTURA N.", "Fattura nr."])
    widths = [110, 90, 110]
    blocks.boxes_under(
        ctx,
        left,
        y - 16,
        [("Tipo documento", "Fattura"), (label, f.number), ("Data", ctx.d(f.issue_date))],
        [80, 90, 70],
        size=9,
    )
    blocks.boxes_under(
        ctx,
        left,
        y + 22,
        [("Cod. cliente", f.refs["customer_no"]), ("Pagamento", f"Bonifico {f.terms_days} gg d.f.f.m.")],
        [80, 160],
        size=9,
    )
    cols = [Column("code", "Codice", 60)] if f.lines[0].code else []
    cols += [
        Column("description", "Descrizione", 210 if cols else 270),
        Column("quantity", "Q.tà", 40, "right"),
        Column("unit", "U.M.", 35),
        Column("unit_price", "Prezzo", 65, "right"),
    ]
    cols += [Column("rate", "IVA", 35, "right")]
    cols += [Column("amount", "Importo", right - left - sum(col.width for col in cols), "right")]
    style = TableStyle(size=8.5, header_size=8, grid=True, header_fill=(0.9, 0.93, 0.97), leading=11)
    bottom = c.height - 80
    y = blocks.items(ctx, left, 250, cols, style, bottom=bottom, continued="segue")
    del widths
    y = blocks.room_for(ctx, y, 140, bottom)
    tax = f.tax_rows[0]
    y = blocks.boxes_under(
        ctx,
        left,
        y + 14,
        [
            ("Imponibile", ctx.m(tax.base)),
            ("Aliquota IVA", ctx.pct(tax.rate)),
            ("Imposta", ctx.m(tax.tax)),
        ],
        [110, 80, 100],
        size=9,
    )
    c.box(right - 170, y - 28, right, y, stroke=(0, 0, 0), fill=PALE, width=1)
    c.text(right - 164, y - 17, "Totale documento", font=ctx.font, size=8)
    c.text(right - 6, y - 6, ctx.m(f.total), font=ctx.bold, size=11, align="right")
    due = ctx.d(f.due_date) if f.due_date else ""
    c.lines(
        left,
        y + 22,
        [f"Scadenza: {due}  –  Importo: {ctx.m(f.total)}", f"Coordinate bancarie: IBAN {v.ids['iban']}"],
        font=ctx.font,
        size=8.5,
    )
    blocks.footer(
        ctx,
        c.height - 42,
        [
            [
                f"{v.name} – Cap. soc. € {rng.choice(['10.000', '50.000', '100.000'])} i.v. – "
                f"{v.ids['rea']} – P.IVA {v.vat_id}"
            ]
        ],
        left=left,
        right=right,
    )
    blocks.page_numbers(ctx, c.height - 54, "Pagina {n} di {of}", x=right)


FATTURA_IT = Layout(
    "fattura_it",
    "Italian fattura (Spett.le, P.IVA, Imponibile/IVA/Totale documento)",
    ("it-IT",),
    _build_it,
    _draw_it,
)

LAYOUTS = (FACTURA_ES, FATTURA_IT)
