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
_CODE = re.compile(r"(?<![A-Za-z])(" + "|".join(sorted(CURRENCY_CODES)) + r")(?![A-Za-z])")
_SYMBOL = re.compile(r"US\$|C\$|A\$|SFr\.|(?<![A-Za-z])Fr\.(?=\s?\d)|[€£¥]")
_DOLLAR = re.compile(r"(?<![A-Za-z])\$")


def currency_in(text: str) -> str | None:
    """The ISO code of the currency ``text`` names by code or unambiguous symbol."""
    code = _CODE.search(text)
    if code:
        return code.group(1)
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


def _from_page(rows: Sequence[Row]) -> Finding | None:
    codes: Counter[str] = Counter()
    symbols: Counter[str] = Counter()
    dollars = 0
    first: dict[str, int] = {}
    for r, row in enumerate(rows):
        text = row.text
        for m in _CODE.finditer(text):
            codes[m.group(1)] += 1
            first.setdefault(m.group(1), r)
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
        return None
    evidence = [f"{code} printed {count} time(s)"]
    others = sorted((set(codes) | set(symbols)) - {code})
    if others:
        quality *= 0.7
        evidence.append(f"also printed: {', '.join(others)}")
    row = rows[first[code]]
    return Finding(code, tuple(row.cells), round(quality, 4), method, tuple(evidence))
