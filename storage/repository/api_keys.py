"""API keys: created once (the key is returned, only its sha256 is stored), looked up by hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.tables import ApiKey, Tenant, utcnow

KEY_PREFIX = "folio_"


def hash_api_key(key: str) -> str:
    """sha256 of an API key, hex: what the database stores and looks up."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_api_key(session: Session, *, tenant_id: int | None) -> tuple[ApiKey, str]:
    """A new key for ``tenant_id`` (None: an admin key); returns the row and the key itself,
    which exists nowhere else afterwards."""
    # 32 random bytes, URL-safe: 43 characters of secret after the prefix.
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(tenant_id=tenant_id, key_hash=hash_api_key(key), prefix=key[:12])
    session.add(row)
    session.flush()
    return row, key


def find_api_key(session: Session, *, key: str) -> ApiKey | None:
    """The live (not revoked) key row for ``key``, or None."""
    digest = hash_api_key(key)
    row = session.scalars(
        sa.select(ApiKey).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))
    ).one_or_none()
    # The index lookup already matched; the constant-time compare keeps the final decision
    # free of early-exit timing whatever the database's comparison does.
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        return None
    return row


def revoke_api_key(session: Session, *, key_id: int) -> bool:
    """Revoke a key by id; False if there is no live key with that id."""
    row = session.get(ApiKey, key_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    session.flush()
    return True


def list_api_keys(session: Session, *, tenant_id: int | None, admin: bool = False) -> list[ApiKey]:
    """Keys, oldest first: the tenant's (``tenant_id``), the admin keys (``admin``), or every
    key (neither). Revoked ones included; only prefixes and dates are there to show."""
    statement = sa.select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
    if tenant_id is not None:
        statement = statement.where(ApiKey.tenant_id == tenant_id)
    elif admin:
        statement = statement.where(ApiKey.tenant_id.is_(None))
    return list(session.scalars(statement))


def live_keys_with_prefix(session: Session, *, prefix: str) -> list[ApiKey]:
    """Live keys whose stored prefix starts with ``prefix`` (how a person names a key)."""
    return list(
        session.scalars(
            sa.select(ApiKey).where(
                ApiKey.prefix.startswith(prefix, autoescape=True), ApiKey.revoked_at.is_(None)
            )
        )
    )


@dataclass(frozen=True)
class KeyOwner:
    """Whom a live API key acts for: a tenant (id and name), or everyone (admin: id None)."""

    key_id: int
    tenant_id: int | None
    tenant_name: str | None
    prefix: str = ""  # the key's first characters: how a person names it


def find_key_owner(session: Session, *, key_hash: str) -> KeyOwner | None:
    """The owner of the live key with this sha256 (hex), in one query; None if unknown or revoked."""
    row = session.execute(
        sa.select(ApiKey.id, ApiKey.key_hash, ApiKey.prefix, ApiKey.tenant_id, Tenant.name)
        .outerjoin(Tenant, Tenant.id == ApiKey.tenant_id)
        .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
    ).one_or_none()
    if row is None or not hmac.compare_digest(row.key_hash, key_hash):
        return None
    if row.tenant_id is not None and row.name is None:
        return None  # a tenant key whose tenant is gone acts for nobody
    return KeyOwner(key_id=row.id, tenant_id=row.tenant_id, tenant_name=row.name, prefix=row.prefix)
