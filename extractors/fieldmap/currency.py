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
| ``currency:country`` | none printed: a country name or country domain | 0.45 |

Another currency also printed: x0.7; country evidence that disagrees: x0.8.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from extractors.fieldmap.findings import Finding
from extractors.fieldmap.issuer_country import country_currency
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
    r"(?<![^\W\d_])(" + _CODES + r")(?![^\W\d_])"
    r"|(?<=[^\W\d_])(" + _CODES + r")(?=\s?[\d(-])"
    r"|(?<=[a-z])(" + _CODES + r")(?![^\W\d_])"
)
_SYMBOL = re.compile(r"US\$|C\$|A\$|SFr\.|(?<![^\W\d_])Fr\.(?=\s?\d)|[€£¥]")
_DOLLAR = re.compile(r"(?<![^\W\d_])\$")


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
    return page_currency(rows)


def _from_country(rows: Sequence[Row]) -> Finding | None:
    """No currency printed: the currency of the country the page gives away (see
    ``issuer_country``)."""
    found = country_currency(rows)
    if found is None:
        return None
    quality = _COUNTRY_QUALITY.get(found.what, 0.45)
    evidence = [f"no currency printed; the {found.what} {found.text!r} says {found.currency}"]
    if found.disagreeing:
        quality *= 0.8
        evidence.append(f"other country evidence says {', '.join(found.disagreeing)}")
    return Finding(found.currency, found.cells, round(quality, 4), "currency:country", tuple(evidence))


# Raw quality of a currency read from country evidence, by kind: an account, a tax id or a
# phone number is the issuer's more often than a country name or a domain (either party's).
_COUNTRY_QUALITY = {"IBAN": 0.5, "VAT id": 0.5, "phone prefix": 0.5}


def page_currency(rows: Sequence[Row]) -> Finding | None:
    """The currency the page prints (codes, then symbols, then a bare ``$``), else the one
    its country evidence gives away; None when nothing does."""
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
