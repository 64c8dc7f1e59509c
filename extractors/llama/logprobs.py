"""Token log-probabilities -> the confidence of each value of the answer.

A value's confidence is ``exp(mean logprob)`` of the tokens that spell it in the answer text,
the geometric mean of their probabilities (0..1): a value spelled by tokens the model was
sure of scores near 1.0; one uncertain digit in ten pulls it down in proportion.

The tokens are placed on the answer's UTF-8 bytes one after the other (``align``). What
servers return is not always the answer's bytes, so each entry may be read several ways,
tried in this order:

- its ``bytes`` array (OpenAI's API gives a token's raw bytes, so a character split over two
  tokens comes as ``[195]`` then ``[169]``);
- a byte-fallback token string ``<0xC3>`` as that one byte (SentencePiece vocabularies, as
  vLLM returned raw vocabulary pieces in its older releases);
- the token string as UTF-8, and as a byte-level BPE piece (``Ġ`` for a space);
- a token that holds U+FFFD where the answer does not: vLLM decodes each token on its own
  (``bytes`` is then the UTF-8 of that string), so a token that is part of a multi-byte
  character comes back as ``"\\ufffd"``. Each U+FFFD stands for 1-3 bytes of a non-ASCII
  character; a run of such tokens is placed together with the next token that is exact;
- an empty token (newer vLLM decodes a partial character as ``""`` and gives the whole
  character to the token that completes it) spells nothing: its log-probability goes to
  the next token's character;
- entries left once the answer is spelled (the end-of-sequence token ``<|eot|>`` or
  ``<|eom|>``, or its empty decoding), and special tokens ``<|...|>`` that the answer does
  not contain, are skipped.

An entry that fits none of these loses the thread: the aligner looks ahead for three
consecutive tokens that fit again and marks the bytes in between as unaligned. A value
that touches unaligned bytes, or bytes no token covers, or a token without a
log-probability (vLLM writes -9999.0 for none), has an unknown confidence (None); the
other values keep theirs. There is no default: unknown is unknown.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import accumulate

# vLLM clamps log-probabilities at -9999.0 and uses that value when it has none.
NO_LOGPROB = -9999.0
REPLACEMENT = "\ufffd"
_BYTE_TOKEN = re.compile(r"<0x([0-9A-Fa-f]{2})>")
_SPECIAL_TOKEN = re.compile(r"<\|[^|<>]{1,40}\|>|</?s>|<eos>|<pad>|<unk>")
_RESYNC_RUN = 3  # consecutive tokens that must fit again after a lost token
_RESYNC_TOKENS = 48  # how far ahead (tokens) a lost thread is looked for
_RESYNC_BYTES = 512  # ... and how far ahead in the answer


@dataclass(frozen=True)
class TokenEntry:
    """One entry of ``logprobs.content``: the token string, its ``bytes`` (None when the
    server sent none) and its log-probability (None when the server had none)."""

    token: str
    raw: bytes | None
    logprob: float | None


@dataclass(frozen=True)
class _Piece:
    """Bytes ``start:end`` of the answer and the log-probabilities of the tokens spelling
    them; ``aligned`` is False for bytes between a lost token and the point where the
    tokens fit again."""

    start: int
    end: int
    logprobs: tuple[float | None, ...]
    aligned: bool = True


def read_logprob(value: object) -> float | None:
    """A log-probability as the server wrote it; None when it is absent or a placeholder."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    if math.isnan(number) or number <= NO_LOGPROB or number > 0.0001:
        return None
    return min(number, 0.0)


class TokenConfidence:
    """Maps a character span of the answer to the confidence of the tokens spelling it."""

    def __init__(self, content: str, tokens: Sequence[TokenEntry]) -> None:
        target = content.encode()
        self._pieces = align(target, tokens) if tokens else []
        self._starts = [p.start for p in self._pieces]
        # Byte offset of every character (and of the end): spans come in characters.
        self._offsets = [0, *accumulate(len(ch.encode()) for ch in content)]

    @property
    def available(self) -> bool:
        """Whether any token could be placed on the answer."""
        return any(p.aligned for p in self._pieces)

    def of(self, span: tuple[int, int] | None) -> float | None:
        """Confidence of the tokens covering character ``span``; None when it is unknown."""
        if span is None or not self._pieces:
            return None
        start, end = self._offsets[span[0]], self._offsets[span[1]]
        if end <= start:  # an empty string: the closing quote's token carries the decision
            end = start + 1
        first = max(0, bisect.bisect_right(self._starts, start) - 1)
        covered = start
        logprobs: list[float] = []
        for piece in self._pieces[first:]:
            if piece.start >= end:
                break
            if piece.end <= start:
                continue
            if piece.start > covered or not piece.aligned:
                return None  # a gap no token spells, or bytes the tokens lost track of
            for logprob in piece.logprobs:
                if logprob is None:
                    return None
                logprobs.append(logprob)
            covered = piece.end
        if covered < end or not logprobs:
            return None
        return round(min(1.0, max(0.0, math.exp(sum(logprobs) / len(logprobs)))), 4)


