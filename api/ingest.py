"""From a parsed upload to a committed document and a processing trigger.

Order matters for "never lost" and for "no blob without a row": the file is staged in the
blob store (written and fsynced under a temporary name, hashed), then one transaction inserts
the row and, only when the row was created, renames the blob into place before the commit;
processing is triggered after the commit. A repeated upload, a 409 or any failure discards
the staged file, so a blob exists only for a row (a crash between the rename and the commit
is the one way to leave an unreferenced blob). A crash after the commit leaves a ``queued``
row the sweeper will find.

One upload is one hop to a worker thread and one short transaction: a single ``INSERT ...
SELECT ... ON CONFLICT DO NOTHING`` carrying the callback URL and the idempotency key
(``flows.registration.register_document``) and a rename; only a repeated upload reads the existing row.
The caller already names its tenant (``api.callers``), and built-in schema names need no
database; a custom schema name is checked once per process (schemas are never removed).

Every option is checked before a byte is stored (``api.inputs``): lengths of the columns
that store them, no control characters.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from api.callbacks import CallbackRefused, check_callback_url
from api.callers import Caller
from api.inputs import (
    CALLBACK_URL_MAX,
    FILE_NAME_MAX,
    IDEMPOTENCY_KEY_MAX,
    SCHEMA_NAME_MAX,
    checked_text,
)
from api.problems import ApiProblem
from api.state import ApiState
from api.uploads import UploadForm
from core.errors import BadInputError, UnsupportedTypeError
from extractors.sniff import sniff_kind
from flows.intake import SNIFF_BYTES
from flows.registration import Arrival, Registration, register_document
from flows.schemas import resolve_schema
from models.document import DocumentStatus, FileKind
from models.schemas import BUILTIN_SCHEMAS
from storage import repository as repo
from storage.blobs import CHUNK_BYTES, StagedBlob


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
    checked_text("the file name", form.file_name, max_length=FILE_NAME_MAX)
    schema_name = form.fields.get("schema") or state.settings.tenancy.default_schema
    callback_url = form.fields.get("callback_url") or None
    key = form.fields.get("idempotency_key") or None
    checked_text("schema", schema_name, max_length=SCHEMA_NAME_MAX)
    if key is not None:
        checked_text("idempotency_key", key, max_length=IDEMPOTENCY_KEY_MAX)
    if callback_url is not None:
        checked_text("callback_url", callback_url, max_length=CALLBACK_URL_MAX)
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


def _stage(state: ApiState, form: UploadForm) -> StagedBlob:
    assert form.file is not None
    source = form.file
    return state.blobs.stage_stream(iter(lambda: source.read(CHUNK_BYTES), b""), max_bytes=None)


def _store_and_register(
    state: ApiState, caller: Caller, form: UploadForm, kind: FileKind, options: UploadOptions, source: str
) -> Registration:
    """The blocking part of an upload, in one worker thread: the blob staged, then one
    transaction that inserts the row and publishes the blob only if the row is new."""
    assert caller.tenant_id is not None
    schema_known = options.schema_name in BUILTIN_SCHEMAS or options.schema_name in state.known_schemas
    if not schema_known:
        # Unknown or unusable schemas are refused (422) before any byte is stored: building a
        # custom schema checks it again (a row registered before a check existed included).
        with state.sessions() as session:
            resolve_schema(session, options.schema_name)
        state.known_schemas.add(options.schema_name)
    staged = _stage(state, form)
    try:
        arrival = Arrival(
            file_name=form.file_name,
            sha256=staged.ref.sha256,
            size=staged.ref.size,
            kind=kind,
            blob_key=staged.ref.key,
            schema_name=options.schema_name,
            source=source,
            callback_url=options.callback_url,
            idempotency_key=options.idempotency_key,
        )
        with state.sessions.begin() as session:
            done = register_document(session, arrival, tenant=caller.tenant_id, settings=state.settings)
            if done.created:
                # Before the commit: once the row is visible, a worker may open the blob.
                staged.publish()
        return done
    finally:
        staged.discard()


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
