"""The HTTP API (FastAPI). This build serves health and readiness; uploads come next."""
