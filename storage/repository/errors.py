"""Errors the repository raises when the database does not agree with the caller."""

from __future__ import annotations

from core.errors import ConfigurationError, InternalError


class LeaseLostError(InternalError):
    """The worker's lease on a document has passed to another worker; it must stop."""

    code = "lease_lost"


class DocumentNotFoundError(InternalError):
    """A document id that the caller holds is not in the database."""

    code = "document_not_found"


class TenantExistsError(ConfigurationError):
    """``create_tenant`` with a name already taken."""

    code = "tenant_exists"


class TenantNotFoundError(ConfigurationError):
    """A tenant name that does not exist."""

    code = "tenant_not_found"
