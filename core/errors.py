"""One root, grouped by whose fault it is.

- ``BadInputError``: the file itself (the uploader can act on it) -> status ``rejected``.
- ``ModelServerError``: the model server misbehaved (retryable or not) -> ``failed``/``partial``.
- ``ConfigurationError``: the deployment is set up wrong (the operator can act on it).
- ``InternalError``: a bug of ours.
Every error carries a stable ``code`` and a message a person understands. A licence or
budget refusal is no error: the policy returns a decision and the document ends ``blocked``.
"""

from __future__ import annotations


class FolioError(Exception):
    """Root of every error Folio raises on purpose."""

    code = "folio_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class ConfigurationError(FolioError):
    """The deployment or the caller's options are wrong; nothing about the file."""

    code = "configuration"


class BadInputError(FolioError):
    """The file cannot be processed as given; the document ends ``rejected``."""

    code = "bad_input"


class UnsupportedTypeError(BadInputError):
    code = "unsupported_type"


class FileTooLargeError(BadInputError):
    code = "file_too_large"


class TooManyPagesError(BadInputError):
    code = "too_many_pages"


class DecompressionBombError(BadInputError):
    code = "decompression_bomb"


class EncryptedDocumentError(BadInputError):
    code = "encrypted"


class CorruptDocumentError(BadInputError):
    code = "corrupt"


class EmptyDocumentError(BadInputError):
    code = "empty"


class ModelServerError(FolioError):
    """The model server failed; carries what an operator needs to act."""

    code = "model_server"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        body: str | None = None,
        retryable: bool = False,
        code: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.status_code = status_code
        self.body = body
        self.retryable = retryable


class PageTimeoutError(FolioError):
    """A page took longer than its time limit (render or OCR); a page failure."""

    code = "page_timeout"


class InternalError(FolioError):
    """A bug of ours; logged with a traceback, the document ends ``failed``."""

    code = "internal"
