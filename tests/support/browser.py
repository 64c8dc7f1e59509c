"""Headless Chromium driven over the DevTools protocol (CDP), for end-to-end tests of the
pages the API serves. No browser download and no extra package: the system's
``/usr/bin/chromium`` and the ``websockets`` client that uvicorn[standard] brings.

    with Chromium.launch(tmp_path) as browser:
        browser.goto(url + "/signin?next=/review")
        browser.evaluate("document.title")
        browser.press("j")

Absent Chromium skips the test with a message, unless FOLIO_REQUIRE_CHROMIUM=1 (CI).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

CHROMIUM = Path(os.environ.get("FOLIO_CHROMIUM", "/usr/bin/chromium"))
_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")


def require_chromium() -> Path:
    """The Chromium binary; skips (or fails, under FOLIO_REQUIRE_CHROMIUM=1) when absent."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is absent (apt-get install chromium)"
        if os.environ.get("FOLIO_REQUIRE_CHROMIUM") == "1":
            pytest.fail(message + " and FOLIO_REQUIRE_CHROMIUM=1", pytrace=False)
        pytest.skip(message + "; browser test skipped")
    return CHROMIUM


class Chromium:
    """One headless Chromium with one page, spoken to over CDP (every call has a timeout)."""

    def __init__(self, process: subprocess.Popen[str], socket: ClientConnection) -> None:
        self._process = process
        self._socket = socket
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    @classmethod
    @contextmanager
    def launch(cls, profile: Path, *, timeout_s: float = 30.0) -> Iterator[Chromium]:
        """Start Chromium with a fresh profile and attach to its first page."""
        binary = require_chromium()
        process = subprocess.Popen(
            [
                str(binary),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                "--window-size=1400,1000",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            browser_url = cls._listening(process, timeout_s)
            with connect(browser_url, max_size=None, open_timeout=timeout_s) as root:
                browser = cls(process, root)
                target = browser.call("Target.createTarget", url="about:blank")["targetId"]
                page_url = browser_url.split("/devtools/")[0] + f"/devtools/page/{target}"
            with connect(page_url, max_size=None, open_timeout=timeout_s) as socket:
                page = cls(process, socket)
                page.call("Page.enable")
                page.call("Runtime.enable")
                yield page
        finally:
            process.kill()
            process.wait(timeout=10)
            if process.stderr is not None:
                process.stderr.close()

    @staticmethod
    def _listening(process: subprocess.Popen[str], timeout_s: float) -> str:
        assert process.stderr is not None
        deadline = time.monotonic() + timeout_s
        seen = []
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line and process.poll() is not None:
                break
            seen.append(line)
            match = _LISTENING.search(line)
            if match:
                return match.group(1)
        raise RuntimeError("Chromium did not open its DevTools socket: " + "".join(seen)[-2000:])

    def call(self, method: str, timeout_s: float = 30.0, **params: Any) -> dict[str, Any]:
        """Send one CDP command and wait for its answer (events meanwhile are kept)."""
        ident = next(self._ids)
        self._socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"CDP {method} got no answer in {timeout_s:g} s")
            message = json.loads(self._socket.recv(timeout=left))
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"CDP {method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)

    def goto(self, url: str) -> None:
        """Open ``url`` and wait until its document has loaded."""
        self.call("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete' && location.href !== 'about:blank'")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises are awaited)."""
        answer = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in answer:
            raise RuntimeError(f"{expression!r} threw: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def wait_for(self, condition: str, timeout_s: float = 20.0) -> None:
        """Poll a JavaScript condition until it is truthy (an element counts)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.evaluate(
                f"(() => {{ try {{ return !!({condition}); }} catch (e) {{ return false; }} }})()"
            ):
                return
            time.sleep(0.05)
        raise TimeoutError(f"waited {timeout_s:g} s for {condition}; page said: {self.text('#status')!r}")

    def text(self, selector: str) -> str | None:
        """The text of the first element matching ``selector``, or None."""
        value = self.evaluate(f"document.querySelector({json.dumps(selector)})?.textContent ?? null")
        return None if value is None else str(value)

    def type_text(self, text: str) -> None:
        """Type ``text`` into whatever has the focus."""
        self.call("Input.insertText", text=text)

    def press(self, key: str) -> None:
        """Press and release one key (``"j"``, ``"Enter"``, ``"Escape"``, ``"ArrowDown"``)."""
        named = {"Enter": 13, "Escape": 27, "ArrowDown": 40, "ArrowUp": 38, "ArrowLeft": 37, "ArrowRight": 39}
        code = named.get(key, ord(key.upper()) if len(key) == 1 else 0)
        down: dict[str, Any] = {"type": "keyDown", "key": key, "windowsVirtualKeyCode": code}
        if len(key) == 1:
            down["text"] = key
        elif key == "Enter":
            down["text"] = "\r"
        self.call("Input.dispatchKeyEvent", **down)
        self.call("Input.dispatchKeyEvent", type="keyUp", key=key, windowsVirtualKeyCode=code)
