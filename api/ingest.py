"""From a parsed upload to a committed document and a processing trigger.

Order matters for "never lost": the blob is stored (fsynced) first, then the documents row
is committed, and only then is processing triggered. A crash after the commit leaves a
``queued`` row the sweeper will find.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from api.callbacks import CallbackRefused, check_callback_url
from api.deps import Caller
from api.problems import ApiProblem
from api.state import ApiState
from api.uploads import UploadForm
from core.errors import BadInputError, UnsupportedTypeError
from extractors.sniff import sniff_kind
from flows.intake import SNIFF_BYTES, register_stored
from flows.schemas import resolve_schema
from models.document import DocumentStatus, FileKind
from storage import repository as repo
from storage.blobs import CHUNK_BYTES, BlobRef

MAX_IDEMPOTENCY_KEY = 200


@dataclass(frozen=True)
class Ingested:
    """What an upload became."""

    document_id: str
    status: DocumentStatus
    created: bool


def _check_options(state: ApiState, form: UploadForm) -> tuple[str, str | None, str | None]:
    schema_name = form.fields.get("schema") or state.settings.default_schema
    callback_url = form.fields.get("callback_url") or None
    key = form.fields.get("idempotency_key") or None
    if key is not None and len(key) > MAX_IDEMPOTENCY_KEY:
        raise ApiProblem(422, f"idempotency_key is longer than {MAX_IDEMPOTENCY_KEY} characters")
    if callback_url is not None:
        if len(callback_url) > 2000:
            raise ApiProblem(422, "callback_url is longer than 2000 characters")
        try:
            check_callback_url(callback_url, state.settings)
        except CallbackRefused as exc:
            raise ApiProblem(422, f"callback_url refused: {exc}") from None
    return schema_name, callback_url, key


def _sniff(form: UploadForm) -> FileKind:
    assert form.file is not None
    head = form.file.read(SNIFF_BYTES)
    form.file.seek(0)
    try:
        return sniff_kind(head, name=form.file_name)
    except UnsupportedTypeError as exc:
        raise ApiProblem(415, exc.message, type_="https://folio.dev/problems/unsupported-type") from None
    except BadInputError as exc:
        raise ApiProblem(422, exc.message) from None


def _store(state: ApiState, form: UploadForm) -> BlobRef:
    assert form.file is not None
    source = form.file
    return state.blobs.put_stream(iter(lambda: source.read(CHUNK_BYTES), b""), max_bytes=None)


def _register(
    state: ApiState,
    caller: Caller,
    form: UploadForm,
    ref: BlobRef,
    kind: FileKind,
    schema_name: str,
    callback_url: str | None,
    key: str | None,
    source: str,
) -> Ingested:
    assert caller.tenant_id is not None and caller.tenant_name is not None
    with state.sessions.begin() as session:
        resolve_schema(session, schema_name)  # unknown: 422 (ConfigurationError)
        if key is not None:
            existing = repo.find_by_idempotency_key(session, tenant_id=caller.tenant_id, key=key)
            if existing is not None:
                if existing.sha256 != ref.sha256 or existing.schema_name != schema_name:
                    raise ApiProblem(409, "idempotency_key was already used for a different file or schema")
                return Ingested(existing.id, DocumentStatus(existing.status), False)
        result = register_stored(
            session,
            settings=state.settings,
            file=form.file_name,
            file_name=form.file_name,
            sha256=ref.sha256,
            size=ref.size,
            blob_key=ref.key,
            kind=kind,
            error=None,
            tenant=caller.tenant_name,
            schema_name=schema_name,
            source=source,
        )
        if result.created:
            repo.set_upload_options(
                session,
                document_id=result.document_id,
                callback_url=callback_url,
                idempotency_key=key,
            )
        return Ingested(result.document_id, result.status, result.created)


async def ingest(state: ApiState, caller: Caller, form: UploadForm, *, source: str) -> Ingested:
    """Validate, sniff (415), store, register and commit, then trigger processing."""
    if form.file is None:
        raise ApiProblem(422, "the multipart body has no 'file' part (a part with a filename)")
    if form.file_size == 0:
        raise ApiProblem(422, "the file is empty")
    schema_name, callback_url, key = _check_options(state, form)
    kind = _sniff(form)
    ref = await asyncio.to_thread(_store, state, form)
    try:
        done = await asyncio.to_thread(
            _register, state, caller, form, ref, kind, schema_name, callback_url, key, source
        )
    except IntegrityError:
        # Two uploads raced on one idempotency key with different bytes: the loser is told.
        raise ApiProblem(409, "idempotency_key was already used for a different file") from None
    if done.created and state.trigger is not None:
        await state.trigger.trigger(done.document_id)
    return done
