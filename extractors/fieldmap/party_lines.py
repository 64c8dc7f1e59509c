"""What a line near a party's name is: a legal form, a registration or tax-id line, a
contact line, an address line, a label, a one-line sender address; and the name as it should
be returned (registration dropped, legal form repaired, OCR glue re-spaced).

These tests are shared by the seller (``parties``), its address (``seller_address``) and the
buyer (``buyer``). They look at kinds of text, never at particular businesses:

- legal form: the name ends with one of ``name_words.LEGAL_FORMS`` ("Sdn Bhd", "GmbH", "B.V.");
- registration: a company number or tax id ("(867388-U)", "GST ID: 000781500416");
- contact: a phone, fax, e-mail or web line;
- address: a street or place word, a postcode, a leading house number;
- label: "Cashier: ...", "Table 5", or a cell that starts with a known label word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher

from extractors.fieldmap.labels import match_label
from extractors.fieldmap.layout import Cell, Row
from extractors.fieldmap.lexicon import OTHER_LABELS, words
from extractors.fieldmap.name_words import (
    ADDRESS_WORDS,
    BUSINESS_WORDS,
    GLUED_LEGAL_FORMS,
    LEGAL_FORMS,
    PLACE_WORDS,
)
from extractors.fieldmap.spacing import repair_confusions, respace

TOP_ROWS = 12
_ALWAYS_TOP = 6
FOOTER_Y = 0.85
_LEGAL_TOKENS = sorted({words(form) for form in LEGAL_FORMS if words(form)}, key=len, reverse=True)
_BRACKETED_FORMS = sorted((words(form) for form in LEGAL_FORMS if "(" in form), key=len, reverse=True)
# Legal forms written as one word, as OCR glues them: "vof" -> "v o f".
_COMPACT_FORMS = {"".join(tokens): " ".join(tokens) for tokens in _LEGAL_TOKENS}
# Initials with dots glued to a capitalised word after them ("N.V.Stationsplein").
_DOTTED_FORM_GLUED = re.compile(r"(?:[^\W\d_]\.){2,}(?=[A-Z][a-z])")
# Initials with dots closing a line ("e.K.", "B.V.", "S.A.").
_DOTTED_END = re.compile(r"(?:[^\W\d_]\.){2,}$")
# A bracketed group closing a line: a unit, a branch or a note, never a legal form.
_TRAILING_GROUP = re.compile(r"\s*[\(（\[][^()（）\[\]]*[\)）\]]\s*$")
# Parenthesised registration numbers and trailing company numbers ("(867388-U)", "862725-U",
# "(Co. No:20154-T)", "(C0REG:860871-D)").
_REGISTRATION = re.compile(
    r"[\(（\[][^)）\]]*\d{4,}[^)）\]]*[\)）\]]?"
    r"|(?:\b(?:co\.?\s*(?:reg\.?\s*)?no|company\s*no|reg\.?\s*no|roc)\b\.?\s*:?\s*)?"
    r"\b[A-Z]{0,2}\d{5,}-?[A-Z]?\b\)?",
    re.IGNORECASE,
)
# The long bracketed words of legal forms ("(haftungsbeschränkt)") and their forms.
_LONG_BRACKETS = {
    "".join(words(form[form.index("(") :])): form for form in LEGAL_FORMS if "(" in form and len(form) > 12
}
# A bracketed group closing a name, its closing bracket perhaps lost or misread.
_CLOSING_GROUP = re.compile(r"\s*[\(（]([^()（）]{6,})[\)）]?\s*$")
_BRACKETED_NUMBER = re.compile(r"[\(（\[][^)）\]]*\d{4,}[^)）\]]*[\)）\]]")
_REGISTRATION_WORDS = re.compile(
    r"\b(?:vat|tva|btw|ust|iva|nif|cif|kvk|siret|siren|roc|tax\s*id|reg(?:istration)?|"
    r"co\.?\s*reg|company\s*(?:no|reg)|steuer|handelsregister|hrb|amtsgericht|iban|bic|swift)\b"
    r"|\b(?:gst|sst)",  # OCR glues these to what follows: "GSTIDNo:000144596992"
    re.IGNORECASE,
)
_CONTACT = re.compile(
    r"\b(?:tel|telephone|phone|fax|h/?p|mobile|hotline|telefon|t[ée]l[ée]phone|tel[ée]fono|email|e-mail)\b"
    r"|@|www\.|https?:|\.com\b|\+\d{2}|(?<!\d)0\d{1,2}[- ]?\d{3,4}[- ]?\d{4}(?!\d)",
    re.IGNORECASE,
)
_POSTCODE = re.compile(
    r"(?<![\d.,/-])(?:[A-Z]{1,2}-)?\d{4,5}(?![\d.,/])|\b[A-Z]{1,2}\d{1,2}[A-Z]?\s\d[A-Z]{2}\b"
)
_HOUSE_NUMBER = re.compile(r"^\s*(?:no\.?\s*:?\s*)?\d+[a-z]?\s*[,&/-]", re.IGNORECASE)
TIME_OF_DAY = re.compile(r"\b\d{1,2}:\d{2}\b")
# Compound street names ("Hafenstrasse", "Keizersgracht") and "street, house number" lines.
_STREET_SUFFIXES = (
    "strasse",
    "strae",  # "straße" as OCR reads it without its ß, or with a B for it
    "strabe",
    "str",
    "weg",
    "platz",
    "gasse",
    "allee",
    "damm",
    "straat",
    "laan",
    "gracht",
    "plein",
    "kade",
    "singel",
)
# "Kerkplein 1", also as OCR glues it ("Keizersweg70", "AmMuhlenteich3").
_STREET_NUMBER = re.compile(r"^[^\W\d_](?:[^\W\d_]|[ .'-]){2,40}?\s?\d{1,4}\s?[a-zA-Z]?$")
_LABEL_PREFIX = re.compile(r"^\s*[^\W\d_][\w .'/#-]{0,24}?\s*[:：]\s*\S")
# What separates the parts of a one-line sender address or footer; a middle dot, bullet or bar
# never stands inside a name, so OCR may have dropped the spaces around it; nor does a dash
# between a word and a house number with a street after it ("Energy Limited-84 Harbour Street").
_SEPARATORS = re.compile(r"\s*[·•|]\s*|\s+[-–]\s+|\s{2,}|(?<=[^\W\d_]{2})[-–](?=\d{1,5}\s?[^\W\d_]{3,})")


def legal_form(text: str) -> str | None:
    """The legal form ``text`` ends with ("sdn bhd", "gmbh", ...), or None.

    Also when OCR glued it to the word before: at a change from lower to upper case
    ("LogistiekV.O.F.", "HaustechnikAG") or at the end of a run of capitals for the longer
    forms ("HOTELDUPLESSIEREURL"). A bracketed group at the end ("Poids(kg)", "(KEPONG)") is no
    legal form, unless the form is written with its brackets ("UG (haftungsbeschränkt)")."""
    text = repair_legal(text)[0]
    tokens = words(respace(text))
    for form in _BRACKETED_FORMS:
        if len(tokens) > len(form) and tokens[-len(form) :] == form:
            return " ".join(form)
    text = _TRAILING_GROUP.sub("", text)
    spaced = respace(text)
    tokens = words(spaced)
    for form in _LEGAL_TOKENS:
        if len(tokens) > len(form) and tokens[-len(form) :] == form and _stands_apart(spaced, form):
            return " ".join(form)
    glued = glued_form_at(text)
    if glued is not None:
        return _COMPACT_FORMS[_squeezed(text[glued:])]
    squeezed = "".join(tokens)
    return next((form for form in GLUED_LEGAL_FORMS if squeezed.endswith(form) and squeezed != form), None)


def _stands_apart(spaced: str, form: tuple[str, ...]) -> bool:
    """Whether the legal form that ends ``spaced`` stands apart from the word before it (a
    space, a dot or a comma between them): "Tarit/kg", "Route-AG" and "U.S.A." hold no legal
    form, "Müller KG" and "Imprimerie.SA" do."""
    runs = list(re.finditer(r"[^\W_]+", spaced))
    if len(runs) <= len(form):
        return len(runs) == len(form)
    start = runs[-len(form)].start()
    before = runs[-len(form) - 1].group(0)
    if spaced[start - 1] == "." and len(before) == 1:  # one more initial: "U.S.A." is no "S.A."
        return False
    return spaced[start - 1] not in "/-([{"


def glued_form_at(text: str) -> int | None:
    """Where a legal form OCR glued to the word before it starts in ``text`` ("Logistiek|V.O.F.",
    "Haustechnik|AG", "Ingenierie|SAs"), or None.

    The seam is a change from a lower-case to a capital letter; what follows it must be a legal
    form written as one: dotted ("B.v."), in capitals ("AG", "DAC"), or of three letters or more
    starting with a capital ("SAs", "GmbH"), so that "McDonald" or "PayPal" hold no legal form.
    A dotted form needs no seam ("Verpackung|e.K.")."""
    stripped = text.rstrip()
    start = max(stripped.rfind(" "), 0)
    dotted = _DOTTED_END.search(stripped, start)  # "Verpackunge.K.": no case change, but dots
    if (
        dotted
        and _squeezed(dotted.group(0)) in _COMPACT_FORMS
        and letters(stripped[start : dotted.start()]) >= 3
    ):
        return dotted.start()
    for at in range(start + 1, len(stripped)):
        if not (stripped[at].isupper() and stripped[at - 1].islower()):
            continue
        if sum(ch.isalpha() for ch in stripped[start:at]) < 3:
            continue
        rest = stripped[at:]
        squeezed = _squeezed(rest)
        if squeezed not in _COMPACT_FORMS:
            continue
        letters_only = [ch for ch in rest if ch.isalpha()]
        if "." in rest or all(ch.isupper() for ch in letters_only) or len(letters_only) >= 3:
            return at
    return None


def _squeezed(text: str) -> str:
    return "".join(words(text))


# "Ltd" read with its t as an i ("Thistlewood Energy Lid", glued "EnergyLid", "ENERGY LID"):
# after a capitalised word, closing the name (the line ends, or a separator or a glued house
# number follows: "Lid128AshgroveRoad"); "The Copper Lid Cafe" and "Pot and Lid" keep theirs.
_LTD_MISREAD = re.compile(r"(?<=[a-zA-Z])( ?)(Lid|LID)(?=\s*$|\s*[\d·•|,;(-])")


def repair_legal(text: str) -> tuple[str, str | None]:
    """``text`` with a legal form OCR misread repaired: "S/B" read as "5/B", "Ltd" read as
    "Lid". The note of the second starts with "legal form misread" (the seller's quality
    takes it as a repair, x0.9)."""
    repaired = re.sub(r"(?<=[A-Za-z\s])5/B\b", "S/B", text)
    if repaired != text:
        return repaired, "repaired '5/B' -> 'S/B'"
    repaired = _LTD_MISREAD.sub(_ltd, text)
    return repaired, ("legal form misread 'Lid' -> 'Ltd'" if repaired != text else None)


def _ltd(match: re.Match[str]) -> str:
    """ "Ltd" for a misread "Lid" closing a capitalised word of three letters or more."""
    before = re.search(r"([^\W\d_]+)$", match.string[: match.start()])
    word = before[1] if before else ""
    if match[1]:  # "Energy Lid": the whole word before it
        capitalised = len(word) >= 3 and word[0].isupper()
    else:  # glued "EnergyLid": the capitalised run before it ("Energy" of "ThistlewoodEnergy")
        run = re.search(r"[A-Z][a-z]{2,}$|[A-Z]{3,}$", word)
        capitalised = run is not None and (match[2] == "LID") == run[0].isupper()
    if not capitalised:
        return match[0]
    return match[1] + ("Ltd" if match[2] == "Lid" else "LTD")


def strip_registration(text: str) -> str:
    """``text`` without registration numbers printed after a name. A bracketed company
    number ends the name: what follows it is a former name or a branch ("MYNEWS RETAIL SB
    (306295-X) FKA BISON STORES SB"), unless it is the legal form ("ABC (M) SDN BHD")."""
    bracketed = _BRACKETED_NUMBER.search(text)
    if bracketed and letters(text[: bracketed.start()]) >= 3 and legal_form(text[bracketed.end() :]) is None:
        text = text[: bracketed.start()]
    return re.sub(r"\s{2,}", " ", _REGISTRATION.sub(" ", text)).strip(" ,;:-")


def is_registration_line(text: str) -> bool:
    """A company-number or tax-id line ("(867388-U)", "GST ID: 000781500416")."""
    if _REGISTRATION_WORDS.search(respace(text)):
        return bool(re.search(r"\d{3,}", text)) or len(words(text)) <= 4
    if re.search(r"\d{8,}", text):  # tax ids; no address or name has such a run
        return True
    letters = sum(ch.isalpha() for ch in text)
    # a company number: six digits or more, or a letter check suffix ("65351-M"); a
    # postcode of four or five digits ("69003 Lyon") is not one
    return bool(re.search(r"\d{6,}|\d{4,}-?[A-Z]\b|[\(（]\s*\d{4,}", text)) and letters <= 4


def is_contact_line(text: str) -> bool:
    """A phone, fax, e-mail or web line."""
    return bool(_CONTACT.search(text))


def is_address_line(text: str) -> bool:
    """A line with a street or place word, a postcode or a leading house number, or of
    town, state and country names only."""
    tokens = set(words(respace(repair_confusions(text))))
    if tokens & ADDRESS_WORDS or any(t.endswith(_STREET_SUFFIXES) for t in tokens):
        return True
    if tokens and tokens <= PLACE_WORDS:  # a town, state or country line ("MALAYSIA")
        return True
    return bool(_POSTCODE.search(text) or _HOUSE_NUMBER.match(text) or _STREET_NUMBER.match(text))


def street_start(text: str) -> bool:
    """An address line, or a street line led by its house number ("11 Church Walk", also as
    OCR glues it: "53ruedesTanneurs")."""
    return is_address_line(text) or bool(re.match(r"^\d{1,5}[a-zA-Z]?,?\s+[^\W\d_]{3,}", respace(text)))


def is_label_text(text: str) -> bool:
    """A "Label: value" cell or a cell that starts with a known label word; "No: 12" and
    "Lot: 5" open addresses, not labels."""
    prefix = _LABEL_PREFIX.match(text)
    if prefix and legal_form(text) is None:
        label_words = set(words(re.split(r"[:：]", text, maxsplit=1)[0]))
        return not label_words <= (ADDRESS_WORDS | {"no"})
    return any(match_label(text, label) is not None for label in OTHER_LABELS if len(label) >= 4)


def letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def business_word(text: str) -> str | None:
    return next((w for w in words(respace(text)) if w in BUSINESS_WORDS), None)


def clean_name(text: str) -> tuple[str, list[str]]:
    """The name as it should be returned: registration dropped, legal form repaired,
    glued words re-spaced; with the notes for the evidence."""
    notes: list[str] = []
    repaired, note = repair_legal(repair_confusions(text))
    if repaired != text:
        notes.append(note or f"OCR digits in words repaired in {text!r}")
    repaired, letter_notes = repair_name_letters(repaired)
    notes.extend(letter_notes)
    stripped = strip_registration(repaired)
    if stripped != repaired.strip():
        notes.append(f"registration dropped from {text!r}")
    completed = complete_bracketed_form(stripped)
    if completed != stripped:
        notes.append(f"legal form completed {stripped!r} -> {completed!r}")
        head, _, form = completed.rpartition(" (")
        return f"{respace(head).strip(' ,;:*-')} ({form}", notes
    glued = glued_form_at(stripped)
    unglued = stripped if glued is None else f"{stripped[:glued]} {stripped[glued:]}"  # "Logistiek V.O.F."
    spaced = respace(unglued)
    if spaced != stripped:
        notes.append(f"respaced {stripped!r} -> {spaced!r}")
    return spaced.strip(" ,;:*-"), notes


# OCR reads a capital I as an L and back (and a lower-case l as an i); a word of the name that
# becomes a business word when one such letter is swapped was misread ("CONFECTLONERY").
_I_L = {"I": "L", "L": "I", "i": "l", "l": "i"}
_BUSINESS_MIN = 6


def repair_name_letters(text: str) -> tuple[str, list[str]]:
    """``text`` with what OCR misread in a name put right where only one reading is a known
    word, and the notes (each starting with "letter misread" or "legal form misread", which
    the seller's quality takes as a repair, x0.9):

    - a word of six letters or more that becomes a business word (``name_words``) with one I
      read as L, or L as I, swapped back: "CONFECTLONERY" -> "CONFECTIONERY";
    - a two-word legal form whose last word lost its last letter at the end of the name:
      "SDN BH" -> "SDN BHD"."""
    notes: list[str] = []
    tokens = text.split(" ")
    for i, token in enumerate(tokens):
        if len(token) < _BUSINESS_MIN or not token.isalpha() or token.lower() in BUSINESS_WORDS:
            continue
        for at, ch in enumerate(token):
            swapped = _I_L.get(ch)
            if swapped is None:
                continue
            candidate = token[:at] + (swapped.upper() if ch.isupper() else swapped.lower()) + token[at + 1 :]
            if candidate.lower() in BUSINESS_WORDS:
                notes.append(f"letter misread {token!r} -> {candidate!r}")
                tokens[i] = candidate
                break
    text = " ".join(tokens)
    cut = _cut_form(text)
    if cut is not None:
        notes.append(f"legal form misread {text[-len(cut[0]) :]!r} -> {cut[1]!r}")
        text = text[: -len(cut[0])] + cut[1]
    return text, notes


def _cut_form(text: str) -> tuple[str, str] | None:
    """The end of ``text`` that is a two-word legal form short of its last letter ("SDN BH"),
    and that form written in the same case ("SDN BHD"), or None."""
    parts = text.rstrip().split()
    if len(parts) < 3 or legal_form(text) is not None:
        return None
    first, last = parts[-2], parts[-1]
    for form in _LEGAL_TOKENS:
        if len(form) != 2 or len(form[1]) < 3 or not last.isalpha():
            continue
        if first.lower().strip(".") == form[0] and last.lower() == form[1][:-1]:
            ending = form[1][-1].upper() if last.isupper() else form[1][-1]
            return f"{first} {last}", f"{first} {last}{ending}"
    return None


def complete_bracketed_form(text: str) -> str:
    """``text`` with a long bracketed legal form that OCR misread by a letter or two
    ("UG(haftungsbeschrank", "UG (haftungsbeschrankt）") written as the form is spelled;
    unchanged when no closing group is that close to one."""
    group = _CLOSING_GROUP.search(text)
    if group is None:
        return text
    squeezed = "".join(words(group[1]))
    for bracket, form in _LONG_BRACKETS.items():
        if squeezed != bracket and SequenceMatcher(None, squeezed, bracket).ratio() >= 0.88:
            head = text[: group.start()].rstrip()
            lead = form[: form.index("(")].strip()
            if words(head)[-len(words(lead)) :] == words(lead):
                return f"{head} {form[form.index('(') :]}"
    return text


def compact(text: str) -> str:
    return "".join(words(strip_registration(text)))


def is_sender_line(text: str) -> bool:
    """A one-line sender address: a name with a legal form, then address parts
    ("Nordlicht GmbH · Hafenstrasse 12 · 20457 Hamburg"), or two parts or more after it when
    OCR garbled the street and town ("..., mWiesengrund16428195Bremen, Deutschla")."""
    parts = split_line(text)
    if len(parts) < 2 or legal_form(strip_registration(parts[0])) is None:
        return False
    return len(parts) >= 3 or any(is_address_line(p) for p in parts[1:])


def split_line(text: str) -> list[str]:
    """The parts of a one-line sender address or footer (see ``_SEPARATORS``); a dotted legal
    form OCR glued to the street after it ends a part ("FerravalleTelecom S.n.c.|ViaGaribaldi"),
    and so does any legal form glued by a dash or straight to an address part after it
    ("Energie GmbH & Co.KG|-Kirchgasse 149", "Energy Ltd|128AshgroveRoad": ``_after_form``)."""
    text = _DOTTED_FORM_GLUED.sub(lambda m: m[0] + (" · " if _squeezed(m[0]) in _COMPACT_FORMS else ""), text)
    parts = [p.strip() for p in _SEPARATORS.split(text) if p.strip()]
    if len(parts) == 1 and "," in text and legal_form(text.split(",")[0]):
        parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) > 1 or _GLUED_SEAM.search(text):
        parts = [piece for part in parts for piece in _after_form(part)]
    return parts


