"""Fakes of what Folio talks to, for tests and bench/: the vLLM server (a real local HTTP
server), its model, and an in-process engine."""
