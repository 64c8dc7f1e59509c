"""What tests (and bench/) build their material from, in one place:

- ``documents``: invoices, receipts, scans, purchase orders, plain PDFs and JPEGs as bytes
  (the bundled examples are made from them too: ``python -m examples.generate``);
- ``truth``: what those invoices and receipts say, deterministic for a seed;
- ``hardcases``: good, hard and hostile files (encrypted, truncated, bombs, noisy scans);
- ``pipeline``: the document pipeline assembled in-process around any engine;
- ``invoice_set``: the generated invoice golden sets (``make golden``).

Fakes of what Folio talks to (the vLLM server, an in-process engine) are in ``tests.fakes``.
"""
