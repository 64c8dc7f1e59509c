"""What the second witness buys: wrong essential values that end ``done``, with it and without.

Run: ``.venv/bin/python -m bench.witness [--docs 40] [--wrong-share 0.3] [--seed 1]
[--witness ocr,off] [--logprobs on,off] [--scan-dpi 150] [--scan-noise 0.06] [--scan-angle 0.4]
[--verbose]``. Prints figures; no asserts.

Invoices with known truth (``examples.truth.make_invoice_truth``), one page each, half
born-digital and half scanned (printed at ``--scan-dpi``, grey, turned by ``--scan-angle``
degrees, blurred, with ``--scan-noise`` grain: ``tests.fakes.scans``; harsher scans cost the
OCR witness more misreadings), go through the real pipeline (intake, prepare, the llama engine,
merge, calibrate, the done rule, persist in SQLite) against the fake vLLM server in this
process. The fake reads digital pages from the text it is sent and scanned pages from the
text of the page they were printed from (it is told what each picture shows), so its answers
are right unless it is told otherwise: in ``--wrong-share`` of the documents it answers one
essential value wrongly, as confidently as the right ones (in turn: the total with one digit
changed, the invoice number with one digit changed, the invoice date a day later).

Each configuration (``llm_witness`` x log-probabilities on/off) runs the same documents in a
fresh database. A document's essential values (vendor, number, date, total) are compared with
its truth: amounts to the cent, dates as dates, number and vendor case- and space-blind.
``done_precision`` is the share of ``done`` documents whose essential values are all right.
"Right documents sent to review" counts documents with every essential value right that
did not end ``done``; "by the witness" those among them whose reasons name a witness flag
(``disagreement``, ``ungrounded``) on an essential field: the witness's cost in
straight-through processing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from core.settings import Settings
from flows.intake import register_file
from flows.pipeline import open_pipeline, run_document
from models.document import DocumentStatus
from models.extraction import DocumentExtraction
from storage import repository as repo
from storage.migrate import upgrade
from tests.fakes.scans import describe_scan
from tests.fakes.vllm_server import FakeVllmServer
from tests.support.documents import invoice_pdf, page_texts, scanned_pdf
from tests.support.truth import InvoiceTruth, make_invoice_truth

ESSENTIAL = ("vendor_name", "invoice_number", "invoice_date", "total_amount")
WRONG_IN_TURN = ("total_amount", "invoice_number", "invoice_date")
WITNESS_CODES = ("disagreement", "ungrounded")


@dataclass
class Sample:
    """One generated document and what the fake is told to get wrong in it."""

    path: Path
    truth: InvoiceTruth
    scanned: bool
    texts: list[str]
    wrong_field: str | None


@dataclass
class Outcome:
    """How one document ended in one configuration."""

    sample: Sample
    status: DocumentStatus
    reason: str
    wrong: list[str]  # essential fields whose value is not the truth
    missing: list[str]


def make_samples(folder: Path, count: int, share: float, seed: int, scan: dict[str, Any]) -> list[Sample]:
    """``count`` one-page invoices, even ones digital, odd ones scanned; ``share`` of them
    (chosen at random, evenly over both kinds) get one wrong essential value."""
    rng = random.Random(seed)
    wanted = round(share * count)
    digital, scanned_ids = list(range(0, count, 2)), list(range(1, count, 2))
    wrong_ids = set(rng.sample(digital, (wanted + 1) // 2) + rng.sample(scanned_ids, wanted // 2))
    samples = []
    turn = 0
    for index in range(count):
        truth = make_invoice_truth(seed * 10_000 + index)
        digital = invoice_pdf(truth)
        scanned = index % 2 == 1
        path = folder / f"{index:03d}-{'scan' if scanned else 'digital'}.pdf"
        path.write_bytes(scanned_pdf(digital, seed=index, **scan) if scanned else digital)
        wrong_field = None
        if index in wrong_ids:
            wrong_field = WRONG_IN_TURN[turn % len(WRONG_IN_TURN)]
            turn += 1
        samples.append(Sample(path, truth, scanned, page_texts(digital), wrong_field))
    return samples


def judge(truth: InvoiceTruth, extraction: DocumentExtraction) -> tuple[list[str], list[str]]:
    """The essential fields whose value is wrong, and those missing."""
    expected = truth.schema_values()
    wrong, missing = [], []
    for name in ESSENTIAL:
        found = extraction.fields.get(name)
        if found is None or found.value is None:
            missing.append(name)
        elif not _same(name, found.value, expected[name]):
            wrong.append(name)
    return wrong, missing


def _same(name: str, got: Any, want: Any) -> bool:
    if name == "total_amount":
        try:
            return abs(Decimal(str(got)) - Decimal(str(want))) < Decimal("0.005")
        except ArithmeticError:
            return False
    return " ".join(str(got).split()).casefold() == " ".join(str(want).split()).casefold()


async def run_config(
    fake: FakeVllmServer, samples: list[Sample], folder: Path, *, witness: str, concurrency: int
) -> tuple[list[Outcome], float]:
    settings = Settings(
        _env_file=None,
        storage={"data_dir": folder / "var"},
        extraction={"engine": "llama"},
        llm={"base_urls": [fake.base_url], "model": fake.model, "witness": witness, "read_timeout_s": 600},
        licence={"licensee_country": "US"},
        pages={"render_workers": 2},
    )
    upgrade(settings)
    started = time.perf_counter()
    async with open_pipeline(settings) as pipeline:
        ids = [
            register_file(
                s.path,
                settings=settings,
                sessions=pipeline.sessions,
                blobs=pipeline.blobs,
                tenant="bench",
                schema_name="invoice",
            ).document_id
            for s in samples
        ]
        slots = asyncio.Semaphore(concurrency)

        async def one(sample: Sample, document_id: str) -> Outcome:
            async with slots:
                run = await run_document(pipeline, document_id)
            with pipeline.sessions() as session:
                stored = repo.current_extraction(session, document_id)
                extraction = (
                    DocumentExtraction.model_validate(stored.result)
                    if stored is not None
                    else DocumentExtraction(schema_name="invoice", schema_version="1", engine="llama")
                )
            wrong, missing = judge(sample.truth, extraction)
            return Outcome(sample, run.status, run.reason or "", wrong, missing)

        outcomes = await asyncio.gather(*(one(s, i) for s, i in zip(samples, ids, strict=True)))
    return list(outcomes), time.perf_counter() - started


def witness_flagged(outcome: Outcome) -> bool:
    """Whether a witness flag on an essential field is among the document's reasons."""
    return any(f"{code}: {name}" in outcome.reason for code in WITNESS_CODES for name in ESSENTIAL)


