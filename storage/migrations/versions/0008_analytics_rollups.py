"""Analytics at scale: rollups the reports read instead of scanning, and indexes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27

- ``document_cost_cells``: each document's ledger totals per UTC month and model (the
  cells of the cost report; a document without ledger rows has one empty cell);
- ``cost_rollups``: those cells summed per tenant, tier, and four grains (month x model,
  month, model, all), with distinct document counts exact at every grain;
- ``field_rollups`` and ``extraction_counts``: the field report's sums per tenant, schema
  and field, and the number of current extractions per tenant and schema.

The cost tables are kept by triggers (every writer of ``documents`` or ``usage_ledger``,
in the writer's transaction); the field tables by
``storage.repository.extractions``. Existing rows are backfilled here. Frozen: this file imports nothing of
Folio's, so it keeps building the schema it built whatever the application becomes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTS = ("calls", "failed_calls", "input_tokens", "output_tokens", "cost_units")
_ROLLUP_KEY = "grain, tenant_id, licence_tier, month, model, shard"
# Advisory lock class of the rollup writers (PostgreSQL): one writer per tenant and shard
# at a time, so two transactions never take the same rollup rows in opposite orders.
_LOCK_CLASS = 7007
# Rollup rows are split by the last character of the document id (16 shards for UUIDs):
# concurrent writers of one tenant then mostly update different rows instead of queueing
# for one; the reports sum the shards.
_SHARD = "substr({0}, length({0}), 1)"
_SHARD_COMMENT = "Last character of the document ids: spreads concurrent writers over rows."


def _count(name: str, comment: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=False, comment=comment)


def _create_tables() -> None:
    measures = (
        ("calls", "Ledger rows (engine calls)."),
        ("failed_calls", "Ledger rows with an error code."),
        ("input_tokens", "Billed input tokens: reported prompt tokens, else image tokens."),
        ("output_tokens", "Reported completion tokens."),
        ("cost_units", "Ledger cost in units of 1e-8 USD (exact)."),
    )
    op.create_table(
        "document_cost_cells",
        sa.Column(
            "document_id",
            sa.String(36),
            nullable=False,
            comment="Document (no foreign key: "
            "the trigger that removes a deleted document's cells needs them after the delete).",
        ),
        sa.Column(
            "month",
            sa.String(7),
            nullable=False,
            comment="UTC month YYYY-MM of the ledger rows (of the document's receipt when it has none).",
        ),
        sa.Column(
            "model",
            sa.String(200),
            nullable=False,
            comment="Ledger model, else the document's; '' when neither is known.",
        ),
        sa.Column("tenant_id", sa.Integer(), nullable=False, comment="Tenant of the document."),
        sa.Column("licence_tier", sa.String(64), nullable=False, comment="Licence tier of the document."),
        *(_count(name, comment) for name, comment in measures),
        sa.PrimaryKeyConstraint("document_id", "month", "model", name=op.f("pk_document_cost_cells")),
        comment="Each document's ledger totals per UTC month and model; source of cost_rollups.",
    )
    op.create_table(
        "cost_rollups",
        sa.Column(
            "grain",
            sa.SmallInteger(),
            nullable=False,
            comment="What the row is per: 3 month and model, 1 month, 2 model, 0 neither.",
        ),
        sa.Column("tenant_id", sa.Integer(), nullable=False, comment="Tenant."),
        sa.Column("licence_tier", sa.String(64), nullable=False, comment="Licence tier of the documents."),
        sa.Column("month", sa.String(7), nullable=False, comment="UTC month YYYY-MM; '' at grains 0 and 2."),
        sa.Column(
            "model",
            sa.String(200),
            nullable=False,
            comment="Model; '' at grains 0 and 1, or when no model is known.",
        ),
        sa.Column("shard", sa.String(1), nullable=False, comment=_SHARD_COMMENT),
        sa.Column("documents", sa.BigInteger(), nullable=False, comment="Distinct documents in the group."),
        *(_count(name, comment) for name, comment in measures),
        sa.PrimaryKeyConstraint(*_ROLLUP_KEY.split(", "), name=op.f("pk_cost_rollups")),
        comment="Cost report totals per tenant, tier, month and model, kept by triggers.",
    )
    op.create_table(
        "field_rollups",
        sa.Column("tenant_id", sa.Integer(), nullable=False, comment="Tenant."),
        sa.Column("schema_name", sa.String(100), nullable=False, comment="Extraction schema name."),
        sa.Column("field", sa.String(201), nullable=False, comment="Field name, or table.column for cells."),
        sa.Column("shard", sa.String(1), nullable=False, comment=_SHARD_COMMENT),
        sa.Column("value_rows", sa.BigInteger(), nullable=False, comment="Field rows (values and cells)."),
        sa.Column("filled", sa.BigInteger(), nullable=False, comment="Documents with a value for it."),
        sa.Column("flagged", sa.BigInteger(), nullable=False, comment="Documents where it failed review."),
        sa.Column("confidence_count", sa.BigInteger(), nullable=False, comment="Rows with a confidence."),
        sa.Column(
            "confidence_units",
            sa.BigInteger(),
            nullable=False,
            comment="Sum of confidences in units of 1e-9 (exact integer sum).",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "schema_name", "field", "shard", name=op.f("pk_field_rollups")),
        comment="Field report sums over current extractions per tenant, schema and field.",
    )
    op.create_table(
        "extraction_counts",
        sa.Column("tenant_id", sa.Integer(), nullable=False, comment="Tenant."),
        sa.Column("schema_name", sa.String(100), nullable=False, comment="Extraction schema name."),
        sa.Column("shard", sa.String(1), nullable=False, comment=_SHARD_COMMENT),
        sa.Column(
            "documents",
            sa.BigInteger(),
            nullable=False,
            comment="Documents whose current extraction is of this schema.",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "schema_name", "shard", name=op.f("pk_extraction_counts")),
        comment="Current extractions per tenant and schema (field report denominators).",
    )


# --- cost cells: the SQL shared by the triggers and the backfill --------------------------


def _month(dialect: str, column: str) -> str:
    if dialect == "postgresql":
        return f"to_char(timezone('UTC', {column}), 'YYYY-MM')"
    return f"strftime('%Y-%m', {column})"


def _cells_select(dialect: str, where: str) -> str:
    """Documents joined to their ledger rows, per month and model, as the report counts."""
    month = _month(dialect, "COALESCE(l.created_at, d.created_at)")
    return f"""SELECT d.id, {month}, COALESCE(l.model, d.model, ''), d.tenant_id, d.licence_tier,
  COUNT(l.id), COALESCE(SUM(CASE WHEN l.error_code IS NOT NULL THEN 1 ELSE 0 END), 0),
  COALESCE(SUM(COALESCE(l.prompt_tokens, l.image_tokens, 0)), 0),
  COALESCE(SUM(COALESCE(l.completion_tokens, 0)), 0),
  COALESCE(SUM(CAST(ROUND(l.cost_usd * 100000000) AS BIGINT)), 0)
