"""Repository functions: the only way the rest of Folio reads and writes the database.

One module per aggregate (tenants, documents, leases, extractions, schemas, ledger,
billing, api_keys, callbacks, sources, reports, queries); this package re-exports their
public functions, so callers write ``from storage import repository as repo`` and
``repo.register_document(...)``. Arguments after the session are keyword-only. Functions
flush but never commit: the caller's ``session_scope`` decides where a transaction ends.
"""

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
from storage.repository.billing import monthly_usage, record_policy, record_quote
from storage.repository.callbacks import callback_url_for, deliveries_for, record_delivery
from storage.repository.documents import (
    DocumentPage,
    UploadRegistered,
    count_final,
    document_ids_with_prefix,
    document_tenant,
    final_document_ids,
    find_document,
    get_document,
    list_documents,
    page_documents,
    pages_of,
    register_document,
    register_upload,
    reload_document,
    save_pages,
)
from storage.repository.errors import (
    DocumentNotFoundError,
    LeaseLostError,
    NotInReviewError,
    ReviewConflictError,
    StaleVersionError,
    TenantExistsError,
    TenantNotFoundError,
)
from storage.repository.exports import field_names, iter_export_documents, iter_export_table, schema_names
from storage.repository.extractions import (
    add_extraction,
    current_extraction,
    extraction_history,
    field_rows,
    replace_fields,
    typed_value,
)
from storage.repository.leases import (
    claim_document,
    claim_next_documents,
    finish_document,
    release_documents,
    renew_lease,
    requeue_document,
    set_document_status,
    stale_document_ids,
)
from storage.repository.ledger import add_usage, ledger_for
from storage.repository.queries import (
    DocumentQuery,
    FieldPredicate,
    QueryError,
    QueryPage,
    decode_cursor,
    document_query_statement,
    encode_cursor,
    iter_documents,
    matching_documents,
    parse_where,
    query_documents,
)
from storage.repository.reports import (
    COST_GROUPS,
    cost_report,
    dashboard_series,
    field_report,
    licence_report,
)
from storage.repository.review import (
    CORRECTABLE,
    REVIEW_REJECTED,
    ReviewDetail,
    approve,
    correct_fields,
    corrections_for,
    reject,
    review_document,
    reviewed_documents,
    schema_of,
)
from storage.repository.review_queue import QUEUE_ORDERS, QueueOrder, ReviewItem, ReviewPage, review_queue
from storage.repository.schemas import add_schema_version, latest_schema, list_schemas, schema_content_hash
from storage.repository.sources import (
    SourceFileKey,
    find_source_files,
    finish_source_file,
    pending_source_files,
    record_source_file,
    reopen_source_file,
)
from storage.repository.tenants import (
    create_tenant,
    get_or_create_tenant,
    get_tenant,
    list_tenants,
    lock_tenant_budget,
    set_tenant_callback,
    set_tenant_tier,
)
from storage.repository.vendors import (
    delete_vendor_profile,
    get_vendor_profile,
    save_vendor_profile,
    vendor_profile_ids_with_prefix,
    vendor_profiles,
)

__all__ = [
    # tenants
    "create_tenant",
    "get_or_create_tenant",
    "get_tenant",
    "list_tenants",
    "lock_tenant_budget",
    "set_tenant_callback",
    "set_tenant_tier",
    "TenantExistsError",
    "TenantNotFoundError",
    # documents
    "DocumentPage",
    "UploadRegistered",
    "count_final",
    "final_document_ids",
    "document_ids_with_prefix",
    "document_tenant",
    "find_document",
    "get_document",
    "list_documents",
    "page_documents",
    "pages_of",
    "register_document",
    "register_upload",
    "reload_document",
    "save_pages",
    "DocumentNotFoundError",
    # leases and status changes
    "claim_document",
    "claim_next_documents",
    "finish_document",
    "release_documents",
    "renew_lease",
    "requeue_document",
    "set_document_status",
    "stale_document_ids",
    "LeaseLostError",
    # extractions and their typed field rows
    "add_extraction",
    "current_extraction",
    "extraction_history",
    "field_rows",
    "replace_fields",
    "typed_value",
    # the review queue: corrections, approval, rejection
    "CORRECTABLE",
    "QUEUE_ORDERS",
    "REVIEW_REJECTED",
    "NotInReviewError",
    "QueueOrder",
    "ReviewConflictError",
    "ReviewDetail",
    "ReviewItem",
    "ReviewPage",
    "StaleVersionError",
    "approve",
    "correct_fields",
    "corrections_for",
    "reject",
    "review_document",
    "review_queue",
    "reviewed_documents",
    "schema_of",
    # custom extraction schemas
    "add_schema_version",
    "latest_schema",
    "list_schemas",
    "schema_content_hash",
    # usage ledger
    "add_usage",
    "ledger_for",
    # billing
    "monthly_usage",
    "record_policy",
    "record_quote",
    # API keys
    "KeyOwner",
    "create_api_key",
    "find_api_key",
    "find_key_owner",
    "hash_api_key",
    "list_api_keys",
    "live_keys_with_prefix",
    "revoke_api_key",
    # callbacks
    "callback_url_for",
    "deliveries_for",
    "record_delivery",
    # batch sources
    "SourceFileKey",
    "find_source_files",
    "finish_source_file",
    "reopen_source_file",
    "pending_source_files",
    "record_source_file",
    # reports and analyst queries
    "COST_GROUPS",
    "cost_report",
    "dashboard_series",
    "field_report",
    "licence_report",
    "DocumentQuery",
    "FieldPredicate",
    "QueryError",
    "QueryPage",
    "decode_cursor",
    "document_query_statement",
    "encode_cursor",
    "field_names",
    "iter_export_documents",
    "iter_export_table",
    "matching_documents",
    "schema_names",
    "iter_documents",
    "parse_where",
    "query_documents",
    # vendor memory
    "delete_vendor_profile",
    "get_vendor_profile",
    "save_vendor_profile",
    "vendor_profile_ids_with_prefix",
    "vendor_profiles",
]
