"""Hostile files through the real `folio` command: is every entry accounted for, do reasons
keep the server's paths to themselves, and how long does a stopped run take to let go.

Run: ``.venv/bin/python -m bench.hostile_files [--count 282] [--section folder|stop]
[--root /path/to/other/checkout]``. Prints figures; no asserts. ``--root`` runs another
checkout's code (``python -m cli`` from that folder, e.g. ``git archive COMMIT | tar -x``)
against the same generated files, to compare.

Sections, each printing ``hostile_files[SECTION]:`` lines:

- ``folder``: ``folio process DIR --json`` (local engine, SQLite in a temp data dir) on a
  generated folder of ``--count`` entries, cycling through the kinds below (seeded, so the
  same count gives the same folder). Counts the entries on disk, the JSON rows printed, the
  entries without a row, statuses, reasons (printed or stored) that carry a server path,
  tracebacks on stderr, documents registered from files outside the folder (reached through
  a link) and documents left ``queued`` or ``processing``. As root, the command runs without
  CAP_DAC_OVERRIDE (``setpriv``) so a ``chmod 0`` file is really unreadable.
- ``stop``: ``folio process`` on ``--stop-docs`` invoices with the llama engine against the
  fake vLLM server of ``tests.fakes`` (each request answered after ``--latency`` seconds,
  one document at a time); once one document has ended and another is in progress, SIGINT
  goes to the whole process group (what a terminal's Ctrl-C does, Prefect's API server
  included). Prints the seconds from the signal to the exit, the exit status, the rows
  printed and the documents left ``processing``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pymupdf
import sqlalchemy as sa

from tests.support import decode_bombs, hardcases
from tests.support.documents import invoice_pdf
from tests.support.truth import make_invoice_truth

ROOT = Path(__file__).resolve().parents[1]

FINAL = {"done", "partial", "needs_review", "failed", "blocked", "rejected"}


def _false_count(seed: int) -> bytes:
    plain = pymupdf.open(stream=hardcases.digital_pdf(1, seed=seed)).tobytes(deflate=False, garbage=0)
    return re.sub(rb"/Count 1\b", b"/Count %d" % (5 + seed % 200), plain, count=1)


def _jpeg(seed: int) -> bytes:
    return hardcases.jpeg_bytes(hardcases.text_image([f"TOTAL {seed}.00"], width=320, height=100))


_BOMBS: dict[str, Callable[[], bytes]] = {
    "rgba-png": lambda: decode_bombs.png(8900, 8900, "RGBA"),  # the 326 KB PNG
    "palette-png": lambda: decode_bombs.png(8900, 8900, "P"),
    "cmyk-tiff": decode_bombs.cmyk_tiff,
    "gif": decode_bombs.animated_gif,
    "pdf-image": decode_bombs.pdf_with_huge_image,
}


@functools.cache
def _bomb_bytes(name: str) -> bytes:
    return _BOMBS[name]()


def _bomb(name: str) -> Callable[[int], bytes]:
    # Made once; bytes after the end of the file make each entry a document of its own.
    return lambda i: _bomb_bytes(name) + b"\n%d\n" % i


# (name pattern, bytes) per kind of entry; {i} is the entry's number.
FILE_KINDS: list[tuple[str, Callable[[int], bytes]]] = [
    ("digital-{i}.pdf", lambda i: hardcases.digital_pdf(1, seed=i)),
    ("scan-{i}", lambda i: hardcases.digital_pdf(1, seed=i)),  # a PDF without a suffix
    ("x-{i}.PDF.bin", lambda i: hardcases.digital_pdf(1, seed=i)),
    ("photo-{i}.jfif", _jpeg),
    ("notes-{i}.txt", lambda i: hardcases.plain_text()),
    ("report-{i}.pdf", lambda i: hardcases.plain_text()),  # text named .pdf
    ("fuzz-{i}", lambda i: random.Random(i).randbytes(2048)),
    ("fuzz-{i}.pdf", lambda i: b"%PDF-1.7\n" + random.Random(i).randbytes(2048)),
    ("truncated-{i}.pdf", lambda i: hardcases.truncated_pdf()[: 4000 + i]),
    ("false-count-{i}.pdf", _false_count),
    ("empty-{i}.pdf", lambda i: b""),
    ("page-{i}.html", lambda i: b"<!doctype html><html><body>invoice</body></html>"),
    (".hidden-{i}.pdf", lambda i: hardcases.digital_pdf(1, seed=i)),
    ("bomb-rgba-{i}.png", _bomb("rgba-png")),
    ("bomb-palette-{i}.png", _bomb("palette-png")),
    ("bomb-cmyk-{i}.tif", _bomb("cmyk-tiff")),
    ("bomb-frames-{i}.gif", _bomb("gif")),
    ("bomb-image-{i}.pdf", _bomb("pdf-image")),
]
SPECIAL_KINDS = ("link-out", "link-dangling", "fifo", "unreadable")


def make_folder(folder: Path, outside: Path, count: int) -> Counter[str]:
    """``count`` entries cycling through every kind; returns entries per kind."""
    folder.mkdir(parents=True)
    outside.mkdir(parents=True)
    kinds: Counter[str] = Counter()
    cycle = [name for name, _ in FILE_KINDS] + list(SPECIAL_KINDS)
    makers = dict(FILE_KINDS)
    for i in range(count):
        kind = cycle[i % len(cycle)]
        kinds[kind.split("-{i}")[0] if "{i}" in kind else kind] += 1
        if kind in makers:
            (folder / kind.format(i=i)).write_bytes(makers[kind](i))
        elif kind == "link-out":
            target = outside / f"secret-{i}.pdf"
            target.write_bytes(hardcases.digital_pdf(1, seed=10_000 + i))
            (folder / f"link-{i}.pdf").symlink_to(target)
        elif kind == "link-dangling":
            (folder / f"dangling-{i}.pdf").symlink_to(folder / f"gone-{i}.pdf")
        elif kind == "fifo":
            os.mkfifo(folder / f"pipe-{i}.pdf")
        else:
            locked = folder / f"locked-{i}.pdf"
            locked.write_bytes(hardcases.digital_pdf(1, seed=20_000 + i))
            locked.chmod(0)
    return kinds


def _folio(root: Path) -> list[str]:
    command = [sys.executable, "-m", "cli"]
    if os.geteuid() == 0 and shutil.which("setpriv"):
        drop = "-dac_override,-dac_read_search"
        command = ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}", *command]
    return command


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FOLIO_", "PREFECT_"))}
    env.update(FOLIO_DATA_DIR=str(data_dir), **extra)
    return env


def _tree_rss_kib(pid: int) -> tuple[int, int, int, int]:
    """Resident memory of ``pid`` and all its descendants, KiB: the sum, ``pid`` itself, the
    Prefect server (uvicorn) and the rest (the render pool: fork server and workers)."""
    total = root = server = rest = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status") as handle:
                rss = next((int(line.split()[1]) for line in handle if line.startswith("VmRSS:")), 0)
            # Children are listed under the thread that started them (the render pool's
            # fork server and Prefect's server are started from worker threads).
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(child) for child in (task / "children").read_text().split())
            command = Path(f"/proc/{current}/cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        total += rss
        if current == pid:
            root = rss
        elif b"uvicorn" in command:
            server += rss
        else:
            rest += rss
    return total, root, server, rest


def _run_sampled(
    command: list[str], timeout: float, **options: object
) -> tuple[subprocess.CompletedProcess[str], list[int]]:
    """Run ``command``, sampling its process tree's memory every 50 ms: the result and the
    peaks of each figure :func:`_tree_rss_kib` gives, in KiB."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **options)  # type: ignore[call-overload]
    peaks = [0, 0, 0, 0]
    chunks: dict[str, list[str]] = {"out": [], "err": []}
    readers = [
        threading.Thread(target=lambda s=stream, k=key: chunks[k].append(s.read()), daemon=True)
        for key, stream in (("out", process.stdout), ("err", process.stderr))
    ]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        peaks = [max(a, b) for a, b in zip(peaks, _tree_rss_kib(process.pid), strict=True)]
        time.sleep(0.05)
    if process.poll() is None:
        process.kill()
    process.wait()
    for reader in readers:
        reader.join()
    result = subprocess.CompletedProcess(
        command, process.returncode, "".join(chunks["out"]), "".join(chunks["err"])
    )
    return result, peaks


