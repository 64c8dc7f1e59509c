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


class ReviewConflictError(ConfigurationError):
    """A review action the document's state refuses (the API answers 409)."""

    code = "review_conflict"


class StaleVersionError(ReviewConflictError):
    """The reviewer saw another extraction version than the current one (someone else changed
    it meanwhile): reload and try again. ``current_version`` is the version now in force."""

    code = "stale_version"

    def __init__(self, message: str, *, current_version: int | None) -> None:
        super().__init__(message)
        self.current_version = current_version


class NotInReviewError(ReviewConflictError):
    """The document is not in a status this review action applies to (``status`` says which)."""

    code = "not_in_review"

    def __init__(self, message: str, *, status: str) -> None:
        super().__init__(message)
        self.status = status