# Where a name's legal form may end glued to an address: a dash, or a letter before a digit.
_GLUED_SEAM = re.compile(r"(?<=[^\W\d_]|\.)[-–](?=[^\W_])|(?<=[^\W\d_.])(?=\d)")


def _after_form(part: str) -> list[str]:
    """``part`` cut where a legal form ends and an address starts without a separator
    between them ("ChabrierTelecomEURL|141avenuedesTilleuls", "GmbH& Co.KG-|Kirchgasse 149"),
    else ``[part]``. The head must end with a legal form and hold a name's letters; the rest
    must read as an address (a street or place word, a postcode) or open with a house number."""
    if legal_form(part) is not None:
        return [part]
    for seam in _GLUED_SEAM.finditer(part):
        head, rest = part[: seam.start()].rstrip(), part[seam.end() :].strip()
        if letters(head) < 6 or not rest or legal_form(head) is None:
            continue
        if rest[0].isdigit() or is_address_line(rest):
            return [head, rest]
    return [part]


def segments(cell: Cell) -> list[str]:
    """The parts of a cell a name may be: the whole, and the parts between separators of
    a footer or sender line ("Nordlicht GmbH · Hafenstrasse 12 · 20457 Hamburg")."""
    parts = split_line(cell.text)
    return [cell.text] if len(parts) == 1 else parts


def top_zone(rows: Sequence[Row]) -> list[int]:
    """Indices of the rows where a letterhead or receipt header is printed."""
    if not rows:
        return []
    top, bottom = rows[0].y0, rows[-1].y1
    limit = top + 0.4 * max(bottom - top, 1e-6)
    # the first rows always count: a short document's header is most of its text
    first = range(min(len(rows), TOP_ROWS))
    return [r for r in first if (rows[r].y0 <= limit or r < _ALWAYS_TOP) and rows[r].y0 < FOOTER_Y]
