"""Cache the lines the local engine reads from each document of a golden set.

OCR takes about a second per scanned page; mapping its lines takes milliseconds. Mapper work
is iterated on these cached lines (``bench/mapper_loop.py``); the figures that count come from
``folio eval``, which runs the real pipeline.

    .venv/bin/python -m bench.page_lines ../shared/corpora/receipts-sroie var/dev/sroie-lines.json

Output: ``{stem: [[{"text", "bbox", "confidence"}, ...] per page]}``. Pages are prepared with
the pipeline's own preparer and read by the local engine's ``read_lines``, so a change to
rendering or OCR shows here after a rerun.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from core.settings import Settings
from extractors.engines.local import LocalEngine
from extractors.prepare import PagePreparer
from extractors.sniff import sniff_kind

DOCUMENT_SUFFIXES = {".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".heic", ".bmp", ".gif"}


async def _cache(folder: Path, out: Path, limit: int | None) -> None:
    settings = Settings()
    engine = LocalEngine(settings)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in DOCUMENT_SUFFIXES)[:limit]
    cached: dict[str, list[list[dict[str, object]]]] = {}
    started = time.perf_counter()
    async with PagePreparer(settings) as preparer:
        for i, path in enumerate(files, 1):
            kind = sniff_kind(path.read_bytes()[:8192], name=path.name)
            pages = []
            render = settings.pages.render_images
            async for page in preparer.prepare(path, kind, render=render):  # type: ignore[arg-type]
                lines = [] if page.failed else await engine.read_lines(page)
                pages.append([line.model_dump(mode="json") for line in lines])
            cached[path.stem] = pages
            print(f"\r{i}/{len(files)} {path.name}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(cached))
    print(f"page_lines: {len(files)} documents in {time.perf_counter() - started:.1f} s -> {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    asyncio.run(_cache(args.folder, args.out, args.limit))


if __name__ == "__main__":
    main()