def _documents(data_dir: Path) -> list[sa.Row]:
    engine = sa.create_engine(f"sqlite:///{data_dir / 'folio.db'}")
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text("select status, reason, sha256 from documents")))
    except sa.exc.SQLAlchemyError:
        return []
    finally:
        engine.dispose()


def section_folder(args: argparse.Namespace) -> None:
    import hashlib

    root = Path(args.root).resolve() if args.root else ROOT
    with tempfile.TemporaryDirectory(prefix="folio-hostile-files-") as temp:
        work = Path(temp)
        folder, outside, data_dir = work / "folder", work / "outside", work / "var"
        kinds = make_folder(folder, outside, args.count)
        entries = len(list(folder.iterdir()))
        started = time.perf_counter()
        result, peaks = _run_sampled(
            [*_folio(root), "process", str(folder), "--json"],
            args.timeout,
            cwd=root,
            env=_env(data_dir, FOLIO_ENGINE="local"),
        )
        elapsed = time.perf_counter() - started
        for path in folder.iterdir():  # let the temp folder be removed
            if not path.is_symlink():
                path.chmod(0o644)
        rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
        named = {Path(row["file"]).name for row in rows}
        missing = sorted(p.name for p in folder.iterdir() if p.name not in named)
        documents = _documents(data_dir)
        reasons = [str(r.get("reason") or "") for r in rows] + [str(d.reason or "") for d in documents]
        leaks = [r for r in reasons if temp in r or "/blobs/" in r]
        outside_digests = {hashlib.sha256(p.read_bytes()).hexdigest() for p in outside.iterdir()}
        tag = "hostile_files[folder]:"
        listed = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        print(f"{tag} code {root}; {entries} entries ({listed})")
        print(f"{tag} exit status {result.returncode}, {elapsed:.1f} s")
        total, cli, server, pool = (peak / 1024 for peak in peaks)
        print(
            f"{tag} peak RSS (sampled every 50 ms): whole process tree {total:.0f} MiB; cli "
            f"{cli:.0f} MiB, render pool (fork server + workers) {pool:.0f} MiB, prefect "
            f"server {server:.0f} MiB"
        )
        print(f"{tag} rows printed {len(rows)}, entries without a row {len(missing)}")
        if missing:
            print(f"{tag} without a row, e.g.: {', '.join(missing[:8])}")
        print(f"{tag} row statuses: {dict(sorted(Counter(r['status'] for r in rows).items()))}")
        print(f"{tag} reasons carrying a server path: {len(leaks)} of {len(reasons)}")
        if leaks:
            print(f"{tag} e.g.: {leaks[0][:200]}")
        print(f"{tag} tracebacks on stderr: {result.stderr.count('Traceback')}")
        stolen = sum(d.sha256 in outside_digests for d in documents)
        print(f"{tag} documents stored from files outside the folder: {stolen}")
        left = Counter(d.status for d in documents if d.status in ("queued", "processing"))
        print(f"{tag} documents left queued or processing: {sum(left.values())}")


