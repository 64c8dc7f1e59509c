"""Persistence: SQL tables and migrations, repository functions, and the blob store.

- ``storage.database``: ``make_engine``, ``make_session_factory``, ``session_scope``.
- ``storage.migrate``: ``upgrade(settings)`` (what ``folio db upgrade`` runs).
- ``storage.tables``: the ORM classes, one module per aggregate.
- ``storage.repository``: every read and write the other packages need.
- ``storage.blobs``: ``BlobStore``, files stored once by sha256.
"""
