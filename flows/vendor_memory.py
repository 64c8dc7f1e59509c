"""Vendor memory in the pipeline: the tenant's profiles loaded for each document, and a
profile taught from every approved document (see ``docs/vendor_memory.md``).

- :func:`load_vendor_memory`: the tenant's profiles for the document's schema, which the
  pipeline sets around extraction (``extractors.engines.vendor_context``).
- :func:`learn_from_approval`: called by ``flows.review.approve_document`` once the approval
  is committed: the document's pages are read again as the local engine reads them (text
  layer, OCR of image pages), its approved values located on them, and the vendor's profile
  (the one the first page matches, else a new one) taught and saved. Learning never undoes
  an approval: a failure is logged and the approval stands.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from core.logging import get_logger
from core.settings import Settings
from extractors.engines.local import LocalEngine
from extractors.engines.vendor_context import VendorMemory
from extractors.fieldmap.mapper import map_page
from extractors.fieldmap.vendor_keys import match_vendor
from extractors.fieldmap.vendor_prior import rows_of
from extractors.fieldmap.vendor_profiles import teach_profile
from extractors.prepare import PagePreparer
from flows.schemas import resolve_schema
from models.document import FileKind
from models.extraction import DocumentExtraction, FieldScalar, PageExtraction
from models.page import TextLine
from models.vendor import VendorProfile
from storage import repository as repo
from storage.blobs import BlobStore

log = get_logger("vendor_memory")


def load_vendor_memory(session: Session, *, tenant_id: int, schema_name: str) -> VendorMemory:
    """The tenant's vendor profiles taught for ``schema_name``."""
    return VendorMemory(tuple(repo.vendor_profiles(session, tenant_id=tenant_id, schema_name=schema_name)))


def approved_values(result: dict[str, object]) -> dict[str, FieldScalar]:
    """The scalar values of a stored extraction result (tables are not learned)."""
    extraction = DocumentExtraction.model_validate(result)
    return {name: found.value for name, found in extraction.fields.items()}


async def _read_pages(
    settings: Settings, path: str, kind: FileKind, schema_name: str, session: Session
) -> tuple[list[list[TextLine]], list[PageExtraction]]:
    schema = resolve_schema(session, schema_name)
    engine = LocalEngine(settings)
    pages: list[list[TextLine]] = []
    mapped: list[PageExtraction] = []
    async with PagePreparer(settings) as preparer:
        async for page in preparer.prepare(Path(path), kind, render="when_needed"):
            # In the frame the lines read in, as the engine matches and applies the memory.
            lines = [] if page.failed else (await engine.read_text(page)).reading_lines
            pages.append(lines)
            mapped.append(map_page(lines, schema, page_number=page.page_number))
    return pages, mapped


async def learn_from_approval(
    settings: Settings, sessions: sessionmaker[Session], *, document_id: str
) -> VendorProfile | None:
    """Teach the vendor's profile from an approved document; the profile saved, or None
    when the document has no pages to read or learning failed (logged)."""
    try:
        with sessions() as session:
            tenant, document = repo.document_tenant(session, document_id=document_id)
            current = repo.current_extraction(session, document_id)
            if current is None or document.kind is None:
                return None
            values = approved_values(current.result)
            schema = resolve_schema(session, document.schema_name)
            path = str(BlobStore(settings.storage.blob_dir).path(document.sha256))
            pages, mapped = await _read_pages(settings, path, FileKind(document.kind), schema.name, session)
            if not pages or not any(pages):
                return None
            known = repo.vendor_profiles(session, tenant_id=tenant.id, schema_name=schema.name)
        match = match_vendor(rows_of(pages[0]), known)
        profile = teach_profile(
            pages,
            values,
            schema,
            document_id=document_id,
            existing=match.profile if match else None,
            mapped=mapped,
        )
        with sessions.begin() as session:
            saved = repo.save_vendor_profile(session, tenant_id=tenant.id, profile=profile)
        log.info("document %s taught vendor profile %s (%s)", document_id, saved.id, saved.display_name)
        return saved
    except Exception:  # the approval is committed; learning must never undo it
        log.exception("learning from approved document %s failed", document_id)
        return None
