"""Spaces back into OCR-glued text: "LOT276JALANBANTING" -> "LOT 276 JALAN BANTING".

OCR models often drop the spaces of receipt fonts. Names and addresses are compared word
by word downstream, so the mapper puts back the spaces it can be sure of, and only those:

- between digits and a following word of three letters or more ("81200JOHOR"), and between
  a known word and following digits ("LOT276", "NO24"); never inside "3RD", "31A", "PJU6A";
- at a lower-to-upper case change between two parts of three letters or more
  ("JohorBahru"), which keeps "McDonald" whole;
- inside an all-capitals run, at the words of ``name_words.SPACING_WORDS``: the split that
  covers the most letters with known words wins, unknown stretches between known words must
  be four letters or more, three at the run's ends ("BANDARBARUPERMASJAYA" -> "BANDAR BARU
  PERMAS JAYA", "JALANKPB" -> "JALAN KPB"), and
  three-letter words are only used when the whole run is made of known words, and a known
  word of four letters or less with one unknown stretch beside it splits nothing
  ("TAILORING", "SEAFOOD", "PARKSON" stay whole).

Nothing else is changed: punctuation and letters stay as printed.
"""

from __future__ import annotations

import re
from functools import lru_cache

from extractors.fieldmap.name_words import SPACING_WORDS

# Known words that may precede digits without a space ("LOT276", "NO24", "JLN3").
_BEFORE_DIGITS = frozenset({"no", "lot", "jln", "jalan", "lorong", "blok", "block", "level", "unit", "suite"})
_ORDINALS = frozenset({"st", "nd", "rd", "th"})
_MIN_UNKNOWN = 4
_MIN_GLUED = 7  # shorter capital runs are words, not glue
# Known words this short end or open many ordinary words ("tailoRING", "seaFOOD", "PARKson"):
# alone with one unknown stretch they split nothing.
_SHORT_WORD = 4
# Legal forms OCR glues to the end of a name, and the words they are made of.
_GLUED_SUFFIXES = (
    ("sdnbhd", ("sdn", "bhd")),
    ("sdn", ("sdn",)),
    ("bhd", ("bhd",)),
    ("berhad", ("berhad",)),
    ("gmbh", ("gmbh",)),
    ("sarl", ("sarl",)),
    ("eurl", ("eurl",)),
    ("enterprise", ("enterprise",)),
    ("trading", ("trading",)),
    ("limited", ("limited",)),
)
# OCR confusions: a digit between letters, a letter between digits, a digit ending a word.
# Letters of any alphabet ("Gr0ße" is repaired as "L0T" is).
_LETTER_DIGIT_LETTER = re.compile(r"([^\W\d_])([01])(?=([^\W\d_]))")
_DIGIT_LETTER_DIGIT = re.compile(r"(\d)([OoIl])(\d)")
_WORD_WITH_DIGIT = re.compile(r"\b[^\W\d_]{1,8}[015]\b")
_RUN = re.compile(r"[^\W\d_]+|\d+|[\W_]+")


def respace(text: str) -> str:
    """``text`` with the spaces OCR dropped put back (see the module docstring)."""
    return " ".join(_respace_token(token) for token in text.split())


def repair_confusions(text: str) -> str:
    """``text`` with OCR's digit-for-letter confusions undone where the context is plain:
    a 0 or 1 between letters ("L0T", "Ja1an", "GR0UND"), an O or I between digits
    ("433O0"), and a word that becomes a known word ("Leve1", "N0")."""
    text = _LETTER_DIGIT_LETTER.sub(_letter_for_digit, text)
    text = _DIGIT_LETTER_DIGIT.sub(lambda m: m[1] + ("0" if m[2] in "Oo" else "1") + m[3], text)
    return _WORD_WITH_DIGIT.sub(_known_word_for, text)


def _letter_for_digit(m: re.Match[str]) -> str:
    before, digit, after = m[1], m[2], m[3]
    upper = before.isupper() and after.isupper()
    if digit == "0":
        return before + ("O" if upper else "o")
    return before + ("I" if upper else "l")


def _known_word_for(m: re.Match[str]) -> str:
    word = m[0]
    upper = word[:-1].isupper()
    for digit, letters in (("0", "Oo"), ("1", "Ll"), ("5", "Ss")):
        if word.endswith(digit):
            candidate = word[:-1] + (letters[0] if upper else letters[1])
            if candidate.lower() in SPACING_WORDS or candidate.lower() in _BEFORE_DIGITS:
                return candidate
    return word


def _respace_token(token: str) -> str:
    runs = _RUN.findall(token)
    out: list[str] = []
    for index, run in enumerate(runs):
        previous = runs[index - 1] if index else ""
        if run.isalpha():
            pieces = _split_letters(run)
            if previous.isdigit() and len(pieces[0]) >= 3 and pieces[0].lower() not in _ORDINALS:
                out.append(" ")
            out.append(" ".join(pieces))
        elif run.isdigit() and previous.isalpha():
            last_word = _split_letters(previous)[-1].lower()
            if last_word in _BEFORE_DIGITS or (len(last_word) >= 4 and last_word in SPACING_WORDS):
                out.append(" ")
            out.append(run)
        else:
            out.append(run)
    return "".join(out)


