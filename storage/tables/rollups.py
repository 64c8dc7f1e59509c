"""Analytics rollups: what the cost and field reports read instead of scanning the ledger
and the field rows.

The cost tables are kept by database triggers on documents and usage_ledger (created by
migration 0008); the field tables by ``storage.repository.extractions``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from storage.tables.base import Base


def _rollup_count(comment: str) -> Any:
    return mapped_column(sa.BigInteger, comment=comment)


def _rollup_shard() -> Any:
    # Rollup rows are split by the last character of the document id, so concurrent
    # writers of one tenant mostly update different rows; the reports sum the shards.
    return mapped_column(
        sa.String(1),
        primary_key=True,
        comment="Last character of the document ids: spreads concurrent writers over rows.",
    )


class LedgerTotals:
    """Ledger sums shared by the per-document cells and the cost rollups."""

    calls: Mapped[int] = _rollup_count("Ledger rows (engine calls).")
    failed_calls: Mapped[int] = _rollup_count("Ledger rows with an error code.")
    input_tokens: Mapped[int] = _rollup_count(
        "Billed input tokens: reported prompt tokens, else image tokens."
    )
    output_tokens: Mapped[int] = _rollup_count("Reported completion tokens.")
    cost_units: Mapped[int] = _rollup_count("Ledger cost in units of 1e-8 USD (exact).")


class DocumentCostCell(LedgerTotals, Base):
    """One document's ledger totals in one UTC month for one model (kept by triggers)."""

    __tablename__ = "document_cost_cells"
    __table_args__ = {
        "comment": "Each document's ledger totals per UTC month and model; source of cost_rollups."
    }

    document_id: Mapped[str] = mapped_column(
        sa.String(36),
        primary_key=True,
        comment="Document (no foreign key: the trigger that removes a deleted document's cells "
        "needs them after the delete).",
    )
    month: Mapped[str] = mapped_column(
        sa.String(7),
        primary_key=True,
        comment="UTC month YYYY-MM of the ledger rows (of the document's receipt when it has none).",
    )
    model: Mapped[str] = mapped_column(
        sa.String(200),
        primary_key=True,
        comment="Ledger model, else the document's; '' when neither is known.",
    )
    tenant_id: Mapped[int] = mapped_column(comment="Tenant of the document.")
    licence_tier: Mapped[str] = mapped_column(sa.String(64), comment="Licence tier of the document.")


class CostRollup(LedgerTotals, Base):
    """Cost report totals of one group at one grain (kept by triggers)."""

    __tablename__ = "cost_rollups"
    __table_args__ = {"comment": "Cost report totals per tenant, tier, month and model, kept by triggers."}

    grain: Mapped[int] = mapped_column(
        sa.SmallInteger,
        primary_key=True,
        comment="What the row is per: 3 month and model, 1 month, 2 model, 0 neither.",
    )
    tenant_id: Mapped[int] = mapped_column(primary_key=True, comment="Tenant.")
    licence_tier: Mapped[str] = mapped_column(
        sa.String(64), primary_key=True, comment="Licence tier of the documents."
    )
    month: Mapped[str] = mapped_column(
        sa.String(7), primary_key=True, comment="UTC month YYYY-MM; '' at grains 0 and 2."
    )
    model: Mapped[str] = mapped_column(
        sa.String(200), primary_key=True, comment="Model; '' at grains 0 and 1, or when no model is known."
    )
    shard: Mapped[str] = _rollup_shard()
    documents: Mapped[int] = _rollup_count("Distinct documents in the group.")


class FieldRollup(Base):
    """Field report sums of one field of one schema for one tenant (current extractions)."""

    __tablename__ = "field_rollups"
    __table_args__ = {"comment": "Field report sums over current extractions per tenant, schema and field."}

    tenant_id: Mapped[int] = mapped_column(primary_key=True, comment="Tenant.")
    schema_name: Mapped[str] = mapped_column(
        sa.String(100), primary_key=True, comment="Extraction schema name."
    )
    field: Mapped[str] = mapped_column(
        sa.String(201), primary_key=True, comment="Field name, or table.column for cells."
    )
    shard: Mapped[str] = _rollup_shard()
    value_rows: Mapped[int] = _rollup_count("Field rows (values and cells).")
    filled: Mapped[int] = _rollup_count("Documents with a value for it.")
    flagged: Mapped[int] = _rollup_count("Documents where it failed review.")
    confidence_count: Mapped[int] = _rollup_count("Rows with a confidence.")
    confidence_units: Mapped[int] = _rollup_count("Sum of confidences in units of 1e-9 (exact integer sum).")


class ExtractionCount(Base):
    """How many documents of a tenant have a current extraction of a schema."""

    __tablename__ = "extraction_counts"
    __table_args__ = {"comment": "Current extractions per tenant and schema (field report denominators)."}

    tenant_id: Mapped[int] = mapped_column(primary_key=True, comment="Tenant.")
    schema_name: Mapped[str] = mapped_column(
        sa.String(100), primary_key=True, comment="Extraction schema name."
    )
    shard: Mapped[str] = _rollup_shard()
    documents: Mapped[int] = _rollup_count("Documents whose current extraction is of this schema.")
