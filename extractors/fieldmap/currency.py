"""The document's currency: from its label ("Currency: EUR", "Währung", "Devise", "Valuta",
"Moneda"), else from the codes and symbols printed on the page.

On the page, ISO codes count first (the most frequent wins), then unambiguous symbols
(€ £ ¥, ``CHF``'s "Fr."), then a bare ``$`` (USD, but also many other dollars). Evidence
that disagrees (two codes printed, or a code and another currency's symbol) weakens it.

Methods and raw quality (times the OCR confidence of the line it was read from):

| method | evidence | quality |
|---|---|---|
| ``currency:label`` | a currency label's value | 1.0 (x0.97 right, x0.93 below) |
| ``currency:code`` | ISO code printed twice or more / once | 0.95 / 0.85 |
| ``currency:symbol`` | € £ ¥ Fr. printed twice or more / once | 0.85 / 0.75 |
| ``currency:dollar`` | a bare ``$`` only | 0.6 |
| ``currency:country`` | none printed: IBAN, VAT id or phone prefix country | 0.5 |

Another currency also printed: x0.7.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from extractors.fieldmap.findings import Finding
from extractors.fieldmap.labels import LabelHit, value_candidates
from extractors.fieldmap.layout import Row
from extractors.fieldmap.values import CURRENCY_CODES

_SYMBOLS = {
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "US$": "USD",
    "C$": "CAD",
    "A$": "AUD",
    "SFr.": "CHF",
    "Fr.": "CHF",
}
_CODES = "|".join(sorted(CURRENCY_CODES))
# A code as a word, or glued by OCR to the word before it when an amount follows ("TOTALEUR
# 5,435.96") or a lower-case word precedes it ("AmountEUR"); never inside "MONSIEUR Dupont".
_CODE = re.compile(
    r"(?<![A-Za-z])(" + _CODES + r")(?![A-Za-z])"
    r"|(?<=[A-Za-z])(" + _CODES + r")(?=\s?[\d(-])"
    r"|(?<=[a-z])(" + _CODES + r")(?![A-Za-z])"
)
_SYMBOL = re.compile(r"US\$|C\$|A\$|SFr\.|(?<![A-Za-z])Fr\.(?=\s?\d)|[€£¥]")
_DOLLAR = re.compile(r"(?<![A-Za-z])\$")


def _code_of(match: re.Match[str]) -> str:
    return next(g for g in match.groups() if g)


def currency_in(text: str) -> str | None:
    """The ISO code of the currency ``text`` names by code or unambiguous symbol."""
    code = _CODE.search(text)
    if code:
        return _code_of(code)
    symbol = _SYMBOL.search(text)
    if symbol:
        return _SYMBOLS[symbol.group(0)]
    return "USD" if _DOLLAR.search(text) else None


def read_currency(
    rows: Sequence[Row], hits: Sequence[LabelHit], label_cells: set[tuple[int, int]], unit: float
) -> Finding | None:
    """The currency from its label, else from the page (see the module docstring)."""
    for hit in sorted(hits, key=lambda h: (-h.specificity, h.row, h.cell)):
        label = rows[hit.row].cells[hit.cell]
        for candidate in value_candidates(rows, hit, label_cells, unit):
            code = currency_in(candidate.text)
            if code is not None:
                cells = (label,) if candidate.cells == (label,) else (label, *candidate.cells)
                evidence = (f"after the label {label.text[: hit.end].strip()!r}",)
                return Finding(code, cells, candidate.quality, "currency:label", evidence)
    return _from_page(rows)


# Countries whose currency a document of theirs is most likely in, by ISO country code.
_COUNTRY_CURRENCY = {
    **dict.fromkeys(
        (
            "DE",
            "AT",
            "FR",
            "NL",
            "BE",
            "LU",
            "IE",
            "ES",
            "PT",
            "IT",
            "FI",
            "GR",
            "SK",
            "SI",
            "EE",
            "LV",
            "LT",
            "MT",
            "CY",
            "HR",
        ),
        "EUR",
    ),
    "GB": "GBP",
    "CH": "CHF",
    "LI": "CHF",
    "US": "USD",
}
_PHONE_COUNTRY = {
    **dict.fromkeys(("49", "43", "33", "31", "32", "352", "353", "34", "351", "39", "358", "30"), "EUR"),
    "44": "GBP",
    "41": "CHF",
    "1": "USD",
}
_IBAN = re.compile(r"IBAN:?\s*([A-Z]{2})\d{2}")
_VAT_ID = re.compile(
    r"(?i:USt-?Id(?:Nr)?|VAT(?:\s*(?:No|Number|Reg|ID))?|TVA|BTW|P\.?\s?IVA|NIF|CIF|UID)\.?\s*:?\s*([A-Z]{2})\s?\d"
)
_PHONE = re.compile(r"\+(1|3[0-9]{1,2}|4[0-9])[\s(]")


def _from_country(rows: Sequence[Row]) -> Finding | None:
    """No currency printed: the issuer's country from its IBAN, VAT id or phone prefix."""
    for pattern, table, what in (
        (_IBAN, _COUNTRY_CURRENCY, "IBAN"),
        (_VAT_ID, _COUNTRY_CURRENCY, "VAT id"),
        (_PHONE, _PHONE_COUNTRY, "phone prefix"),
    ):
        for row in rows:
            m = pattern.search(row.text)
            code = table.get(m.group(1).upper()) if m else None
            if m and code:
                evidence = (f"no currency printed; the {what} {m.group(0).strip()!r} says {code}",)
                return Finding(code, tuple(row.cells), 0.5, "currency:country", evidence)
    return None


def _from_page(rows: Sequence[Row]) -> Finding | None:
    codes: Counter[str] = Counter()
    symbols: Counter[str] = Counter()
    dollars = 0
    first: dict[str, int] = {}
    for r, row in enumerate(rows):
        text = row.text
        for m in _CODE.finditer(text):
            codes[_code_of(m)] += 1
            first.setdefault(_code_of(m), r)
        for m in _SYMBOL.finditer(text):
            symbols[_SYMBOLS[m.group(0)]] += 1
            first.setdefault(_SYMBOLS[m.group(0)], r)
        if _DOLLAR.search(_SYMBOL.sub("", text)):
            dollars += 1
            first.setdefault("USD", r)
    if codes:
        code, count = codes.most_common(1)[0]
        method, quality = "currency:code", 0.95 if count >= 2 else 0.85
    elif symbols:
        code, count = symbols.most_common(1)[0]
        method, quality = "currency:symbol", 0.85 if count >= 2 else 0.75
    elif dollars:
        code, count, method, quality = "USD", dollars, "currency:dollar", 0.6
    else:
        return _from_country(rows)
    evidence = [f"{code} printed {count} time(s)"]
    others = sorted((set(codes) | set(symbols)) - {code})
    if others:
        quality *= 0.7
        evidence.append(f"also printed: {', '.join(others)}")
    row = rows[first[code]]
    return Finding(code, tuple(row.cells), round(quality, 4), method, tuple(evidence))