def _split_letters(run: str) -> list[str]:
    """A letter run split at case changes and known words."""
    parts = _case_parts(run)
    merged: list[str] = []
    for part in parts:  # a case change splits only between parts of three letters or more
        if merged and (len(part) < 3 or len(merged[-1]) < 3):
            merged[-1] += part
        else:
            merged.append(part)
    out: list[str] = []
    for part in merged:
        if len(part) >= _MIN_GLUED and (part.isupper() or part.islower()):
            out.extend(_segment(part))
        else:
            out.append(part)
    return out


def _case_parts(run: str) -> list[str]:
    """``run`` cut where the case changes: "JohorBahru" -> Johor|Bahru, "TAXInvoice" ->
    TAX|Invoice (any alphabet's letters)."""
    parts = [run[0]]
    for index in range(1, len(run)):
        previous, ch = run[index - 1], run[index]
        following = run[index + 1] if index + 1 < len(run) else ""
        if (previous.islower() and ch.isupper()) or (
            previous.isupper() and ch.isupper() and following.islower()
        ):
            parts.append(ch)
        else:
            parts[-1] += ch
    return parts


def _segment(run: str) -> list[str]:
    """An all-capitals (or all-lower-case) run split at known words, or left whole."""
    lower = run.lower()
    for suffix, parts in _GLUED_SUFFIXES:  # a legal form ends a name: split it off first
        if lower.endswith(suffix) and len(lower) - len(suffix) >= 3:
            head = run[: len(run) - len(suffix)]
            tail, start = [], len(head)
            for part in parts:
                tail.append(run[start : start + len(part)])
                start += len(part)
            return [*_segment(head), *tail] if len(head) >= _MIN_GLUED else [head, *tail]
    pieces = _best_split(lower)
    if len(pieces) == 1:
        return [run]
    out, start = [], 0
    for piece in pieces:
        out.append(run[start : start + len(piece)])
        start += len(piece)
    return out


@lru_cache(maxsize=4096)
def _best_split(text: str) -> tuple[str, ...]:
    """The split of ``text`` with the most letters in known words, then the fewest pieces."""
    n = len(text)
    # best[i]: (known letters, -pieces, pieces, all known) for text[:i]
    best: list[tuple[int, int, tuple[str, ...], bool] | None] = [None] * (n + 1)
    best[0] = (0, 0, (), True)
    for end in range(1, n + 1):
        for start in range(end):
            prefix = best[start]
            if prefix is None:
                continue
            piece = text[start:end]
            known = piece in SPACING_WORDS
            if not known and len(piece) < _min_unknown(start, end, n):
                continue
            candidate = (
                prefix[0] + (len(piece) if known else 0),
                prefix[1] - 1,
                (*prefix[2], piece),
                prefix[3] and known,
            )
            current = best[end]
            if current is None or candidate[:2] > current[:2]:
                best[end] = candidate
    result = best[n]
    if result is None:
        return (text,)
    pieces = result[2]
    short_known = any(len(p) == 3 and p in SPACING_WORDS for p in pieces)
    if short_known and not result[3]:  # three-letter words only in a run of known words
        pieces = _without_short_words(text)
    if len(pieces) == 2 and sum(p in SPACING_WORDS for p in pieces) == 1:
        word = next(p for p in pieces if p in SPACING_WORDS)
        if len(word) <= _SHORT_WORD:  # "TAILO|RING", "SEA|FOOD", "PARK|SON": one word
            return (text,)
    return pieces


def _min_unknown(start: int, end: int, n: int) -> int:
    """Shortest unknown stretch allowed: any length for the whole run, three letters at
    its start or end ("JALAN|KPB"), four between known words."""
    if start == 0 and end == n:
        return 1
    return _MIN_UNKNOWN - 1 if start == 0 or end == n else _MIN_UNKNOWN


def _without_short_words(text: str) -> tuple[str, ...]:
    """The best split using known words of four letters or more only."""
    n = len(text)
    best: list[tuple[int, int, tuple[str, ...]] | None] = [None] * (n + 1)
    best[0] = (0, 0, ())
    for end in range(1, n + 1):
        for start in range(end):
            prefix = best[start]
            if prefix is None:
                continue
            piece = text[start:end]
            known = len(piece) >= 4 and piece in SPACING_WORDS
            if not known and len(piece) < _min_unknown(start, end, n):
                continue
            candidate = (prefix[0] + (len(piece) if known else 0), prefix[1] - 1, (*prefix[2], piece))
            current = best[end]
            if current is None or candidate[:2] > current[:2]:
                best[end] = candidate
    result = best[n]
    return result[2] if result is not None else (text,)
