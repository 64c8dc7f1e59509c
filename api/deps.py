"""Dependencies shared by the routes: settings, database sessions, the authenticated caller.

``get_caller`` resolves ``Authorization: Bearer <key>`` to a ``Caller``: a tenant's key gives
that tenant; the admin key gives cross-tenant reads. Every query a route makes is scoped with
``caller.tenant_scope`` (None only for admins).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    """Who is calling: a tenant (by id and name) or an admin."""

    tenant_id: int | None
    tenant_name: str | None
    is_admin: bool = False

    @property
    def tenant_scope(self) -> int | None:
        """The tenant every query must be limited to; None means all tenants (admin)."""
        return None if self.is_admin else self.tenant_id
