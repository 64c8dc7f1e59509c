"""Logging set-up: one call at program start, never at import."""

from __future__ import annotations

import logging


def configure_logging(level: str = "INFO") -> None:
    """Route Folio's loggers to stderr at ``level`` (idempotent)."""
    root = logging.getLogger("folio")
    root.setLevel(level.upper())
    if not any(getattr(h, "_folio", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._folio = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.propagate = False


def get_logger(name: str) -> logging.Logger:
    """A child of the ``folio`` logger."""
    return logging.getLogger(f"folio.{name}")
