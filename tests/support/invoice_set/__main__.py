"""Write a split of the invoice golden set: ``python -m tests.support.invoice_set --split dev --out DIR``."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

from tests.support.invoice_set.build import SPLITS, generate


def main(argv: list[str] | None = None) -> int:
    """Generate one split and print what it holds by layout, language and variant."""
    parser = argparse.ArgumentParser(prog="python -m tests.support.invoice_set", description=__doc__)
    parser.add_argument("--split", choices=sorted(SPLITS), required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    entries = generate(args.split, args.out)
    elapsed = time.perf_counter() - started
    out = sys.stdout
    out.write(f"{args.split}: {len(entries)} documents in {elapsed:.1f} s -> {args.out}\n")
    for key in ("layout", "language", "variant", "mark", "pages"):
        counts = Counter(str(e[key]) for e in entries)
        out.write(f"  {key}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
