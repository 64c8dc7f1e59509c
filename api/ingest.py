"""From a parsed upload to a committed document and a processing trigger.

Order matters for "never lost": the blob is stored (fsynced, renamed into place, its folder
fsynced) first, then the documents row is committed, and only then is processing triggered.
A crash after the commit leaves a ``queued`` row the sweeper will find.

One upload is one hop to a worker thread and one short transaction: the blob write, then a
single ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` carrying the callback URL and the
idempotency key (``repo.register_upload``); only a repeated upload reads the existing row.
The caller already names its tenant (``api.callers``), and built-in schema names need no
database; a custom schema name is checked once per process (schemas are never removed).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from api.callbacks import CallbackRefused, check_callback_url
from api.callers import Caller
from api.problems import ApiProblem
from api.state import ApiState
from api.uploads import UploadForm
from core.errors import BadInputError, UnsupportedTypeError
from extractors.sniff import sniff_kind
from flows.intake import SNIFF_BYTES
from flows.schemas import resolve_schema
from models.document import DocumentStatus, FileKind
from models.schemas import BUILTIN_SCHEMAS
from storage import repository as repo
from storage.blobs import CHUNK_BYTES, BlobRef

MAX_IDEMPOTENCY_KEY = 200
MAX_CALLBACK_URL = 2000


@dataclass(frozen=True)
class Ingested:
    """What an upload became."""

    document_id: str
    status: DocumentStatus
    created: bool


@dataclass(frozen=True)
class UploadOptions:
    """The form's options, checked."""

    schema_name: str
    callback_url: str | None
    idempotency_key: str | None


def _check_options(state: ApiState, form: UploadForm) -> UploadOptions:
    schema_name = form.fields.get("schema") or state.settings.default_schema
    callback_url = form.fields.get("callback_url") or None
    key = form.fields.get("idempotency_key") or None
    if len(schema_name) > 100:
        raise ApiProblem(422, "schema is longer than 100 characters")
    if key is not None and len(key) > MAX_IDEMPOTENCY_KEY:
        raise ApiProblem(422, f"idempotency_key is longer than {MAX_IDEMPOTENCY_KEY} characters")
    if callback_url is not None:
        if len(callback_url) > MAX_CALLBACK_URL:
            raise ApiProblem(422, f"callback_url is longer than {MAX_CALLBACK_URL} characters")
        try:
            check_callback_url(callback_url, state.settings)
        except CallbackRefused as exc:
            raise ApiProblem(422, f"callback_url refused: {exc}") from None
    return UploadOptions(schema_name, callback_url, key)


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


def _store_and_register(
    state: ApiState, caller: Caller, form: UploadForm, kind: FileKind, options: UploadOptions, source: str
) -> repo.UploadRegistered:
    """The blocking part of an upload, in one worker thread: blob, then one transaction."""
    assert caller.tenant_id is not None
    schema_known = options.schema_name in BUILTIN_SCHEMAS or options.schema_name in state.known_schemas
    if not schema_known:
        # Unknown names are refused (422) before any byte is stored.
        with state.sessions() as session:
            resolve_schema(session, options.schema_name)
        state.known_schemas.add(options.schema_name)
    ref = _store(state, form)
    with state.sessions.begin() as session:
        return repo.register_upload(
            session,
            tenant_id=caller.tenant_id,
            sha256=ref.sha256,
            schema_name=options.schema_name,
            file_name=form.file_name,
            kind=kind,
            size_bytes=ref.size,
            blob_key=ref.key,
            source=source,
            tier_priorities=state.tier_priorities,
            callback_url=options.callback_url,
            idempotency_key=options.idempotency_key,
        )


async def ingest(state: ApiState, caller: Caller, form: UploadForm, *, source: str) -> Ingested:
    """Validate, sniff (415), store, register and commit, then trigger processing."""
    if form.file is None:
        raise ApiProblem(422, "the multipart body has no 'file' part (a part with a filename)")
    if form.file_size == 0:
        raise ApiProblem(422, "the file is empty")
    options = _check_options(state, form)
    kind = _sniff(form)
    try:
        done = await asyncio.to_thread(_store_and_register, state, caller, form, kind, options, source)
    except repo.DocumentNotFoundError:  # the tenant was deleted while its key was cached
        raise ApiProblem(401, "the API key's tenant no longer exists") from None
    if done.key_conflict:
        raise ApiProblem(409, "idempotency_key was already used for a different file or schema")
    if done.created and state.trigger is not None:
        await state.trigger.trigger(done.document_id)
    return Ingested(done.document_id, done.status, done.created)