FROM documents d LEFT JOIN usage_ledger l ON l.document_id = d.id
WHERE {where}
GROUP BY d.id, {month}, COALESCE(l.model, d.model, ''), d.tenant_id, d.licence_tier"""


_CELL_COLUMNS = "document_id, month, model, tenant_id, licence_tier, " + ", ".join(_COUNTS)


def _rollup_upsert(sign: str, where: str) -> str:
    """Add (sign '') or take away (sign '-') the cells matching ``where`` at all four grains.

    A document counts once per distinct group of a grain: one row per group here.
    """
    sums = ", ".join(f"{sign}SUM(c.{name})" for name in _COUNTS)
    shard = _SHARD.format("c.document_id")
    updates = ", ".join(f"{name} = cost_rollups.{name} + excluded.{name}" for name in ("documents", *_COUNTS))
    return f"""INSERT INTO cost_rollups ({_ROLLUP_KEY}, documents, {", ".join(_COUNTS)})
SELECT g.grain, c.tenant_id, c.licence_tier,
  CASE WHEN g.grain IN (1, 3) THEN c.month ELSE '' END,
  CASE WHEN g.grain IN (2, 3) THEN c.model ELSE '' END, {shard},
  {sign}COUNT(DISTINCT c.document_id), {sums}
FROM document_cost_cells c CROSS JOIN (SELECT 0 AS grain UNION ALL SELECT 1 UNION ALL SELECT 2
  UNION ALL SELECT 3) g
WHERE {where}
GROUP BY g.grain, c.tenant_id, c.licence_tier,
  CASE WHEN g.grain IN (1, 3) THEN c.month ELSE '' END,
  CASE WHEN g.grain IN (2, 3) THEN c.model ELSE '' END, {shard}
ORDER BY 1, 2, 3, 4, 5, 6
ON CONFLICT ({_ROLLUP_KEY}) DO UPDATE SET {updates}"""


def _refresh_statements(dialect: str, doc: str) -> list[str]:
    """Rebuild one document's cells and move the rollups from the old cells to the new."""
    where = f"c.document_id = {doc}"
    return [
        _rollup_upsert("-", where),
        f"DELETE FROM document_cost_cells WHERE document_id = {doc}",
        f"INSERT INTO document_cost_cells ({_CELL_COLUMNS})\n{_cells_select(dialect, f'd.id = {doc}')}",
        _rollup_upsert("", where),
    ]


