"""Peak memory of `folio process` on digital PDFs of 100, 250 and 500 pages.

Runs the real CLI in a subprocess (fresh data dir each time, local engine) and samples the
resident memory of the CLI process and of its render workers every 50 ms. The Prefect
ephemeral API server, also a child process, is reported on its own line since its size does
not depend on the document. Prints one line per document size; the target is a flat line.

    .venv/bin/python -m bench.process_memory [--pages 100,250,500]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pymupdf

ROOT = Path(__file__).resolve().parent.parent
FOLIO = Path(sys.executable).parent / "folio"


def make_pdf(pages: int, path: Path) -> None:
    doc = pymupdf.open()
    for n in range(1, pages + 1):
        page = doc.new_page(width=595, height=842)
        y = 60
        page.insert_text((50, y), f"ACME Supplies GmbH - Invoice INV-{n:05d}", fontsize=14, fontname="hebo")
        for line in range(40):
            y += 17
            page.insert_text(
                (50, y),
                f"Item {n}-{line:02d} widget, deluxe edition    {line + 1} x 12.50    "
                f"{12.5 * (line + 1):.2f}",
                fontsize=10,
            )
    doc.save(path, garbage=3, deflate=True)
    doc.close()


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    # Each thread lists the children it started: the render pool's fork server and Prefect's
    # server are started from worker threads, not from the main one.
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found.extend(int(p) for p in (task / "children").read_text().split())
    except OSError:
        pass
    return found


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def measure(pdf: Path, data_dir: Path) -> tuple[float, int, int, int, str]:
    env = {**os.environ, "FOLIO_DATA_DIR": str(data_dir), "FOLIO_ENGINE": "local"}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(FOLIO), "process", str(pdf), "--json"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    peak_main = peak_workers = peak_server = 0
    while proc.poll() is None:
        main = rss_kib(proc.pid)
        workers = server = 0
        stack = children(proc.pid)
        while stack:
            pid = stack.pop()
            if "uvicorn" in cmdline(pid):
                server += rss_kib(pid)
            else:
                workers += rss_kib(pid)
                stack.extend(children(pid))
        peak_main, peak_workers = max(peak_main, main), max(peak_workers, workers)
        peak_server = max(peak_server, server)
        time.sleep(0.05)
    out, errors = proc.communicate()
    elapsed = time.perf_counter() - start
    status = out.decode().strip().splitlines()[-1] if proc.returncode == 0 and out else errors.decode()[-300:]
    return elapsed, peak_main, peak_workers, peak_server, status


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", default="100,250,500")
    sizes = [int(p) for p in parser.parse_args().pages.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        for pages in sizes:
            pdf = Path(tmp) / f"digital-{pages}.pdf"
            make_pdf(pages, pdf)
            elapsed, main_kib, workers_kib, server_kib, last = measure(pdf, Path(tmp) / f"var-{pages}")
            import json

            status = json.loads(last).get("status") if last.startswith("{") else last
            print(
                f"process_memory: {pages} pages: peak RSS cli {main_kib / 1024:.0f} MiB, "
                f"render workers {workers_kib / 1024:.0f} MiB, prefect server {server_kib / 1024:.0f} MiB; "
                f"{elapsed:.1f} s ({elapsed * 1000 / pages:.1f} ms/page incl. start-up); status {status}"
            )


if __name__ == "__main__":
    main()
