"""SQL of the analyst views and the read-only role, for SQLite and PostgreSQL.

Migration 0005 creates these; a later change to a view must come as new statements used
by a new migration, never by editing these (an old migration has to keep building the
schema it built). Three views, documented in ``docs/analytics.md``:

- ``folio_documents_v``: one row per document (status, cost, tier, key invoice fields);
- ``folio_fields_v``: one row per extracted value of a current extraction;
- ``folio_costs_daily_v``: ledger cost per UTC day, tenant, model, engine and licence tier,
  counted exactly as ``storage.repository.reports.cost_report`` counts it.

Money: ``cost_usd`` is exact NUMERIC on PostgreSQL; SQLite sums it as floating point, so
every view also has ``cost_units`` (integer 1e-8 USD), exact on both.
"""

from __future__ import annotations

VIEWS = ("folio_documents_v", "folio_fields_v", "folio_costs_daily_v")
ANALYST_ROLE = "folio_analyst"
UNITS = "100000000"  # 1e-8 USD: the scale of the Money columns

# Key fields lifted onto the document view: (column, field name, typed value column).
KEY_FIELDS = (
    ("vendor_name", "vendor_name", "value_text"),
    ("invoice_number", "invoice_number", "value_text"),
    ("invoice_date", "invoice_date", "value_date"),
    ("currency", "currency", "value_text"),
    ("total_amount", "total_amount", "value_number"),
)


def _utc_text(dialect: str, column: str, pattern: str) -> str:
    if dialect == "postgresql":
        pg = pattern.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD")
        return f"to_char(timezone('UTC', {column}), '{pg}')"
    return f"strftime('{pattern}', {column})"  # SQLite stores UTC text without offset


def _units(column: str) -> str:
    return f"CAST(ROUND({column} * {UNITS}) AS BIGINT)"


def documents_view(dialect: str) -> str:
    """``CREATE VIEW folio_documents_v``."""
    array_length = "jsonb_array_length" if dialect == "postgresql" else "json_array_length"
    keys = ",\n  ".join(
        f"(SELECT MAX(f.{column}) FROM extraction_fields f WHERE f.document_id = d.id "
        f"AND f.table_name IS NULL AND f.name = '{field}') AS {alias}"
        for alias, field, column in KEY_FIELDS
    )
    return f"""CREATE VIEW folio_documents_v AS
SELECT
  d.id AS document_id, d.tenant_id, t.name AS tenant, d.schema_name, d.status,
  d.file_name, d.page_count, d.engine, d.model, d.licence_tier, d.policy_decision,
  d.cost_usd, {_units("d.cost_usd")} AS cost_units,
  d.created_at, d.finished_at,
  e.id AS extraction_id, e.version AS extraction_version,
  COALESCE({array_length}(e.review_flags), 0) AS review_flag_count,
  (SELECT MIN(f.confidence) FROM extraction_fields f WHERE f.document_id = d.id
     AND f.table_name IS NULL) AS min_confidence,
  {keys}
FROM documents d
JOIN tenants t ON t.id = d.tenant_id
LEFT JOIN extractions e ON e.document_id = d.id AND e.is_current"""


def fields_view(dialect: str) -> str:
    """``CREATE VIEW folio_fields_v``."""
    return """CREATE VIEW folio_fields_v AS
SELECT
  f.id AS field_id, f.document_id, f.extraction_id, f.tenant_id, t.name AS tenant,
  f.schema_name, f.table_name, f.row_index, f.name AS field_name,
  CASE WHEN f.table_name IS NULL THEN f.name ELSE f.table_name || '.' || f.name END AS field,
  f.value_text, f.value_number, f.value_date, f.confidence, f.page, f.flagged,
  d.status, d.licence_tier, d.created_at
FROM extraction_fields f
JOIN tenants t ON t.id = f.tenant_id
JOIN documents d ON d.id = f.document_id"""


def costs_daily_view(dialect: str) -> str:
    """``CREATE VIEW folio_costs_daily_v``: documents joined to their ledger rows, per day."""
    when = "COALESCE(l.created_at, d.created_at)"
    day = _utc_text(dialect, when, "%Y-%m-%d")
    month = _utc_text(dialect, when, "%Y-%m")
    return f"""CREATE VIEW folio_costs_daily_v AS
SELECT
  {day} AS day, {month} AS month, d.tenant_id, t.name AS tenant,
  COALESCE(l.model, d.model) AS model, COALESCE(l.engine, d.engine) AS engine,
  d.licence_tier,
  COUNT(DISTINCT d.id) AS documents, COUNT(l.id) AS calls,
  COALESCE(SUM(CASE WHEN l.error_code IS NOT NULL THEN 1 ELSE 0 END), 0) AS failed_calls,
  COALESCE(SUM(COALESCE(l.prompt_tokens, l.image_tokens, 0)), 0) AS input_tokens,
  COALESCE(SUM(COALESCE(l.completion_tokens, 0)), 0) AS output_tokens,
  COALESCE(SUM(l.cost_usd), 0) AS cost_usd,
  COALESCE(SUM({_units("l.cost_usd")}), 0) AS cost_units
FROM documents d
JOIN tenants t ON t.id = d.tenant_id
LEFT JOIN usage_ledger l ON l.document_id = d.id
GROUP BY {day}, {month}, d.tenant_id, t.name, COALESCE(l.model, d.model),
  COALESCE(l.engine, d.engine), d.licence_tier"""


def create_views(dialect: str) -> list[str]:
    """The statements creating the three views."""
    return [documents_view(dialect), fields_view(dialect), costs_daily_view(dialect)]


def drop_views() -> list[str]:
    """The statements dropping the three views."""
    return [f"DROP VIEW IF EXISTS {name}" for name in reversed(VIEWS)]


def analyst_role_grants() -> list[str]:
    """PostgreSQL only: a NOLOGIN role with SELECT on the views of the current schema.

    Idempotent about an existing role (roles are cluster-wide). A migrating user without
    CREATEROLE gets a NOTICE instead of a failed migration; docs/analytics.md says what a
    superuser runs then.
    """
    views = ", ".join(VIEWS)
    return [
        f"""DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ANALYST_ROLE}') THEN
    CREATE ROLE {ANALYST_ROLE} NOLOGIN;
  END IF;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO {ANALYST_ROLE}', current_schema());
  EXECUTE 'GRANT SELECT ON {views} TO {ANALYST_ROLE}';
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'folio: cannot create or grant role {ANALYST_ROLE}; see docs/analytics.md';
END
$$""",
    ]


def analyst_role_revokes() -> list[str]:
    """PostgreSQL only: take back the schema grant (dropping the views drops theirs)."""
    return [
        f"""DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ANALYST_ROLE}') THEN
    EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM {ANALYST_ROLE}', current_schema());
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'folio: cannot revoke from role {ANALYST_ROLE}';
END
$$""",
    ]
