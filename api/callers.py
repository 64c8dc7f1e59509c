"""Who is calling: API keys resolved to a ``Caller``, remembered briefly in the process.

A key is looked up by its sha256 (one query, the key joined to its tenant) and the answer is
kept for ``FOLIO_API_KEY_CACHE_S`` seconds (5 by default), so a busy client costs one lookup
per interval instead of one per request. The price, stated plainly: a key revoked in the
database (``revoked_at`` set) keeps working in an API process for at most that long, and so
does a deleted tenant's. Unknown keys are never cached (a key created a moment ago works at
once).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings
from storage import repository as repo

# Bounds memory whatever callers send; a full cache is emptied and refills as keys arrive.
MAX_CACHED_KEYS = 10_000


@dataclass(frozen=True)
class Caller:
    """Who is calling: a tenant (by id and name) or an admin, and by which key."""

    tenant_id: int | None
    tenant_name: str | None
    is_admin: bool = False
    # The key's name as people see it (its stored prefix, as ``folio tenant key list`` shows
    # it): the author recorded on a review's corrections.
    key_name: str | None = None

    @property
    def author(self) -> str:
        """Who made a change, as the audit trail records it: the key's name."""
        return self.key_name or ("admin" if self.is_admin else f"tenant {self.tenant_name}")

    @property
    def tenant_scope(self) -> int | None:
        """The tenant every query must be limited to; None means all tenants (admin)."""
        return None if self.is_admin else self.tenant_id


# The key configured by FOLIO_ADMIN_KEY_HASH (not a database row, so it has no prefix).
ADMIN = Caller(tenant_id=None, tenant_name=None, is_admin=True, key_name="FOLIO_ADMIN_KEY")


class CallerCache:
    """Resolved keys by sha256, each kept ``ttl_s`` seconds; thread-safe."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[str, tuple[Caller, float]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str, *, now: float | None = None) -> Caller | None:
        """The cached caller of a key hash, or None when absent or expired."""
        entry = self._entries.get(digest)
        if entry is None:
            return None
        caller, expires = entry
        if (time.monotonic() if now is None else now) >= expires:
            with self._lock:
                self._entries.pop(digest, None)
            return None
        return caller

    def put(self, digest: str, caller: Caller, *, now: float | None = None) -> None:
        """Remember ``caller`` for ``ttl_s`` seconds (nothing when the TTL is 0)."""
        if self.ttl_s <= 0:
            return
        with self._lock:
            if len(self._entries) >= MAX_CACHED_KEYS:
                self._entries.clear()
            self._entries[digest] = (caller, (time.monotonic() if now is None else now) + self.ttl_s)


def key_digest(key: str) -> str:
    """The sha256 (hex) of an API key, as stored."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def cached_caller(settings: Settings, cache: CallerCache, key: str) -> tuple[str, Caller | None]:
    """(the key's digest, its caller) without touching the database: the configured admin
    key, or a cached answer; the caller is None when the database must be asked."""
    digest = key_digest(key)
    return digest, known_caller(settings, cache, digest)


def known_caller(settings: Settings, cache: CallerCache, digest: str) -> Caller | None:
    """The caller of a key's digest when known without the database (the configured admin
    key, or a cached answer), else None."""
    admin_hash = settings.api.admin_key_hash
    if admin_hash and hmac.compare_digest(digest, admin_hash.strip().lower()):
        return ADMIN
    return cache.get(digest)


def lookup_caller(sessions: sessionmaker[Session], cache: CallerCache, digest: str) -> Caller | None:
    """Ask the database for the key with this digest (one query); cache a live key's caller."""
    with sessions() as session:
        owner = repo.find_key_owner(session, key_hash=digest)
    if owner is None:
        return None
    caller = Caller(
        owner.tenant_id, owner.tenant_name, is_admin=owner.tenant_id is None, key_name=owner.prefix or None
    )
    cache.put(digest, caller)
    return caller


def resolve_key(
    settings: Settings, sessions: sessionmaker[Session], cache: CallerCache, key: str
) -> Caller | None:
    """The caller an API key stands for, or None for an unknown or revoked key (blocking)."""
    digest, caller = cached_caller(settings, cache, key)
    return caller if caller is not None else lookup_caller(sessions, cache, digest)
