"""HMAC-SHA256 signatures shared by the inbound webhook and outbound callbacks.

``X-Folio-Timestamp``: Unix seconds. ``X-Folio-Signature``: ``sha256=<hex>`` of
HMAC-SHA256(secret, f"{timestamp}.".encode() + body). Binding the timestamp into the MAC
makes a captured request useless outside the replay window.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-Folio-Timestamp"
SIGNATURE_HEADER = "X-Folio-Signature"


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
    ``window_s`` of now (either side: clocks drift)."""
    if not timestamp or not signature:
        raise SignatureError(f"{TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers are required")
    try:
        stamp = int(timestamp)
    except ValueError:
        raise SignatureError(f"{TIMESTAMP_HEADER} must be Unix seconds") from None
    current = time.time() if now is None else now
    if abs(current - stamp) > window_s:
        raise SignatureError(
            f"timestamp is {abs(current - stamp):.0f} s from now; the window is {window_s:.0f} s"
        )
    expected = sign(secret, timestamp, body)
    # Constant time: the comparison must not reveal how many leading characters matched.
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise SignatureError("signature does not match")