def report(label: str, outcomes: list[Outcome], wall: float, verbose: bool) -> None:
    done = [o for o in outcomes if o.status is DocumentStatus.DONE]
    wrong_docs = [o for o in outcomes if o.wrong]
    right_docs = [o for o in outcomes if not o.wrong and not o.missing]
    done_right = [o for o in done if not o.wrong and not o.missing]
    wrong_done_values = sum(len(o.wrong) for o in done)
    to_review = [o for o in right_docs if o.status is not DocumentStatus.DONE]
    by_witness = [o for o in to_review if witness_flagged(o)]
    precision = f"{len(done_right) / len(done):.3f}" if done else "n/a (no done)"
    print(f"{label}  ({wall:.0f} s)")
    for kind, scanned in (("all", None), ("digital", False), ("scanned", True)):
        part = [o for o in outcomes if scanned is None or o.sample.scanned is scanned]
        d = [o for o in part if o.status is DocumentStatus.DONE]
        print(
            f"  {kind:8s} documents {len(part):3d}  wrong-essential documents "
            f"{sum(1 for o in part if o.wrong):3d}  done {len(d):3d}  wrong essential values "
            f"ended done {sum(len(o.wrong) for o in d):3d}"
        )
    print(
        f"  documents {len(outcomes)}, wrong-essential documents {len(wrong_docs)}, done "
        f"{len(done)}, done_precision {precision}, wrong essential values ended done "
        f"{wrong_done_values}"
    )
    share = f"{len(to_review) / len(right_docs):.1%}" if right_docs else "n/a"
    witness_share = f"{len(by_witness) / len(right_docs):.1%}" if right_docs else "n/a"
    print(
        f"  right documents {len(right_docs)}: sent to review {len(to_review)} ({share}), "
        f"by a witness flag {len(by_witness)} ({witness_share})"
    )
    if verbose:
        for o in outcomes:
            kind = "scan" if o.sample.scanned else "digital"
            print(
                f"    {o.sample.path.name:18s} {kind:7s} told-wrong={o.sample.wrong_field or '-':14s} "
                f"wrong={','.join(o.wrong) or '-':14s} {o.status.value:12s} {o.reason[:150]}"
            )


async def main_async(args: argparse.Namespace, folder: Path) -> None:
    scan = {"dpi": args.scan_dpi, "noise": args.scan_noise, "angle": args.scan_angle}
    samples = make_samples(folder, args.docs, args.wrong_share, args.seed, scan)
    told = sum(1 for s in samples if s.wrong_field)
    print(
        f"{len(samples)} one-page invoices ({sum(s.scanned for s in samples)} scanned at "
        f"{args.scan_dpi} dpi, noise {args.scan_noise}, turned {args.scan_angle} deg), the fake "
        f"told to answer one essential value wrongly in {told} ({told / len(samples):.0%}); "
        f"document concurrency {args.concurrency}"
    )
    with FakeVllmServer() as fake:
        fake.faults.wrong = {s.truth.invoice_number: [s.wrong_field] for s in samples if s.wrong_field}
        describe = Settings(
            _env_file=None,
            storage={"data_dir": folder / "describe"},
            pages={"render_workers": 2},
        )
        for sample in samples:
            if sample.scanned:
                await describe_scan(fake, describe, sample.path, sample.texts)
        for logprobs in args.logprobs.split(","):
            fake.faults.no_logprobs = logprobs == "off"
            for witness in args.witness.split(","):
                config = folder / f"run-{logprobs}-{witness}"
                outcomes, wall = await run_config(
                    fake, samples, config, witness=witness, concurrency=args.concurrency
                )
                label = f"witness={witness} logprobs={logprobs}"
                report(label, outcomes, wall, args.verbose)


def main() -> None:
    parser = argparse.ArgumentParser(description="Wrong values that end done, witness on and off")
    parser.add_argument("--docs", type=int, default=40)
    parser.add_argument("--wrong-share", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--witness", default="ocr,off", help="comma-separated: ocr, text, off")
    parser.add_argument("--logprobs", default="on,off", help="comma-separated: on, off")
    parser.add_argument("--concurrency", type=int, default=4, help="documents in flight")
    parser.add_argument("--scan-dpi", type=int, default=150, help="resolution of the scans")
    parser.add_argument("--scan-noise", type=float, default=0.06, help="grain blended in, 0..1")
    parser.add_argument("--scan-angle", type=float, default=0.4, help="degrees a scan is turned")
    parser.add_argument("--verbose", action="store_true", help="print every document")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(main_async(args, Path(tmp)))


if __name__ == "__main__":
    main()