def section_stop(args: argparse.Namespace) -> None:
    from tests.fakes.vllm_server import FakeFaults, FakeVllmServer

    root = Path(args.root).resolve() if args.root else ROOT
    with tempfile.TemporaryDirectory(prefix="folio-stop-") as temp:
        work = Path(temp)
        folder, data_dir = work / "in", work / "var"
        folder.mkdir()
        for seed in range(args.stop_docs):
            (folder / f"invoice-{seed}.pdf").write_bytes(invoice_pdf(make_invoice_truth(300 + seed)))
        with FakeVllmServer(faults=FakeFaults(latency_s=args.latency)) as fake:
            env = _env(
                data_dir,
                FOLIO_ENGINE="llama",
                FOLIO_LLM_BASE_URLS=fake.base_url,
                FOLIO_LLM_MODEL=fake.model,
                FOLIO_LICENSEE_COUNTRY="US",
                FOLIO_DOCUMENT_CONCURRENCY="1",
                FOLIO_RENDER_WORKERS="1",
            )
            process = subprocess.Popen(
                [sys.executable, "-m", "cli", "process", str(folder), "--json"],
                cwd=root,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            deadline = time.monotonic() + args.timeout
            while process.poll() is None and time.monotonic() < deadline:
                statuses = [d.status for d in _documents(data_dir)]
                if FINAL & set(statuses) and "processing" in statuses:
                    break
                time.sleep(0.2)
            signalled = time.perf_counter()
            os.killpg(process.pid, signal.SIGINT)
            try:
                stdout, stderr = process.communicate(timeout=args.timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                stdout, stderr = process.communicate()
                print(f"hostile_files[stop]: still running {args.timeout:.0f} s after SIGINT: killed")
            exited = time.perf_counter() - signalled
        rows = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
        documents = _documents(data_dir)
        tag = "hostile_files[stop]:"
        print(f"{tag} code {root}; {args.stop_docs} invoices, {args.latency:g} s per model request")
        print(f"{tag} SIGINT to the process group -> exit status {process.returncode} after {exited:.1f} s")
        print(f"{tag} rows printed {len(rows)}: {dict(sorted(Counter(r['status'] for r in rows).items()))}")
        print(f"{tag} documents: {dict(sorted(Counter(d.status for d in documents).items()))}")
        print(f"{tag} tracebacks on stderr: {stderr.count('Traceback')}")


SECTIONS: dict[str, Callable[[argparse.Namespace], None]] = {"folder": section_folder, "stop": section_stop}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--section", choices=sorted(SECTIONS), action="append", help="default: all")
    parser.add_argument("--count", type=int, default=282, help="entries in the hostile folder")
    parser.add_argument("--stop-docs", type=int, default=4, help="invoices in the stop section")
    parser.add_argument("--latency", type=float, default=3.0, help="seconds per fake model request")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds before giving up")
    parser.add_argument("--root", default=None, help="run another checkout's code")
    args = parser.parse_args()
    for name in args.section or sorted(SECTIONS):
        SECTIONS[name](args)


if __name__ == "__main__":
    main()
