"""Value types shared by the built-in schemas."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer

# Amounts are Decimal inside Folio and JSON numbers outside it.
Money = Annotated[
    Decimal,
    PlainSerializer(lambda v: float(v), return_type=float, when_used="json"),
]

CurrencyCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 currency code, e.g. EUR, USD.",
        json_schema_extra={"kind": "currency"},
    ),
]