def align(target: bytes, tokens: Sequence[TokenEntry]) -> list[_Piece]:
    """The tokens placed on ``target`` (the answer's UTF-8), in order; see the module text."""
    pieces: list[_Piece] = []
    carried: list[float | None] = []  # empty tokens: their character is in the next token
    pos, index, count = 0, 0, len(tokens)
    while index < count and pos < len(target):
        entry = tokens[index]
        width = _literal_width(target, pos, entry)
        if width:
            pieces.append(_Piece(pos, pos + width, (*carried, entry.logprob)))
            carried = []
            pos += width
            index += 1
            continue
        if _is_blank(entry):
            carried.append(entry.logprob)
            index += 1
            continue
        if _SPECIAL_TOKEN.fullmatch(entry.token):
            index += 1  # a control token the answer does not spell
            continue
        if REPLACEMENT in entry.token:
            placed = _place_partial_run(target, pos, tokens, index)
            if placed is not None:
                run, pos, index = placed
                if carried:
                    run[0] = _Piece(run[0].start, run[0].end, (*carried, *run[0].logprobs))
                    carried = []
                pieces.extend(run)
                continue
        # Lost: find where the tokens fit again; the bytes in between are unaligned.
        again = _resync(target, pos, tokens, index + 1)
        lost_end, next_index = again if again is not None else (len(target), count)
        logprobs = tuple(t.logprob for t in tokens[index:next_index])
        pieces.append(_Piece(pos, lost_end, (*carried, *logprobs), aligned=False))
        carried = []
        pos, index = lost_end, next_index
    return pieces


def _is_blank(entry: TokenEntry) -> bool:
    return entry.token == "" and not entry.raw


@cache
def _byte_level_decoder() -> dict[str, int]:
    """The inverse of GPT-2's bytes_to_unicode table (byte-level BPE vocabularies)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), 256)]
    chars = list(printable)
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars, strict=True)}


def _forms(entry: TokenEntry) -> list[bytes]:
    """The byte strings ``entry`` may stand for, most trusted first."""
    forms: list[bytes] = []
    if entry.raw is not None:
        forms.append(entry.raw)
    if match := _BYTE_TOKEN.fullmatch(entry.token):
        forms.append(bytes([int(match.group(1), 16)]))
    forms.append(entry.token.encode())
    if "▁" in entry.token:  # SentencePiece's word-start marker
        forms.append(entry.token.replace("▁", " ").encode())
    decoder = _byte_level_decoder()
    if entry.token and not entry.token.isascii() and all(ch in decoder for ch in entry.token):
        forms.append(bytes(decoder[ch] for ch in entry.token))
    return forms


def _literal_width(target: bytes, pos: int, entry: TokenEntry) -> int:
    """How many bytes of ``target`` at ``pos`` one of ``entry``'s forms spells exactly (0:
    none does; an empty form spells nothing)."""
    for form in _forms(entry):
        if form and target.startswith(form, pos):
            return len(form)
    return 0


def _is_tail(tokens: Sequence[TokenEntry]) -> bool:
    """Whether ``tokens`` spell nothing more: end-of-sequence and other control tokens."""
    return all(_is_blank(t) or _SPECIAL_TOKEN.fullmatch(t.token) for t in tokens)


def _partial_pattern(token: str) -> bytes:
    """A token with U+FFFD as a pattern: each U+FFFD is 1-3 bytes of a non-ASCII character."""
    parts = [rb"[\x80-\xff]{1,3}" if ch == REPLACEMENT else re.escape(ch.encode()) for ch in token]
    return b"(" + b"".join(parts) + b")"


def _place_partial_run(
    target: bytes, pos: int, tokens: Sequence[TokenEntry], index: int
) -> tuple[list[_Piece], int, int] | None:
    """Place the run of U+FFFD tokens from ``index`` together with the exact token after it
    (or the end of the answer); None when they do not fit at ``pos``."""
    end = index
    while end < len(tokens) and REPLACEMENT in tokens[end].token:
        end += 1
    run = list(tokens[index:end])
    pattern = b"".join(_partial_pattern(t.token) for t in run)
    tail = _is_tail(tokens[end:])
    anchors = [rb"\Z"] if tail else [re.escape(f) for f in _forms(tokens[end]) if f]
    for anchor in anchors:
        match = re.compile(pattern + b"(?=" + anchor + b")", re.S).match(target, pos)
        if match is None:
            continue
        pieces = [
            _Piece(match.start(g), match.end(g), (entry.logprob,)) for g, entry in enumerate(run, start=1)
        ]
        return pieces, match.end(), end
    return None


def _fits_from(target: bytes, pos: int, tokens: Sequence[TokenEntry], index: int) -> bool:
    """Whether ``_RESYNC_RUN`` tokens from ``index`` spell ``target`` at ``pos`` exactly."""
    for entry in tokens[index : index + _RESYNC_RUN]:
        if pos >= len(target):
            return True  # the answer ends: what is left is the end of sequence
        width = _literal_width(target, pos, entry)
        if not width:
            return False
        pos += width
    return index + _RESYNC_RUN <= len(tokens) or pos >= len(target)


def _resync(target: bytes, pos: int, tokens: Sequence[TokenEntry], index: int) -> tuple[int, int] | None:
    """The first ``(byte, token)`` after a lost token where the tokens fit again."""
    limit = min(len(target), pos + _RESYNC_BYTES)
    for k in range(index, min(len(tokens), index + _RESYNC_TOKENS)):
        forms = [f for f in _forms(tokens[k]) if f]
        for form in forms:
            at = target.find(form, pos, limit)
            while at != -1:
                if _fits_from(target, at, tokens, k):
                    return at, k
                at = target.find(form, at + 1, limit)
    return None
