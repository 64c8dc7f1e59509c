"""The bundled example documents with their ground truth: invoices (PDF), receipts (scan, photo).

``python -m examples.generate`` (``make examples``) rewrites the files in ``examples/`` and
``examples/truth.json``. The documents come from the test factories
(``tests.support.documents``, truth in ``tests.support.truth``), deterministic for a seed,
so the examples are the same documents the tests read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.documents import broken_pdf, invoice_pdf, receipt_photo, receipt_scan
from tests.support.truth import InvoiceTruth, ReceiptTruth, make_invoice_truth, make_receipt_truth


def _truth_json(truth: InvoiceTruth | ReceiptTruth) -> dict[str, Any]:
    return {"seed": truth.seed, **truth.schema_values()}


def main(folder: Path | None = None) -> None:
    """Rewrite the example files and ``truth.json`` in ``folder`` (default: ``examples/``)."""
    folder = folder or Path(__file__).resolve().parent
    invoice, long_invoice = make_invoice_truth(3), make_invoice_truth(11)
    receipt, photo = make_receipt_truth(1), make_receipt_truth(6)
    # One folder per schema, so `folio process examples/invoices --schema invoice` and
    # `... examples/receipts --schema receipt` each pick the right one.
    files = {
        "invoices/invoice-digital.pdf": invoice_pdf(invoice),
        "invoices/invoice-two-pages.pdf": invoice_pdf(long_invoice, pages=2),
        "invoices/broken.pdf": broken_pdf(),
        "receipts/receipt-scan.png": receipt_scan(receipt),
        "receipts/receipt-photo.jpg": receipt_photo(photo),
    }
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
        print(f"{name}: {len(data) / 1024:.0f} KB")
    truth = {
        "invoices/invoice-digital.pdf": _truth_json(invoice),
        "invoices/invoice-two-pages.pdf": _truth_json(long_invoice),
        "invoices/broken.pdf": {"expected": "rejected (corrupt: truncated PDF)"},
        "receipts/receipt-scan.png": _truth_json(receipt),
        "receipts/receipt-photo.jpg": _truth_json(photo),
    }
    (folder / "truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
