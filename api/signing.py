"""HMAC-SHA256 signatures shared by the inbound webhook and outbound callbacks.

``X-Folio-Timestamp``: Unix seconds. ``X-Folio-Signature``: ``sha256=<hex>`` of
HMAC-SHA256(secret, f"{timestamp}.".encode() + body). Binding the timestamp into the MAC
makes a captured request useless outside the replay window.

The inbound webhook checks in two steps so that a stranger costs no memory: ``check_headers``
(the headers' form and the replay window) before a byte of the body is read, then a
``BodyMac`` fed chunk by chunk as the body streams, compared at the end.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass

TIMESTAMP_HEADER = "X-Folio-Timestamp"
SIGNATURE_HEADER = "X-Folio-Signature"
# Unix seconds as a plain decimal: 12 digits reach the year 33658. The form is strict because
# the header's text, not its value, is signed (``int()`` would also take "+1_0", " 10").
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"sha256=[0-9a-fA-F]{64}")


class SignatureError(Exception):
    """Why a signature was refused (the message is safe to show the sender)."""


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Folio-Signature`` value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """Both headers for ``body``, stamped now."""
    timestamp = int(time.time() if now is None else now)
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, body)}


@dataclass(frozen=True)
class SignedHeaders:
    """The two signature headers, well formed and within the replay window."""

    timestamp: str
    signature: str


def check_headers(
    *, timestamp: str | None, signature: str | None, window_s: float, now: float | None = None
) -> SignedHeaders:
    """The headers if they are well formed and the timestamp is within ``window_s`` of now
    (either side: clocks drift); ``SignatureError`` otherwise. Needs no body."""
    if not timestamp or not signature:
        raise SignatureError(f"{TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers are required")
    timestamp, signature = timestamp.strip(), signature.strip()
    if not _TIMESTAMP.fullmatch(timestamp):
        raise SignatureError(f"{TIMESTAMP_HEADER} must be Unix seconds (at most 12 digits)")
    if not _SIGNATURE.fullmatch(signature):
        raise SignatureError(f"{SIGNATURE_HEADER} must be sha256= and 64 hex digits")
    current = time.time() if now is None else now
    drift = abs(current - int(timestamp))
    if drift > window_s:
        raise SignatureError(f"timestamp is {drift:.0f} s from now; the window is {window_s:.0f} s")
    return SignedHeaders(timestamp=timestamp, signature=signature.lower())


class BodyMac:
    """The HMAC of a body that arrives in pieces: ``update`` per chunk, then ``verify``."""

    def __init__(self, secret: str, headers: SignedHeaders) -> None:
        self._mac = hmac.new(secret.encode("utf-8"), f"{headers.timestamp}.".encode(), hashlib.sha256)
        self._expected = headers.signature

    def update(self, chunk: bytes) -> None:
        """Feed the next piece of the body."""
        self._mac.update(chunk)

    def verify(self) -> None:
        """Raise ``SignatureError`` unless the body fed so far carries the signature."""
        actual = "sha256=" + self._mac.hexdigest()
        # Constant time: the comparison must not reveal how many leading characters matched.
        if not hmac.compare_digest(actual.encode(), self._expected.encode()):
            raise SignatureError("signature does not match")


def verify(
    secret: str,
    *,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    window_s: float,
    now: float | None = None,
) -> None:
    """Raise ``SignatureError`` unless the signature is right and the timestamp is within
    ``window_s`` of now (for a body already in memory, e.g. a received callback)."""
    headers = check_headers(timestamp=timestamp, signature=signature, window_s=window_s, now=now)
    mac = BodyMac(secret, headers)
    mac.update(body)
    mac.verify()
