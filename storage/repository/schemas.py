"""Custom extraction schemas: versions by name, a new one only when the content changes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.errors import InternalError
from storage.repository.dialect import insert_for
from storage.tables import ExtractionSchemaVersion, utcnow

# Concurrent registrations of different content under one name race for the next version
# number; the loser re-reads and tries the number after. A few rounds settle any real race.
_MAX_TRIES = 5


def schema_content_hash(json_schema: dict[str, Any], description: str) -> str:
    """sha256 of the canonical JSON Schema and the description (both reach the prompt)."""
    canonical = json.dumps(
        {"json_schema": json_schema, "description": description},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def latest_schema(session: Session, name: str) -> ExtractionSchemaVersion | None:
    """The highest version registered under ``name``, or None."""
    return session.scalars(
        sa.select(ExtractionSchemaVersion)
        .where(ExtractionSchemaVersion.name == name)
        .order_by(ExtractionSchemaVersion.version.desc())
        .limit(1)
    ).first()


def add_schema_version(
    session: Session, *, name: str, json_schema: dict[str, Any], description: str
) -> tuple[ExtractionSchemaVersion, bool]:
    """The version of ``name`` holding this content, and whether this call created it.

    Content equal to the latest version's (same hash) is that version, not a new one;
    anything else becomes version latest + 1. Race-safe on both databases.
    """
    digest = schema_content_hash(json_schema, description)
    for _ in range(_MAX_TRIES):
        latest = latest_schema(session, name)
        if latest is not None and latest.schema_hash == digest:
            return latest, False
        version = 1 if latest is None else latest.version + 1
        statement = (
            insert_for(session, ExtractionSchemaVersion.__table__)
            .values(
                name=name,
                version=version,
                description=description,
                json_schema=json_schema,
                schema_hash=digest,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["name", "version"])
            .returning(ExtractionSchemaVersion.__table__.c.id)
        )
        if session.execute(statement).first() is not None:
            row = latest_schema(session, name)
            if row is None or row.version != version:
                raise InternalError(f"schema {name!r} version {version} vanished after insert")
            return row, True
        session.expire_all()  # another writer took this number: read its row next round
    raise InternalError(f"could not register a new version of schema {name!r}")


def list_schemas(session: Session) -> Sequence[ExtractionSchemaVersion]:
    """The latest version of every custom schema, by name."""
    newest = (
        sa.select(
            ExtractionSchemaVersion.name,
            sa.func.max(ExtractionSchemaVersion.version).label("version"),
        )
        .group_by(ExtractionSchemaVersion.name)
        .subquery()
    )
    return session.scalars(
        sa.select(ExtractionSchemaVersion)
        .join(
            newest,
            sa.and_(
                ExtractionSchemaVersion.name == newest.c.name,
                ExtractionSchemaVersion.version == newest.c.version,
            ),
        )
        .order_by(ExtractionSchemaVersion.name)
    ).all()
