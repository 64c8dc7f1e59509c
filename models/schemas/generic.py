"""The built-in ``generic`` schema: every labelled value and every table on the pages."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class GenericDocument(BaseModel):
    """Free-form key-value pairs (snake_case keys) and tables (lists of row objects)."""

    model_config = ConfigDict(extra="allow")