def _postgresql_triggers() -> list[str]:
    body = ";\n  ".join(_refresh_statements("postgresql", "doc"))
    return [
        f"""CREATE FUNCTION folio_cost_cells_refresh(doc varchar) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  tenant integer;
BEGIN
  SELECT tenant_id INTO tenant FROM documents WHERE id = doc;
  IF tenant IS NULL THEN
    SELECT tenant_id INTO tenant FROM document_cost_cells WHERE document_id = doc LIMIT 1;
  END IF;
  IF tenant IS NULL THEN
    RETURN;
  END IF;
  PERFORM pg_advisory_xact_lock({_LOCK_CLASS}, hashtext(tenant || ':' || {_SHARD.format("doc")}));
  {body};
END
$$""",
        """CREATE FUNCTION folio_cost_cells_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'documents' AND TG_OP = 'DELETE' THEN
    PERFORM folio_cost_cells_refresh(OLD.id);
  ELSIF TG_TABLE_NAME = 'documents' THEN
    PERFORM folio_cost_cells_refresh(NEW.id);
  ELSE
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      PERFORM folio_cost_cells_refresh(OLD.document_id);
    END IF;
    IF TG_OP = 'INSERT' THEN
      PERFORM folio_cost_cells_refresh(NEW.document_id);
    ELSIF TG_OP = 'UPDATE' THEN
      IF NEW.document_id <> OLD.document_id THEN
        PERFORM folio_cost_cells_refresh(NEW.document_id);
      END IF;
    END IF;
  END IF;
  RETURN NULL;
END
$$""",
        "CREATE TRIGGER folio_cost_cells_documents_insert AFTER INSERT OR DELETE ON documents "
        "FOR EACH ROW EXECUTE FUNCTION folio_cost_cells_trigger()",
        "CREATE TRIGGER folio_cost_cells_documents_update "
        "AFTER UPDATE OF model, created_at, tenant_id, licence_tier ON documents FOR EACH ROW "
        "WHEN (OLD.model IS DISTINCT FROM NEW.model OR OLD.created_at IS DISTINCT FROM NEW.created_at "
        "OR OLD.tenant_id <> NEW.tenant_id OR OLD.licence_tier <> NEW.licence_tier) "
        "EXECUTE FUNCTION folio_cost_cells_trigger()",
        "CREATE TRIGGER folio_cost_cells_ledger AFTER INSERT OR UPDATE OR DELETE ON usage_ledger "
        "FOR EACH ROW EXECUTE FUNCTION folio_cost_cells_trigger()",
    ]


def _sqlite_triggers() -> list[str]:
    def trigger(name: str, event: str, docs: Sequence[str], when: str = "") -> str:
        body = "".join(s + ";\n" for doc in docs for s in _refresh_statements("sqlite", doc))
        return f"CREATE TRIGGER {name} AFTER {event} FOR EACH ROW {when}\nBEGIN\n{body}END"

    return [
        trigger("folio_cost_cells_documents_insert", "INSERT ON documents", ["NEW.id"]),
        trigger("folio_cost_cells_documents_delete", "DELETE ON documents", ["OLD.id"]),
        trigger(
            "folio_cost_cells_documents_update",
            "UPDATE OF model, created_at, tenant_id, licence_tier ON documents",
            ["NEW.id"],
            "WHEN OLD.model IS NOT NEW.model OR OLD.created_at IS NOT NEW.created_at "
            "OR OLD.tenant_id IS NOT NEW.tenant_id OR OLD.licence_tier IS NOT NEW.licence_tier",
        ),
        trigger("folio_cost_cells_ledger_insert", "INSERT ON usage_ledger", ["NEW.document_id"]),
        trigger("folio_cost_cells_ledger_delete", "DELETE ON usage_ledger", ["OLD.document_id"]),
        trigger("folio_cost_cells_ledger_update", "UPDATE ON usage_ledger", ["OLD.document_id"]),
        trigger(
            "folio_cost_cells_ledger_move",
            "UPDATE OF document_id ON usage_ledger",
            ["NEW.document_id"],
            "WHEN OLD.document_id IS NOT NEW.document_id",
        ),
    ]


_SQLITE_TRIGGERS = (
    "folio_cost_cells_documents_insert",
    "folio_cost_cells_documents_delete",
    "folio_cost_cells_documents_update",
    "folio_cost_cells_ledger_insert",
    "folio_cost_cells_ledger_delete",
    "folio_cost_cells_ledger_update",
    "folio_cost_cells_ledger_move",
)


# --- field report rollups -------------------------------------------------------------------

_FIELD_PATH = "CASE WHEN f.table_name IS NULL THEN f.name ELSE f.table_name || '.' || f.name END"


