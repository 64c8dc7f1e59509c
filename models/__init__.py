"""Pydantic types shared by every package. No I/O lives here."""
