"""The currency a document is most likely in when it prints none: from the country its
parties give away.

Evidence, strongest first (each a kind of text, none a particular business):

- an IBAN: its first two letters are the bank account's country ("IBAN DE89 3704 ...");
- a VAT id, after its label ("USt-IdNr. DE123456789") or by the shape the EU and the UK give
  them ("NL123456789B01", "ATU12345678", "IE1234567W"), also when OCR glued it to a word;
- a phone number's country calling code, also when OCR dropped the spaces ("+31201711786"):
  calling codes are a prefix code, so at most one code of the table opens the digits;
- a country named on its own line or at the end of an address line ("United Kingdom",
  "Deutschland", "75002 Paris, France"), or a state that ends an address line after a
  postcode, where a country's addresses name their state and the name is no other
  country's ("43200 Cheras, Selangor": Malaysia);
- the country domain of an e-mail or web address ("accounts@oakhollow.co.uk");
- a legal form that only one country's law (and currency) knows, ending a name: Malaysia's
  "Sdn Bhd", "Bhd", "Berhad", "S/B" and "PLT", Singapore's "Pte Ltd". Forms shared across
  borders ("GmbH": Germany, Austria, Switzerland; "Ltd"; "S.A.") say nothing. The weakest
  kind, since a buyer's name may carry it too.

The first kind of evidence found decides; another kind that names another currency weakens
it (documents between two countries print both).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from extractors.fieldmap.layout import Cell, Row
from extractors.fieldmap.lexicon import words
from extractors.fieldmap.party_lines import legal_form

# Currency of a document issued in a country, by ISO country code (VAT ids write Greece "EL").
COUNTRY_CURRENCY = {
    **dict.fromkeys(
        (
            *("DE", "AT", "FR", "NL", "BE", "LU", "IE", "ES", "PT", "IT", "FI", "GR", "EL"),
            *("SK", "SI", "EE", "LV", "LT", "MT", "CY", "HR"),
        ),
        "EUR",
    ),
    "GB": "GBP",
    "UK": "GBP",
    "CH": "CHF",
    "LI": "CHF",
    "US": "USD",
    "MY": "MYR",
    "SG": "SGD",
}
# Country calling codes of those countries (ITU-T E.164).
_CALLING_CODES = {
    **dict.fromkeys(
        ("49", "43", "33", "31", "32", "352", "353", "34", "351", "39", "358", "30", "356", "357", "385"),
        "EUR",
    ),
    **dict.fromkeys(("421", "386", "372", "371", "370"), "EUR"),
    "44": "GBP",
    "41": "CHF",
    "1": "USD",
    "60": "MYR",
    "65": "SGD",
}
# Country names as printed in addresses (in their own and in English), squashed.
_COUNTRY_NAMES = {
    **dict.fromkeys(("deutschland", "germany", "osterreich", "austria"), "EUR"),
    **dict.fromkeys(("france", "nederland", "netherlands", "thenetherlands", "belgique", "belgie"), "EUR"),
    **dict.fromkeys(("belgium", "luxembourg", "ireland", "espana", "spain", "portugal"), "EUR"),
    **dict.fromkeys(("italia", "italy", "suomi", "finland"), "EUR"),
    **dict.fromkeys(("unitedkingdom", "greatbritain", "england", "scotland", "wales"), "GBP"),
    **dict.fromkeys(("schweiz", "suisse", "svizzera", "switzerland"), "CHF"),
    **dict.fromkeys(("unitedstates", "unitedstatesofamerica", "usa"), "USD"),
    "malaysia": "MYR",
    "singapore": "SGD",
}
# States as addresses print them after the town, squashed (Malaysia's thirteen and its three
# federal territories, with the honorifics some add: "Selangor Darul Ehsan").
_REGION_NAMES = dict.fromkeys(
    (
        *("johor", "johordarultakzim", "kedah", "kedahdarulaman", "kelantan", "kelantandarulnaim"),
        *("melaka", "malacca", "negerisembilan", "pahang", "pahangdarulmakmur", "perak"),
        *("perakdarulridzuan", "perlis", "pulaupinang", "penang", "sabah", "sarawak", "selangor"),
        *("selangordarulehsan", "terengganu", "terengganudarulimam", "kualalumpur"),
        *("wilayahpersekutuan", "wilayahpersekutuankualalumpur", "putrajaya", "labuan"),
    ),
    "MYR",
)
_POSTCODE = re.compile(r"(?<!\d)\d{5}(?!\d)")
_DOMAINS = {"de": "DE", "at": "AT", "fr": "FR", "nl": "NL", "be": "BE", "lu": "LU", "ie": "IE"}
_DOMAINS |= {"es": "ES", "pt": "PT", "it": "IT", "fi": "FI", "gr": "GR", "uk": "GB", "ch": "CH", "my": "MY"}

_IBAN = re.compile(r"(?:IBAN|[1l]BAN)\W{0,2}([A-Z]{2})\s?\d{2}")
_VAT_LABELLED = re.compile(
    r"(?i:USt-?[Il1]d(?:Nr)?|VAT(?:\s*(?:No|Number|Reg|ID))?|TVA|BTW(?:-?nr)?|P\.?\s?IVA|NIF|CIF|UID)"
    r"\.?\s*:?\s*([A-Z]{2})\s?\d"
)
# VAT id shapes per country (the part after the country code); digits after a letter prefix
# that OCR glued to a word still count, but a longer run of digits is something else.
_VAT_SHAPES = re.compile(
    r"(?<![A-Z0-9])(?:[A-Za-z.:-]*?)"
    r"(ATU\d{8}|BE[01]\d{9}|DE\d{9}|NL\d{9}B\d{2}|FR[0-9A-Z]{2}\d{9}|ES[0-9A-Z]\d{7}[0-9A-Z]"
    r"|IT\d{11}|IE\d{7}[A-Z]{1,2}|IE\d[A-Z]\d{5}[A-Z]|PT\d{9}|LU\d{8}|FI\d{8}|EL\d{9}|GB\d{9})(?![0-9])"
)
# Legal forms of one country only (``party_lines.legal_form`` spelling), by currency.
_NATIONAL_FORMS = {
    **dict.fromkeys(("sdn bhd", "bhd", "berhad", "s b", "plt"), "MYR"),
    "pte ltd": "SGD",
}
_NAME_CHARS = 80  # a longer cell is a sentence, not a name ending with its form
_PHONE = re.compile(r"\+\s?(\d{1,3})")
_DOMAIN = re.compile(r"(?:@|www\.)[\w-]+(?:\.[\w-]+)*\.([a-z]{2})\b", re.IGNORECASE)


@dataclass(frozen=True)
class CountryEvidence:
    """A currency the page's country evidence points to, the evidence and where it is."""

    currency: str
    what: str  # "IBAN", "VAT id", ...
    text: str  # the text that says so
    cells: tuple[Cell, ...]
    disagreeing: tuple[str, ...]  # currencies other evidence points to


