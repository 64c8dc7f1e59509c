"""Vendor memory: a tenant's vendor profiles, read for the pipeline, taught on approval,
shown and reset by the CLI. Functions flush, never commit.

``tenant_id`` None reads every tenant's profiles (admins, the CLI); otherwise another
tenant's profile is never seen.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.vendor import FieldMemory, VendorKeys, VendorProfile
from storage.tables import utcnow
from storage.tables.vendors import VendorProfileRow


def _profile(row: VendorProfileRow) -> VendorProfile:
    return VendorProfile(
        id=row.id,
        tenant_id=str(row.tenant_id),
        schema_name=row.schema_name,
        display_name=row.display_name,
        keys=VendorKeys.model_validate(row.keys or {}),
        fields={k: FieldMemory.model_validate(v) for k, v in (row.fields or {}).items()},
        example=dict(row.example or {}),
        approvals=row.approvals,
        document_ids=list(row.document_ids or []),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def vendor_profiles(
    session: Session, *, tenant_id: int | None, schema_name: str | None = None
) -> list[VendorProfile]:
    """The tenant's profiles (every tenant's when None), most recently taught first."""
    query = sa.select(VendorProfileRow).order_by(VendorProfileRow.updated_at.desc(), VendorProfileRow.id)
    if tenant_id is not None:
        query = query.where(VendorProfileRow.tenant_id == tenant_id)
    if schema_name is not None:
        query = query.where(VendorProfileRow.schema_name == schema_name)
    return [_profile(row) for row in session.scalars(query)]


def _row(session: Session, profile_id: str, tenant_id: int | None) -> VendorProfileRow | None:
    query = sa.select(VendorProfileRow).where(VendorProfileRow.id == profile_id)
    if tenant_id is not None:
        query = query.where(VendorProfileRow.tenant_id == tenant_id)
    return session.scalars(query).one_or_none()


def get_vendor_profile(session: Session, *, profile_id: str, tenant_id: int | None) -> VendorProfile | None:
    """One profile by id (None when missing or another tenant's)."""
    row = _row(session, profile_id, tenant_id)
    return _profile(row) if row is not None else None


def vendor_profile_ids_with_prefix(session: Session, prefix: str, *, limit: int = 2) -> list[str]:
    """Profile ids starting with ``prefix`` (the CLI accepts a unique prefix)."""
    query = sa.select(VendorProfileRow.id).where(VendorProfileRow.id.startswith(prefix, autoescape=True))
    return list(session.scalars(query.order_by(VendorProfileRow.id).limit(limit)))


def save_vendor_profile(session: Session, *, tenant_id: int, profile: VendorProfile) -> VendorProfile:
    """Store ``profile`` for ``tenant_id``: a new row when it has no id, else its row updated."""
    row = _row(session, profile.id, tenant_id) if profile.id else None
    if row is None:
        row = VendorProfileRow(tenant_id=tenant_id, created_at=utcnow())
        session.add(row)
    row.schema_name = profile.schema_name
    row.display_name = profile.display_name[:300]
    row.keys = profile.keys.model_dump(mode="json")
    row.fields = {k: v.model_dump(mode="json") for k, v in profile.fields.items()}
    row.example = profile.example
    row.approvals = profile.approvals
    row.document_ids = list(profile.document_ids)
    row.updated_at = utcnow()
    session.flush()
    return _profile(row)


def delete_vendor_profile(session: Session, *, profile_id: str, tenant_id: int | None) -> bool:
    """Forget a profile (a reset): True when there was one to forget."""
    row = _row(session, profile_id, tenant_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True
