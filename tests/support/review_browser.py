"""A person's review in a real browser, keyboard first: sign in with a key, open the first
document of the queue, move to a field with j, edit it, approve with a. Shared by the
end-to-end test and ``bench.review_page`` (which prints the timings this returns).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from tests.support.browser import Chromium

MAX_FIELD_STEPS = 200
# Drawn boxes with a size, lying on the page image as laid out (a pixel of rounding allowed).
BOXES_INSIDE_IMAGE = """(() => {
  const image = document.getElementById('page-image').getBoundingClientRect();
  return [...document.querySelectorAll('#boxes .box')].filter((box) => {
    const r = box.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.left >= image.left - 1 && r.top >= image.top - 1
      && r.right <= image.right + 1 && r.bottom <= image.bottom + 1;
  }).length;
})()"""


@dataclass(frozen=True)
class ReviewRun:
    """What the browser saw and how long it took (seconds, from submitting the sign-in form)."""

    document_id: str
    boxes_drawn: int
    boxes_expected: int
    boxes_inside_image: int
    image_size: tuple[int, int]
    to_document_s: float
    to_approved_s: float


def _current_path(browser: Chromium) -> str | None:
    value = browser.evaluate("document.querySelector('#fields tr.current')?.dataset.path ?? null")
    return None if value is None else str(value)


def review_one_field(browser: Chromium, url: str, key: str, field: str, value: str) -> ReviewRun:
    """Sign in at ``url`` with ``key``, correct ``field`` of the first queued document to
    ``value`` and approve it, as a person at the keyboard would."""
    browser.goto(f"{url}/signin?next=/review")
    browser.evaluate("document.getElementById('key').focus()")
    browser.type_text(key)
    start = time.perf_counter()
    browser.press("Enter")  # submits the form
    browser.wait_for("location.pathname === '/review' && document.querySelector('#queue-table tbody tr')")
    browser.evaluate("document.querySelector('#queue-table tbody tr').focus()")
    browser.press("Enter")
    browser.wait_for(
        "!document.getElementById('document').hidden && document.querySelector('#fields tbody tr.current')"
        " && document.getElementById('page-image').complete"
        " && document.getElementById('page-image').naturalWidth > 0"
    )
    to_document = time.perf_counter() - start
    document_id = str(browser.evaluate("decodeURIComponent(location.hash.slice(1))"))
    expected = _boxes_on_page_one(browser, document_id)
    drawn = int(browser.evaluate("document.querySelectorAll('#boxes .box').length"))
    inside = int(browser.evaluate(BOXES_INSIDE_IMAGE))
    size = browser.evaluate("(i => [i.naturalWidth, i.naturalHeight])(document.getElementById('page-image'))")
    # j moves down one field, wrapping nowhere: start from the top with k, then go down.
    for _ in range(MAX_FIELD_STEPS):
        if browser.evaluate("document.querySelector('#fields tbody tr')?.classList.contains('current')"):
            break
        browser.press("k")
    for _ in range(MAX_FIELD_STEPS):
        if _current_path(browser) == field:
            break
        browser.press("j")
    if _current_path(browser) != field:
        raise AssertionError(f"j never reached {field}; the fields are at {_current_path(browser)}")
    browser.press("Enter")  # edit: the value is selected, typing replaces it
    browser.wait_for(f"document.activeElement?.name === {json.dumps(field)}")
    browser.type_text(value)
    browser.press("Escape")
    browser.press("a")  # saves the correction, then approves
    browser.wait_for("document.getElementById('status').textContent.startsWith('Approved')")
    to_approved = time.perf_counter() - start
    return ReviewRun(
        document_id=document_id,
        boxes_drawn=drawn,
        boxes_expected=expected,
        boxes_inside_image=inside,
        image_size=(int(size[0]), int(size[1])),
        to_document_s=to_document,
        to_approved_s=to_approved,
    )


def _boxes_on_page_one(browser: Chromium, document_id: str) -> int:
    """How many boxes page 1 should show, from the review API the page itself reads."""
    view: dict[str, Any] = browser.evaluate(
        "fetch('/v1/review/' + encodeURIComponent("
        + json.dumps(document_id)
        + "), {headers: {'X-CSRF-Token': document.getElementById('app').dataset.csrf}}).then(r => r.json())"
    )
    cells = [*view["fields"].values()]
    for rows in view["tables"].values():
        for row in rows:
            cells.extend(row.values())
    return sum(1 for cell in cells if cell["bbox"] is not None and cell["page"] == 1)
