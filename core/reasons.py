"""Reasons written for the tenant: what a stored reason may say, and what it must not.

A document's reason is shown to whoever sent the file (the API, the CLI, an inbox's
``failed/`` folder). It says what is wrong with the file, or that Folio failed; it never
carries the server's paths, internal addresses, SQL or a traceback. Those go to the log
with the document id. :func:`tenant_reason` is the backstop applied where reasons are
stored: messages are written for the tenant where they are raised, and this catches any
exception text that slipped through.
"""

from __future__ import annotations

import re

# Longest reason kept; the rest is in the log.
MAX_REASON_CHARS = 2000

_TRACEBACK = re.compile(r"Traceback \(most recent call last\):")
_TRACE_LINE = re.compile(r"^\s*File \"[^\"]*\", line \d+.*$", re.MULTILINE)
# SQLAlchemy appends the statement, its parameters and a link to its error page.
_SQLALCHEMY_PARTS = re.compile(
    r"\[(?:SQL|parameters|generated in)[^\]]*\]|\(Background on this error at:[^)]*\)", re.DOTALL
)
# Plain SQL statements (SQLAlchemy and the drivers write keywords in capitals; lower-case
# English such as "select a file from" is left alone).
_SQL = re.compile(
    r"\b(?:SELECT\b[\s\S]*?\bFROM|INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM|"
    r"CREATE\s+(?:TABLE|INDEX)|DROP\s+TABLE|ALTER\s+TABLE)\b[^;\n]*;?"
)
# A URL up to white space, quotes or brackets; punctuation that ends a clause stays outside.
_URL = re.compile(
    r"\b(?:https?|file|s3|postgres(?:ql)?(?:\+\w+)?|sqlite)://(?:\[[0-9A-Fa-f:.]+\])?[^\s'\"()\[\]<>]*[^\s'\"()\[\]<>:;,.]",
    re.IGNORECASE,
)
# An absolute POSIX path of two or more parts (``/srv/blobs/ab/cd``), not ``km/h`` or ``1/2``.
_POSIX_PATH = re.compile(r"(?<![\w:/.])/(?:[^\s'\"/()\[\],;:]+/)+[^\s'\"/()\[\],;:]*")
_WINDOWS_PATH = re.compile(r"\b[A-Za-z]:\\(?:[^\s'\"\\]+\\)*[^\s'\"\\]*")
_SPACES = re.compile(r"\s+")

# A public web address (a licence, a help page) may stay; an internal one may not.
_PUBLIC_HOST = re.compile(
    r"^https?://(?![\d.]+[/:]|\[)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?:/|$)"
)
_LOCAL_NAMES = ("localhost", ".local", ".internal", ".lan", ".corp", ".svc", ".cluster")


def _address(match: re.Match[str]) -> str:
    """``[address]`` for a server-side address: a database, file or bucket URL, an IP
    literal, a host without a domain (``vllm``), a local name or an explicit port."""
    url = match.group(0)
    if _PUBLIC_HOST.match(url):
        host = url.split("://", 1)[1].split("/", 1)[0].lower()
        if not host.endswith(_LOCAL_NAMES) and host != "localhost":
            return url
    return "[address]"


WITHHELD_INTERNAL = "an internal error occurred; the details are in the server's log"


def one_line(text: str) -> str:
    """``text`` with every run of white space (newlines included) as one space."""
    return _SPACES.sub(" ", text).strip()


def tenant_reason(text: str | None) -> str | None:
    """``text`` without absolute paths, URLs, SQL or tracebacks, on one line, at most
    :data:`MAX_REASON_CHARS` long (None stays None).

    Paths become ``[path]``, URLs ``[address]``, SQL ``[database details withheld]``; a
    traceback is cut off with everything after it. A reason left empty says that an
    internal error occurred.
    """
    if text is None:
        return None
    match = _TRACEBACK.search(text)
    if match:
        text = text[: match.start()]
    text = _SPACES.sub(" ", _TRACE_LINE.sub(" ", text))  # one line from here on
    text = _SQLALCHEMY_PARTS.sub(" ", text)
    text = _SQL.sub("[database details withheld]", text)
    text = _URL.sub(_address, text)
    text = _POSIX_PATH.sub("[path]", text)
    text = _WINDOWS_PATH.sub("[path]", text)
    text = _SPACES.sub(" ", text).strip(" :;,")
    if not text:
        return WITHHELD_INTERNAL
    if len(text) > MAX_REASON_CHARS:
        text = text[: MAX_REASON_CHARS - 1].rstrip() + "…"
    return text
