"""The ORM tables, one module per aggregate; this package is the one place that imports them all.

Importing ``storage.tables`` registers every table on ``Base.metadata`` (what migrations,
``create_all`` and the schema checks read), and re-exports them, so callers write
``from storage.tables import Document, utcnow``. Every schema change goes through an
Alembic revision in ``storage/migrations/versions``; a test checks that the two agree.
"""

from storage.tables.api_keys import ApiKey
from storage.tables.base import Base, StrEnumType, UtcDateTime, new_document_id, utcnow
from storage.tables.callbacks import CallbackDelivery
from storage.tables.documents import Document, Page
from storage.tables.extractions import Extraction, ExtractionField
from storage.tables.ledger import UsageLedgerEntry
from storage.tables.review import FieldCorrection
from storage.tables.rollups import CostRollup, DocumentCostCell, ExtractionCount, FieldRollup
from storage.tables.schemas import ExtractionSchemaVersion
from storage.tables.sources import SourceFile
from storage.tables.tenants import Tenant
from storage.tables.vendors import VendorProfileRow

__all__ = [
    "ApiKey",
    "Base",
    "CallbackDelivery",
    "CostRollup",
    "Document",
    "DocumentCostCell",
    "Extraction",
    "ExtractionCount",
    "ExtractionField",
    "ExtractionSchemaVersion",
    "FieldCorrection",
    "FieldRollup",
    "Page",
    "SourceFile",
    "StrEnumType",
    "Tenant",
    "UsageLedgerEntry",
    "UtcDateTime",
    "VendorProfileRow",
    "new_document_id",
    "utcnow",
]
