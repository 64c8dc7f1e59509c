"""The review page's figures against a real ``folio serve`` (SQLite, in a temp dir):

- page-image latency: the first request (cold: the render workers start), the first render
  of other pages on a warm server (no cache), and cached answers; target <= 300 ms warm;
- a person's review in headless Chromium: from submitting the sign-in form to the document
  open with its page image, and to the corrected value approved (keyboard only).

    .venv/bin/python -m bench.review_page --documents 5 --repeats 20
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from core.settings import Settings
from tests.api.conftest import api_settings, bearer, make_keys
from tests.support.browser import Chromium
from tests.support.review import needs_review
from tests.support.review_browser import review_one_field
from tests.support.served import folio_serve


def _ms(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms (n={len(ordered)})"


def _timed_get(client: httpx.Client, url: str, headers: dict[str, str]) -> float:
    start = time.perf_counter()
    answer = client.get(url, headers=headers)
    elapsed = time.perf_counter() - start
    if answer.status_code not in (200, 304):
        answer.raise_for_status()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=5, help="needs_review documents to make")
    parser.add_argument("--repeats", type=int, default=20, help="cached requests per document")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = api_settings(
            Settings(
                _env_file=None,
                storage={"data_dir": root / "var"},
                extraction={"engine": "local"},
                pages={"render_workers": 1},
            )
        )
        keys = make_keys(settings)
        docs = [needs_review(settings, seed=900 + i, tenant="alpha") for i in range(args.documents)]
        auth = bearer(keys.alpha)
        with folio_serve(settings) as url, httpx.Client(base_url=url, timeout=60) as client:
            paths = [f"/v1/documents/{d.document_id}/pages/1/image" for d in docs]
            cold = _timed_get(client, paths[0], auth)
            warm = [_timed_get(client, path, auth) for path in paths[1:]]
            cached = [_timed_get(client, path, auth) for path in paths for _ in range(args.repeats)]
            etag = client.get(paths[0], headers=auth).headers["etag"]
            revalidated = [
                _timed_get(client, paths[0], {**auth, "If-None-Match": etag}) for _ in range(args.repeats)
            ]
            print(f"page image, first request (render workers start): {cold * 1000:.1f} ms")
            if warm:
                print(f"page image, first render on a warm server:        {_ms(warm)}")
            print(f"page image, cached (200 from memory):             {_ms(cached)}")
            print(f"page image, revalidated (304 by ETag):            {_ms(revalidated)}")
            with Chromium.launch(root / "profile") as browser:
                queue = client.get("/v1/review?limit=1", headers=auth).json()["data"][0]["id"]
                first = next(d for d in docs if d.document_id == queue)
                right = str(first.right["total_amount"])
                run = review_one_field(browser, url, keys.alpha, "total_amount", right)
            width, height = run.image_size
            print(f"browser: sign-in -> document and page image shown: {run.to_document_s * 1000:.0f} ms")
            print(f"browser: sign-in -> correction saved and approved: {run.to_approved_s * 1000:.0f} ms")
            print(f"browser: {run.boxes_drawn} field boxes drawn on a {width}x{height} page image")


if __name__ == "__main__":
    main()
