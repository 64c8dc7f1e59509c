"""Repository functions: the only way the rest of Folio reads and writes the database.

Arguments after the session are keyword-only. Functions flush but never commit: the
caller's ``session_scope`` decides where a transaction ends.
"""

# The HTTP API (issue 5): api_keys, callbacks, uploads.
from storage.repository.api_keys import (
    KeyOwner,
    create_api_key,
    find_api_key,
    find_key_owner,
    hash_api_key,
    list_api_keys,
    live_keys_with_prefix,
    revoke_api_key,
)
from storage.repository.callbacks import deliveries_for, record_delivery

# Cost and licence (issue 4): tenants' tiers, policy and quote records, budgets, reports.
from storage.repository.costs import (
    TenantExistsError,
    TenantNotFoundError,
    create_tenant,
    document_tenant,
    find_document,
    get_tenant,
    list_tenants,
    lock_tenant_budget,
    monthly_usage,
    record_policy,
    record_quote,
    set_tenant_tier,
)
from storage.repository.documents import (
    count_final,
    document_ids_with_prefix,
    finish_document,
    get_document,
    list_documents,
    register_document,
    reload_document,
    requeue_document,
    set_document_status,
)
from storage.repository.errors import DocumentNotFoundError, LeaseLostError
from storage.repository.extractions import (
    add_extraction,
    current_extraction,
    extraction_history,
    pages_of,
    save_pages,
)
from storage.repository.leases import (
    claim_document,
    claim_next_documents,
    release_documents,
    renew_lease,
)
from storage.repository.ledger import add_usage, ledger_for
from storage.repository.reports import COST_GROUPS, cost_report, licence_report

# Custom extraction schemas (issue 3).
from storage.repository.schemas import (
    add_schema_version,
    latest_schema,
    list_schemas,
    schema_content_hash,
)
from storage.repository.tenants import callback_url_for, get_or_create_tenant, set_tenant_callback
from storage.repository.uploads import (
    DocumentPage,
    UploadRegistered,
    page_documents,
    register_upload,
    stale_document_ids,
)

__all__ = [
    "DocumentPage",
    "KeyOwner",
    "UploadRegistered",
    "create_api_key",
    "deliveries_for",
    "find_api_key",
    "find_key_owner",
    "register_upload",
    "callback_url_for",
    "set_tenant_callback",
    "hash_api_key",
    "page_documents",
    "record_delivery",
    "list_api_keys",
    "live_keys_with_prefix",
    "revoke_api_key",
    "stale_document_ids",
    "add_schema_version",
    "latest_schema",
    "list_schemas",
    "schema_content_hash",
    "COST_GROUPS",
    "TenantExistsError",
    "TenantNotFoundError",
    "cost_report",
    "create_tenant",
    "document_tenant",
    "find_document",
    "get_tenant",
    "licence_report",
    "list_tenants",
    "lock_tenant_budget",
    "monthly_usage",
    "record_policy",
    "record_quote",
    "set_tenant_tier",
    "DocumentNotFoundError",
    "LeaseLostError",
    "add_extraction",
    "add_usage",
    "claim_document",
    "claim_next_documents",
    "count_final",
    "current_extraction",
    "document_ids_with_prefix",
    "extraction_history",
    "finish_document",
    "get_document",
    "get_or_create_tenant",
    "ledger_for",
    "list_documents",
    "pages_of",
    "register_document",
    "reload_document",
    "requeue_document",
    "release_documents",
    "renew_lease",
    "save_pages",
    "set_document_status",
]

# Analyst queries (issue 7): typed field rows, document queries, the field report.
from storage.repository.fields import field_rows, replace_fields, typed_value  # noqa: E402
from storage.repository.queries import (  # noqa: E402
    DocumentQuery,
    FieldPredicate,
    QueryError,
    QueryPage,
    document_query_statement,
    field_report,
    iter_documents,
    parse_where,
    query_documents,
)

__all__ += [
    "QueryPage",
    "DocumentQuery",
    "FieldPredicate",
    "QueryError",
    "document_query_statement",
    "field_report",
    "field_rows",
    "iter_documents",
    "parse_where",
    "query_documents",
    "replace_fields",
    "typed_value",
]

# Batch ingest (issue 6): files seen in batch sources.
from storage.repository.sources import (  # noqa: E402
    SourceFileKey,
    find_source_files,
    finish_source_file,
    pending_source_files,
    record_source_file,
)

__all__ += [
    "SourceFileKey",
    "find_source_files",
    "finish_source_file",
    "pending_source_files",
    "record_source_file",
]
