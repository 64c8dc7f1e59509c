"""Outbound callbacks: a signed JSON event POSTed when a document reaches a final status, to
the URL given with the upload or else the tenant's default (``folio tenant set-callback``).

Only ``https`` URLs whose host is on ``FOLIO_CALLBACK_ALLOWED_HOSTS``; the host is resolved
and every address must be public (no loopback, private, link-local, reserved or multicast
address), so a caller cannot make Folio reach into its own network. There is no exception:
tests give ``CallbackSender`` an httpx transport instead. Each attempt is recorded in
``callback_deliveries``; attempts are retried with doubling backoff, a bounded number of times.

Known limit: the address is checked, then httpx resolves the name again to connect; a DNS
answer that changes in between (rebinding) is not caught. Allow-listed hosts are the
defence there.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from urllib.parse import urlsplit

import httpx
from sqlalchemy.orm import Session, sessionmaker

from api.signing import signed_headers
from core.logging import get_logger
from core.settings import Settings
from flows.pipeline import DocumentRun
from flows.results import outcome_of
from storage import repository as repo

log = get_logger("callbacks")

EVENT_FINISHED = "document.finished"


class CallbackRefused(Exception):
    """A callback URL the policy does not allow (the message says why)."""


def _host_allowed(host: str, allowed: list[str]) -> bool:
    for entry in allowed:
        if entry.startswith(".") and host.endswith(entry):
            return True
        if host == entry:
            return True
    return False


def check_callback_url(url: str, settings: Settings) -> None:
    """Refuse (``CallbackRefused``) a URL whose scheme or host the policy does not allow.

    Static checks only (no DNS): used when the URL is given, so the uploader hears at once.
    """
    if settings.api.webhook_secret is None:
        raise CallbackRefused("callbacks need FOLIO_WEBHOOK_SECRET (events are signed with it)")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise CallbackRefused(f"the callback URL cannot be read: {exc}") from None
    if not host:
        raise CallbackRefused("the callback URL has no host")
    if parts.username or parts.password:
        raise CallbackRefused("the callback URL must not carry credentials")
    if parts.scheme != "https":
        raise CallbackRefused("callback URLs must be https")
    if not _host_allowed(host, settings.callbacks.allowed_hosts):
        raise CallbackRefused(f"host {host!r} is not on FOLIO_CALLBACK_ALLOWED_HOSTS")


async def check_resolved(url: str) -> None:
    """Resolve the URL's host; refuse it if any address is not public."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise CallbackRefused(f"cannot resolve {host!r}: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_reserved
            or address.is_multicast
            or address.is_unspecified
        ):
            raise CallbackRefused(f"{host!r} resolves to non-public address {address}")


class CallbackSender:
    """Delivers final-status events with retries; every attempt is recorded."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.client = httpx.AsyncClient(
            timeout=settings.callbacks.timeout_s, follow_redirects=False, transport=transport
        )
        self._tasks: set[asyncio.Task[bool]] = set()

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.client.aclose()

    def _event(self, document_id: str) -> tuple[str | None, bytes]:
        with self.sessions() as session:
            url = repo.callback_url_for(session, document_id=document_id)
            document = repo.get_document(session, document_id) if url else None
            if document is None or url is None:
                return None, b""
            event = outcome_of(document).callback_event(EVENT_FINISHED)
            return url, json.dumps(event, separators=(",", ":")).encode()

    def _record(
        self, document_id: str, url: str, attempt: int, status_code: int | None, error: str | None
    ) -> None:
        with self.sessions.begin() as session:
            repo.record_delivery(
                session,
                document_id=document_id,
                url=url,
                event=EVENT_FINISHED,
                attempt=attempt,
                status_code=status_code,
                error=error,
            )

    async def deliver(self, document_id: str) -> bool:
        """Send the event for ``document_id`` to its callback URL, else its tenant's (``folio
        tenant set-callback``), if either is set; True once delivered (a 2xx answer), False
        when refused or every attempt failed. Both are held to the same rules."""
        url, body = await asyncio.to_thread(self._event, document_id)
        if url is None:
            return False
        secret = self.settings.api.webhook_secret
        s = self.settings
        for attempt in range(1, s.callbacks.max_attempts + 1):
            status_code: int | None = None
            try:
                check_callback_url(url, s)
                await check_resolved(url)
            except CallbackRefused as exc:
                await asyncio.to_thread(self._record, document_id, url, attempt, None, f"refused: {exc}")
                return False  # policy does not change between attempts
            try:
                assert secret is not None  # check_callback_url refuses a missing secret
                headers = {
                    "Content-Type": "application/json",
                    **signed_headers(secret.get_secret_value(), body),
                }
                response = await self.client.post(url, content=body, headers=headers)
                status_code = response.status_code
                error = None if response.is_success else f"HTTP {status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
            await asyncio.to_thread(self._record, document_id, url, attempt, status_code, error)
            if error is None:
                return True
            if attempt < s.callbacks.max_attempts:
                wait = s.callbacks.backoff_base_s * 2 ** (attempt - 1)
                await asyncio.sleep(min(s.callbacks.backoff_max_s, wait))
        log.warning("callback for %s to %s failed %d times", document_id, url, s.callbacks.max_attempts)
        return False

    async def on_finished(self, run: DocumentRun) -> None:
        """The worker's hook: deliver in the background so the worker slot is free at once."""
        task = asyncio.create_task(self.deliver(run.document_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: float) -> None:
        """Wait (bounded) for deliveries in flight, e.g. at shutdown or in tests."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
