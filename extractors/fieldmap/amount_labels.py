"""What the label in front of an amount says the amount is: total, subtotal, tax, cash ...

A label is compared squashed (lower case letters only, accents folded), after OCR's digits
for letters inside words are read back as letters ("Tota1" -> "total", "G5T" -> "gst"), so
glued OCR labels ("TotalAmount:", "NettTotal", "TOTALROUNDED") read like spaced ones; where
capitals show the break of glued words ("VATAmount", "InvoiceTotalE") it counts as a space.
A currency sign or code that ends the label, as OCR read it ("£" or "€" as "E", "f", "L",
"C"; "$" as "S"; "RM", "EUR", "GBP" glued on), is skipped: "InvoiceTotalE" is "Invoice
Total" (the amount to pay), not the "Totale" the letters spell, and "NetTotalE" is a net.

The keyword that ends nearest to the amount decides, and of two ending at the same place the
longer one: "Total QTY" is a count, "Total GST" is tax, "Subtotal" is not "total", "Total
(Inclusive of GST)" is a total, "Total (Excluding GST)" a subtotal, "GST payable" tax. Words
of three letters or fewer ("tax", "vat", "ttl") must stand as a word (a few that OCR glues,
"GSTpayable", may also start or end the label), so that "net" in "Network" is nothing; words
of four or five letters must start a word, except a few OCR often glues ("TakeOutTotal").

``NET`` is its own role: "Net total" is the amount before tax on many invoices and the
amount to pay on many receipts ("Nett Total"); the arithmetic of the page decides.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache


class MoneyRole(StrEnum):
    """What an amount on a page is, by its label."""

    TOTAL = "total"
    SUBTOTAL = "subtotal"
    NET = "net"  # before tax on invoices, to pay on receipts: the arithmetic decides
    TAX = "tax"
    CASH = "cash"  # tendered or paid: cash, card, "amount paid"
    CHANGE = "change"
    ROUNDING = "rounding"
    DISCOUNT = "discount"
    SURCHARGE = "surcharge"  # service charge, shipping: added before the total
    COUNT = "count"  # quantities and item counts: never money
    SUMMARY = "summary"  # a tax-summary header: the rows under it restate the totals
    OTHER = "other"


_ROLE_WORDS: dict[MoneyRole, tuple[str, ...]] = {
    MoneyRole.TOTAL: (
        "total",
        "totale",
        "totaal",
        "totals",
        "summe",
        "somme",
        "jumlah",
        "ttl",
        "totalamount",
        "totalsales",
        "totalsale",
        "totalamt",
        "gross",
        "grossamt",
        "brutto",
        "bruttobetrag",
        "importe",
    ),
    MoneyRole.SUBTOTAL: (
        "subtotal",
        "subtotaal",
        "subtotale",
        "subttl",
        "zwischensumme",
        "soustotal",
        "nettobetrag",
        "netto",
        "summenetto",
        "nettosumme",
        "totalnetto",
        "totalht",
        "montantht",
        "sommeht",
        "totaalexcl",
        "horstaxes",
        "horstaxe",
        "baseimponible",
        "imponibile",
        "importeneto",
        "beforetax",
        "pretax",
        "taxable",
        "taxableamount",
        "jumlahkecil",
    ),
    MoneyRole.NET: ("net", "nett", "nettotal", "netttotal", "netamount", "netamt"),
    MoneyRole.TAX: (
        "tax",
        "vat",
        "gst",
        "sst",
        "ust",
        "tva",
        "btw",
        "iva",
        "mwst",
        "umsatzsteuer",
        "mehrwertsteuer",
        "steuer",
        "cukai",
        "salestax",
        "taxamount",
        "totaltax",
        "taxtotal",
        "totalgst",
        "gsttotal",
        "totalvat",
        "vattotal",
        "totalmwst",
        "totaltva",
        "totalbtw",
        "totaliva",
        "servicetax",
        "imposta",
        "outputtax",
    ),
    MoneyRole.CASH: (
        "cash",
        "tender",
        "tendered",
        "paid",
        "payment",
        "received",
        "visa",
        "mastercard",
        "amex",
        "card",
        "creditcard",
        "debit",
        "eftpos",
        "tunai",
        "gegeben",
        "bezahlt",
        "especes",
        "contant",
        "efectivo",
        "contanti",
        "accepted",
        "acceptedtotal",
        "deposit",
        "anzahlung",
        "acompte",
        "prepaid",
        "amountpaid",
        "pagamento",
        "paiement",
        "zahlung",
        "betaling",
        "pago",
        "anticipo",
        "totalpaid",
        "ttlcash",
    ),
    MoneyRole.CHANGE: (
        "change",
        "changedue",
        "changeamt",
        "kembali",
        "baki",
        "ruckgeld",
        "rueckgeld",
        "wechselgeld",
        "rendu",
        "monnaierendue",
        "cambio",
        "wisselgeld",
        "resto",
    ),
    MoneyRole.ROUNDING: (
        "round",
        "rounding",
        "rnd",
        "roundadj",
        "roundingadj",
        "rundung",
        "arrondi",
        "afronding",
        "redondeo",
        "arrotondamento",
        "pembundaran",
    ),
    MoneyRole.DISCOUNT: (
        "discount",
        "disc",
        "saving",
        "savings",
        "less",
        "rabatt",
        "nachlass",
        "skonto",
        "remise",
        "korting",
        "descuento",
        "sconto",
        "promo",
        "voucher",
        "coupon",
        "diskaun",
    ),
    MoneyRole.SURCHARGE: (
        "servicecharge",
        "servcharge",
        "srvchg",
        "svcchg",
        "svc",
        "shipping",
        "freight",
        "versand",
        "versandkosten",
        "porto",
        "fraisdeport",
        "livraison",
        "verzendkosten",
        "envio",
        "spedizione",
        "tip",
        "gratuity",
        "handling",
    ),
    MoneyRole.COUNT: (
        "qty",
        "quantity",
        "quanity",
        "items",
        "item",
        "totalitems",
        "totalitem",
        "itemcount",
        "itemno",
        "noofitems",
        "pax",
        "menge",
        "anzahl",
        "stuck",
        "articles",
        "artikel",
        "aantal",
        "cantidad",
        "quantita",
        "points",
        "pts",
        "litre",
        "liter",
    ),
    # Labels that contain a money word but introduce no amount: "TAX INVOICE", "GST Reg No".
    MoneyRole.OTHER: (
        "taxinvoice",
        "previousbalance",
        "balancebroughtforward",
        "broughtforward",
        "vorsaldo",
        "saldovormonat",
        "vormonat",
        "soldeprecedent",
        "saldoprecedente",
        "vorigsaldo",
        "invoice",
        "gstreg",
        "gstid",
        "gstno",
        "regno",
        "taxid",
        "taxno",
        "vatno",
        "vatreg",
        "vatid",
        "ustid",
        "ustidnr",
        "steuernummer",
        "tel",
        "fax",
        "phone",
    ),
    MoneyRole.SUMMARY: (
        "summary",
        "sumary",
        "sumnary",
        "analysis",
        "taxcode",
        "ubersicht",
        "recapitulatif",
        "specificatie",
    ),
}
# Words that make a total the amount to pay (as opposed to a plain "total" that may be an
# intermediate sum): they outrank other totals of the page.
_FINAL_TOTAL = (
    "grandtotal",
    "totaldue",
    "amountdue",
    "balancedue",
    "totalpayable",
    "amountpayable",
    "totaltopay",
    "topay",
    "totalrounded",
    "roundedtotal",
    "gesamtbetrag",
    "gesamtsumme",
    "rechnungsbetrag",
    "endbetrag",
    "endsumme",
    "zuzahlen",
    "zahlbetrag",
    "totaalbedrag",
    "tebetalen",
    "totalttc",
    "montantttc",
    "netapayer",
    "totalapayer",
    "montantdu",
    "importetotal",
    "totalapagar",
    "totalfactura",
    "totaledapagare",
    "importodapagare",
    "totaledocumento",
    "jumlahbesar",
    "jumlahbayaran",
    "invoicetotal",
    "totalinvoice",
    "amounttopay",
    "finalamount",
    "balance",
    "saldo",
    "restbetrag",
    "resteapayer",
    "openstaand",
    "toutestaxescomprises",
    "finaltotal",
    "totalamountdue",
    "totalpayable",
)
_WORDS: tuple[tuple[str, MoneyRole, bool], ...] = (
    *((w, role, False) for role, ws in _ROLE_WORDS.items() for w in ws),
    *((w, MoneyRole.TOTAL, True) for w in _FINAL_TOTAL),
)
_TAX_WORD = r"(?:gst|tax|vat|mwst|sst|btw|tva|iva|ust)"
_PATTERNS: tuple[tuple[re.Pattern[str], MoneyRole, bool], ...] = (
    # "Total Sales (Inclusive of GST)", "Amount Incl. GST", "Total Due (GST Inc)"
    (
        re.compile(
            r"(?:total|amount|anount|sales|due|ttl|sum|betrag|totaal)[a-z]{0,12}?incl?(?:usive|uding|uded)?(?:of)?"
            + _TAX_WORD
        ),
        MoneyRole.TOTAL,
        True,
    ),
    (re.compile(_TAX_WORD + r"inc(?:l|lusive|luded)?"), MoneyRole.TOTAL, True),
    # "Total (Excluding GST)", "Excl. BTW"
    (re.compile(r"excl?(?:usive|uding|uded)?(?:of)?" + _TAX_WORD), MoneyRole.SUBTOTAL, False),
    (re.compile(r"ttl[a-z]{0,6}rnd"), MoneyRole.TOTAL, True),  # "TTL AFT RND"
)
# Short keywords that may start or end a glued label; others ("net": "Network") must stand alone.
_GLUED_SHORT_WORDS = frozenset({"gst", "sst", "ttl", "rnd", "qty", "vat", "tax"})
# Words of four or five letters that OCR glues to their neighbours ("TakeOutTotal", "TTLCASH",
# "TotalPaid"); other such words count only where a word starts ("porto" in "Importo" does not).
_GLUED_WORDS = frozenset({"total", "cash", "paid", "round"})
_DIGIT_AS_LETTER = {"0": "o", "1": "l", "5": "s", "6": "g", "8": "b"}
# Keywords of four letters or more with an "l", as OCR also reads them with an "i" for it (the
# two differ by a serif on small receipt print): "Grand Totai", "Baiance".
_L_READ_AS_I = {
    word: re.compile(word.replace("l", "[li]")) for word, _, _ in _WORDS if "l" in word and len(word) >= 4
}
# Where OCR glued two words, their capitals still show the break ("InvoiceTotalE", "VATAmount").
_CASE_BREAK = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z]{2})")
# What a currency sign or code after a label reads as once squashed: "£" and "€" misread as
# "E", "f", "L" or "C", "$" as "S", and codes glued on ("TOTALRM", "Total EUR").
_CURRENCY_TAILS = ("e", "f", "l", "c", "s", "rm", "eur", "gbp", "usd", "myr", "sgd", "chf")
_DIGIT_IN_WORD = re.compile(r"(?<=[a-z])[01568]|[01568](?=[a-z]{2})")


@dataclass(frozen=True)
class LabelReading:
    """The role a label gives its amount, the keyword that decided, and whether that keyword
    marks the amount to pay ("grand total", "Gesamtbetrag", "TOTAL ROUNDED")."""

    role: MoneyRole
    keyword: str = ""
    final: bool = False


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def label_words(text: str) -> tuple[str, str]:
    """``text`` as compared: (squashed letters, the same letters with word breaks kept)."""
    folded = _fold(_CASE_BREAK.sub(" ", text))
    for _ in range(2):  # twice: "65T" -> "g5t" -> "gst"
        folded = _DIGIT_IN_WORD.sub(lambda m: _DIGIT_AS_LETTER[m.group(0)], folded)
    spaced = " ".join(re.findall(r"[a-z]+", folded))
    return spaced.replace(" ", ""), spaced


def _currency_tail(squashed: str, spaced: str) -> int:
    """How many letters at the end of the label are a currency sign or code OCR read as letters:
    a last word of its own ("Invoice Total E", "InvoiceTotalE", "TOTAL RM"), or a code glued on
    in capitals ("TOTALGBP"); 0 when the label ends otherwise."""
    last = spaced.rsplit(" ", 1)[-1]
    if last in _CURRENCY_TAILS and len(last) < len(squashed):
        return len(last)
    glued = next((t for t in _CURRENCY_TAILS if len(t) > 1 and squashed.endswith(t)), "")
    return len(glued) if len(glued) < len(squashed) else 0


def _word_starts(spaced: str) -> set[int]:
    """Positions in the squashed label where a word of ``spaced`` starts."""
    starts, offset = set(), 0
    for token in spaced.split(" "):
        starts.add(offset)
        offset += len(token)
    return starts


def _short_word_at(word: str, squashed: str, spaced: str) -> list[int]:
    """End positions (in ``squashed``) of a short keyword standing as a word, or (for the few
    that OCR glues to the next word: "GSTpayable", "TTLCASH") at an end of the label."""
    ends = []
    if word in _GLUED_SHORT_WORDS and squashed.startswith(word):
        ends.append(len(word))
    if word in _GLUED_SHORT_WORDS and squashed.endswith(word):
        ends.append(len(squashed))
    offset = 0
    for token in spaced.split(" "):
        if token == word:
            ends.append(offset + len(word))
        offset += len(token)
    return ends


def is_summary_header(text: str) -> bool:
    """Whether ``text`` heads a tax summary ("GST Summary", "GST Analysis  Goods  Tax")."""
    squashed, _ = label_words(text)
    return any(word in squashed for word in _ROLE_WORDS[MoneyRole.SUMMARY])


@lru_cache(maxsize=8192)  # pure, and called for every amount of every page
def read_label(text: str, extra: tuple[tuple[str, MoneyRole], ...] = ()) -> LabelReading:
    """The role of the amount that ``text`` introduces (``OTHER`` when no keyword is in it).

    ``extra`` adds (squashed word, role) pairs: a schema's own aliases for its fields.
    """
    squashed, spaced = label_words(text)
    if not squashed:
        return LabelReading(MoneyRole.OTHER)
    best: tuple[int, int, LabelReading] | None = None

    def offer(end: int, size: int, reading: LabelReading) -> None:
        nonlocal best
        if best is None or (end, size) > (best[0], best[1]):
            best = (end, size, reading)

    starts = _word_starts(spaced)
    # A keyword that ends where a misread currency sign starts ends the label: "Invoice Total"
    # in "InvoiceTotalE" outranks the "totale" that OCR made of it.
    core = len(squashed) - _currency_tail(squashed, spaced)

    def offer_at(end: int, size: int, reading: LabelReading) -> None:
        offer(len(squashed) if end == core else end, size, reading)

    for word, role, final in (*_WORDS, *((w, role, False) for w, role in extra)):
        misread = _L_READ_AS_I.get(word)
        if word not in squashed and (misread is None or "i" not in squashed or not misread.search(squashed)):
            continue  # most words are not in a label: the cheap test first
        if len(word) <= 3:
            ends = _short_word_at(word, squashed, spaced)
        else:
            found = (misread or re.compile(re.escape(word))).finditer(squashed)
            # a short word inside another word is no keyword ("porto" in "Importo")
            anywhere = len(word) > 5 or word in _GLUED_WORDS
            ends = [m.end() for m in found if anywhere or m.start() in starts]
        for end in ends:
            offer_at(end, len(word), LabelReading(role, word, final))
    for pattern, role, final in _PATTERNS:
        for m in pattern.finditer(squashed):
            offer_at(m.end(), m.end() - m.start(), LabelReading(role, m.group(0), final))
    return best[2] if best is not None else LabelReading(MoneyRole.OTHER)
