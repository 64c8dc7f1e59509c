"""A generated golden set of varied, real-world-looking invoices with their truth files.

``python -m tests.support.invoice_set --split dev --out var/golden/invoices-dev`` writes one
split; see README.md in this folder for layouts, variants and the truth rules.
"""