def _field_backfill() -> list[str]:
    # Per document first (distinct documents), then summed per tenant, schema and field.
    return [
        f"""INSERT INTO field_rollups (tenant_id, schema_name, field, shard, value_rows, filled,
  flagged, confidence_count, confidence_units)
SELECT tenant_id, schema_name, field, shard, SUM(n), SUM(filled), SUM(flagged), SUM(cn), SUM(cu)
FROM (
  SELECT f.tenant_id, f.schema_name, {_FIELD_PATH} AS field, {_SHARD.format("f.document_id")} AS shard,
    COUNT(*) AS n,
    MAX(CASE WHEN f.value_text IS NOT NULL THEN 1 ELSE 0 END) AS filled,
    MAX(CASE WHEN f.flagged THEN 1 ELSE 0 END) AS flagged,
    COUNT(f.confidence) AS cn,
    COALESCE(SUM(CAST(ROUND(f.confidence * 1000000000) AS BIGINT)), 0) AS cu
  FROM extraction_fields f
  GROUP BY f.document_id, f.tenant_id, f.schema_name, {_FIELD_PATH}
) per_document
GROUP BY tenant_id, schema_name, field, shard""",
        f"""INSERT INTO extraction_counts (tenant_id, schema_name, shard, documents)
SELECT d.tenant_id, e.schema_name, {_SHARD.format("e.document_id")}, COUNT(*)
FROM extractions e JOIN documents d ON d.id = e.document_id
WHERE e.is_current
GROUP BY d.tenant_id, e.schema_name, {_SHARD.format("e.document_id")}""",
    ]


def _cost_backfill(dialect: str) -> list[str]:
    return [
        f"INSERT INTO document_cost_cells ({_CELL_COLUMNS})\n{_cells_select(dialect, '1 = 1')}",
        _rollup_upsert("", "1 = 1"),
    ]


def _value_keys_and_indexes() -> None:
    # The old predicate indexes go first, so the value-key UPDATE maintains fewer.
    for columns in (["name", "value_number"], ["name", "value_date"], ["name", "value_text"]):
        op.drop_index(op.f("ix_extraction_fields_" + "_".join(columns)), table_name="extraction_fields")
    op.add_column(
        "extraction_fields",
        sa.Column("value_key", sa.String(600), nullable=True,
                  comment="value_text lower-cased, for case-insensitive filters (0008)."),
    )
    op.execute("UPDATE extraction_fields SET value_key = lower(value_text) WHERE value_text IS NOT NULL")
    # Keyset pages newest first (the default sort) and the export by id.
    op.create_index(op.f("ix_documents_created_at_id"), "documents", ["created_at", "id"])
    # Field predicates: name (+ table) and typed value, with the document for index-only
    # semi-joins; text is compared lower-cased, through the stored key.
    for kind in ("value_number", "value_date", "value_key"):
        op.create_index(
            op.f(f"ix_extraction_fields_name_table_name_{kind}_document_id"),
            "extraction_fields",
            ["name", "table_name", kind, "document_id"],
        )


def _drop_value_keys_and_indexes() -> None:
    for kind in ("value_number", "value_date", "value_key"):
        op.drop_index(
            op.f(f"ix_extraction_fields_name_table_name_{kind}_document_id"), table_name="extraction_fields"
        )
    op.drop_index(op.f("ix_documents_created_at_id"), table_name="documents")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): a batch copy would break the views.
    op.drop_column("extraction_fields", "value_key")
    for columns in (["name", "value_number"], ["name", "value_date"], ["name", "value_text"]):
        op.create_index(op.f("ix_extraction_fields_" + "_".join(columns)), "extraction_fields", columns)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _create_tables()
    for statement in (*_cost_backfill(dialect), *_field_backfill()):
        op.execute(statement)
    triggers = _postgresql_triggers() if dialect == "postgresql" else _sqlite_triggers()
    for statement in triggers:
        op.execute(statement)
    _value_keys_and_indexes()
    if dialect == "postgresql":
        op.execute("ANALYZE document_cost_cells")
        op.execute("ANALYZE cost_rollups")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_value_keys_and_indexes()
    if dialect == "postgresql":
        for name in ("documents_insert", "documents_update", "ledger"):
            table = "usage_ledger" if name == "ledger" else "documents"
            op.execute(f"DROP TRIGGER IF EXISTS folio_cost_cells_{name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS folio_cost_cells_trigger()")
        op.execute("DROP FUNCTION IF EXISTS folio_cost_cells_refresh(varchar)")
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for table in ("extraction_counts", "field_rollups", "cost_rollups", "document_cost_cells"):
        op.drop_table(table)