def country_currency(rows: Sequence[Row]) -> CountryEvidence | None:
    """The currency the strongest kind of country evidence on the page points to, or None."""
    found: list[tuple[str, str, str, tuple[Cell, ...]]] = []
    for reader in (_by_iban, _by_vat_id, _by_phone, _by_country_name, _by_domain, _by_legal_form):
        hit = reader(rows)
        if hit is not None:
            found.append(hit)
    if not found:
        return None
    currency, what, text, cells = found[0]
    others = tuple(sorted({c for c, *_ in found[1:] if c != currency}))
    return CountryEvidence(currency, what, text, cells, others)


def _by_iban(rows: Sequence[Row]) -> tuple[str, str, str, tuple[Cell, ...]] | None:
    return _first(rows, _IBAN, COUNTRY_CURRENCY, "IBAN")


def _by_vat_id(rows: Sequence[Row]) -> tuple[str, str, str, tuple[Cell, ...]] | None:
    labelled = _first(rows, _VAT_LABELLED, COUNTRY_CURRENCY, "VAT id")
    if labelled is not None:
        return labelled
    for row in rows:
        for m in _VAT_SHAPES.finditer(row.text.replace(" ", "")):
            code = COUNTRY_CURRENCY.get(m.group(1)[:2])
            if code is not None:
                return code, "VAT id", m.group(1), tuple(row.cells)
    return None


def _by_phone(rows: Sequence[Row]) -> tuple[str, str, str, tuple[Cell, ...]] | None:
    for row in rows:
        for m in _PHONE.finditer(row.text):
            digits = re.sub(r"\D", "", row.text[m.start(1) : m.start(1) + 14])
            # calling codes are a prefix code: at most one of these opens the number
            code = next((digits[:n] for n in (1, 2, 3) if digits[:n] in _CALLING_CODES), None)
            if code is not None and len(digits) >= 6:
                return _CALLING_CODES[code], "phone prefix", f"+{code}", tuple(row.cells)
    return None


def _by_country_name(rows: Sequence[Row]) -> tuple[str, str, str, tuple[Cell, ...]] | None:
    region: tuple[str, str, str, tuple[Cell, ...]] | None = None
    for r, row in enumerate(rows):
        for cell in row.cells:
            tail = cell.text.split(",")[-1]
            tokens = [w for w in words(tail) if not w.isdigit()]
            if not tokens or len(tokens) > 4:
                continue
            for n in range(1, len(tokens) + 1):  # "75002 Paris, France", "UnitedKingdom"
                name = "".join(tokens[-n:])
                if name in _COUNTRY_NAMES:
                    return _COUNTRY_NAMES[name], "country name", tail.strip(), (cell,)
                if region is None and name in _REGION_NAMES and _after_postcode(rows, r, cell):
                    region = (_REGION_NAMES[name], "state name", tail.strip(), (cell,))
    return region


def _after_postcode(rows: Sequence[Row], r: int, cell: Cell) -> bool:
    """Whether a postcode stands in ``cell`` or on the row above it: the state ends an address."""
    return bool(_POSTCODE.search(cell.text)) or (r > 0 and bool(_POSTCODE.search(rows[r - 1].text)))


def _by_domain(rows: Sequence[Row]) -> tuple[str, str, str, tuple[Cell, ...]] | None:
    for row in rows:
        m = _DOMAIN.search(row.text)
        country = _DOMAINS.get(m.group(1).lower()) if m else None
        if m and country is not None:
            return COUNTRY_CURRENCY[country], "web or e-mail domain", m.group(0), tuple(row.cells)
    return None


def _by_legal_form(rows: Sequence[Row]) -> tuple[str, str, str, tuple[Cell, ...]] | None:
    for row in rows:
        for cell in row.cells:
            form = legal_form(cell.text) if len(cell.text) <= _NAME_CHARS else None
            if form is not None and form in _NATIONAL_FORMS:
                return _NATIONAL_FORMS[form], "legal form", cell.text.strip(), (cell,)
    return None


def _first(
    rows: Sequence[Row], pattern: re.Pattern[str], table: dict[str, str], what: str
) -> tuple[str, str, str, tuple[Cell, ...]] | None:
    for row in rows:
        for m in pattern.finditer(row.text):
            code = table.get(m.group(1).upper())
            if code is not None:
                return code, what, m.group(0).strip(), tuple(row.cells)
    return None
