"""Which vendor a page comes from: its stable evidence (tax or VAT ids, IBANs, the vendor's
name, the first page's layout) read from the page's rows, and the tenant's profile it matches.

A match needs two kinds of evidence out of three, each worth one point:

- a tax id or IBAN the profile learned (ids printed on two profiles or more of the tenant
  are left out: they are the tenant's own, printed in every recipient block),
- the profile's vendor name printed on the page,
- the layout: the page's fixed words at their coarse places, Jaccard similarity >= 0.5
  (0.3 earns half a point).

So a document of another vendor addressed to the same tenant (the tenant's VAT id printed)
does not match on that id alone, nor does a second vendor using the same invoicing software
(the same layout) without its name or ids. Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Sequence

from extractors.fieldmap.layout import Cell, Row
from models.vendor import VendorKeys, VendorMatch, VendorProfile

_VAT = re.compile(
    r"(?<![A-Z0-9])(ATU\d{8}|BE[01]\d{9}|DE\d{9}|NL\d{9}B\d{2}|FR[0-9A-Z]{2}\d{9}|ES[0-9A-Z]\d{7}[0-9A-Z]"
    r"|IT\d{11}|IE\d{7}[A-Z]{1,2}|IE\d[A-Z]\d{5}[A-Z]|PT\d{9}|LU\d{8}|FI\d{8}|EL\d{9}|GB\d{9}"
    r"|CHE\d{9})(?![0-9A-Z])"
)
# Tax ids without a country prefix are only taken after their label: US EIN, Spanish NIF.
_LABELLED_TAX = re.compile(
    r"(?i:\b(?:EIN|Tax\s*ID|TIN|NIF|CIF|Steuer-?Nr\.?|SIRET|P\.?\s?IVA))\W{0,3}([0-9][0-9 ./-]{6,18}[0-9])"
)
_IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?)\b")
_WORD = re.compile(r"[^\W\d_]{3,}")
# Layout similarity that counts as the same layout (a point) and as a similar one (half).
SAME_LAYOUT = 0.5
SIMILAR_LAYOUT = 0.3
MATCH_SCORE = 2.0
_LAYOUT_WORDS = 200


def fold(text: str) -> str:
    """Lower case ASCII letters and digits, single spaces: how names and labels are compared."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def _squeezed(text: str) -> str:
    return fold(text).replace(" ", "")


def iban_valid(iban: str) -> bool:
    """The ISO 13616 mod-97 check of a compacted IBAN."""
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban):
        return False
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def tax_ids(text: str) -> list[str]:
    """VAT ids by their country shapes, and labelled tax numbers, compacted."""
    # Digit groups joined ("GB 306 9757 67", "CHE-209.183.111"), words kept apart.
    squeezed = re.sub(r"(?<=[A-Z0-9])[\s.-]+(?=\d)", "", text.upper())
    found = [m.group(1) for m in _VAT.finditer(squeezed)]
    found += [re.sub(r"\D", "", m.group(1)) for m in _LABELLED_TAX.finditer(text)]
    return list(dict.fromkeys(found))


def ibans(text: str) -> list[str]:
    """IBANs that pass the mod-97 check, compacted."""
    out = [m.group(1).replace(" ", "") for m in _IBAN.finditer(text.upper())]
    return list(dict.fromkeys(i for i in out if iban_valid(i)))


def layout_words(rows: Sequence[Row]) -> list[str]:
    """The page's fixed words at coarse places: 'word@column,band' for cells without digits
    (labels, headings; values mostly carry digits), on a 10 x 20 grid of the page."""
    seen: list[str] = []
    for row in rows:
        for cell in row.cells:
            if any(ch.isdigit() for ch in cell.text):
                continue
            for word in _WORD.findall(fold(cell.text)):
                seen.append(f"{word}@{int(cell.x0 * 10)},{int(cell.y0 * 20)}")
    return list(dict.fromkeys(seen))[:_LAYOUT_WORDS]


def layout_similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """Jaccard similarity of two layout fingerprints (0 when either is empty)."""
    left, right = set(a), set(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def read_keys(
    rows: Sequence[Row], *, vendor_name: str | None = None, exclude: Sequence[Cell] = ()
) -> VendorKeys:
    """The page's vendor evidence. ``exclude``: cells that belong to the recipient (its
    block, learned from the approved customer), whose ids are not the vendor's."""
    skipped = {id(cell) for cell in exclude}
    texts = [cell.text for row in rows for cell in row.cells if id(cell) not in skipped]
    whole = "\n".join(texts)
    return VendorKeys(
        tax_ids=tax_ids(whole),
        ibans=ibans(whole),
        name=fold(vendor_name) if vendor_name else None,
        layout=layout_words(rows),
    )


def _shared_ids(profiles: Sequence[VendorProfile]) -> set[str]:
    counts = Counter(i for p in profiles for i in {*p.keys.tax_ids, *p.keys.ibans})
    return {i for i, n in counts.items() if n > 1}


def score_profile(
    page: VendorKeys,
    page_text: str,
    profile: VendorProfile,
    shared: Collection[str] = (),
) -> tuple[float, list[str]]:
    """How strongly the page matches ``profile`` and why (see the module's docstring)."""
    score, reasons = 0.0, []
    ids = ({*profile.keys.tax_ids, *profile.keys.ibans} - set(shared)) & {*page.tax_ids, *page.ibans}
    if ids:
        score += 1.0
        reasons.append("id " + ", ".join(sorted(ids)))
    name = _squeezed(profile.keys.name or "")
    if len(name) >= 4 and name in _squeezed(page_text):
        score += 1.0
        reasons.append("name printed")
    similarity = layout_similarity(page.layout, profile.keys.layout)
    if similarity >= SAME_LAYOUT:
        score += 1.0
    elif similarity >= SIMILAR_LAYOUT:
        score += 0.5
    reasons.append(f"layout {similarity:.2f}")
    return score, reasons


def match_vendor(rows: Sequence[Row], profiles: Sequence[VendorProfile]) -> VendorMatch | None:
    """The tenant's profile the page comes from, or None when none has two kinds of evidence."""
    if not profiles or not rows:
        return None
    page = read_keys(rows)
    text = "\n".join(row.text for row in rows)
    shared = _shared_ids(profiles)
    best: VendorMatch | None = None
    for profile in profiles:
        score, reasons = score_profile(page, text, profile, shared)
        if score >= MATCH_SCORE and (best is None or score > best.score):
            best = VendorMatch(profile=profile, score=score, reasons=reasons)
    return best
