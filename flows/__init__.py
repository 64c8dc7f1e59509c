"""Orchestration: intake, the per-document pipeline and the Prefect flows around it.

Importing this package does not import Prefect; ``flows.runtime.configure_prefect`` must run
before ``flows.process`` is imported so Prefect reads Folio's settings for its home and
services.
"""
