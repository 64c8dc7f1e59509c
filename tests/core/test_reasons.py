"""Reasons shown to tenants: paths, addresses, SQL and tracebacks are taken out, the rest
of the message is kept word for word."""

from __future__ import annotations

import pytest

from core.reasons import MAX_REASON_CHARS, WITHHELD_INTERNAL, tenant_reason

BLOB = "/srv/folio/var/blobs/87/2e/872e5d14a3af0c2cbecc8b3620adeac93e01f66a25756321a7f80d935b9a87e4"


@pytest.mark.parametrize(
    ("raw", "kept", "gone"),
    [
        (
            f"the PDF is damaged and cannot be opened (Failed to open file '{BLOB}' as type pdf.)",
            ["the PDF is damaged and cannot be opened", "as type pdf"],
            ["/srv", "blobs", "872e5d"],
        ),
        (
            "could not be read: [Errno 13] Permission denied: '/srv/inbox/acme/scan.pdf'",
            ["Permission denied"],
            ["/srv/inbox"],
        ),
        (
            "(psycopg.errors.StringDataRightTruncation) value too long for type character "
            "varying(100)\n[SQL: INSERT INTO extraction_fields (name, value) VALUES (%(name)s, "
            "%(value)s)]\n[parameters: {'name': 'x'}]\n(Background on this error at: "
            "https://sqlalche.me/e/20/9h9h)",
            ["value too long"],
            ["INSERT", "parameters", "sqlalche.me", "%(name)s"],
        ),
        (
            "SELECT id FROM documents WHERE sha256 = 'abc' failed",
            [],
            ["SELECT", "documents WHERE"],
        ),
        (
            'render failed\nTraceback (most recent call last):\n  File "/work/flows/x.py", '
            "line 3, in f\nValueError: boom",
            ["render failed"],
            ["Traceback", "x.py", "line 3"],
        ),
        (
            "cannot connect to http://10.0.0.5:8000/v1/chat/completions: connection refused",
            ["cannot connect to", ": connection refused"],
            ["10.0.0.5", "/v1/chat"],
        ),
        ("C:\\Users\\svc\\AppData\\blob.bin could not be opened", ["could not be opened"], ["Users"]),
    ],
)
def test_server_details_are_taken_out_and_the_message_kept(raw: str, kept: list[str], gone: list[str]):
    shown = tenant_reason(raw)
    assert shown is not None and "\n" not in shown
    for words in kept:
        assert words in shown
    for words in gone:
        assert words not in shown


@pytest.mark.parametrize(
    "plain",
    [
        "the file looks like plain text, not a PDF or an image (named notes.txt)",
        "page 2/3 is damaged; 12 km/h and/or 1/2 of the /Count entry",
        "select a file from the list and try again",  # English, not SQL
        "needs_review: total_amount (0.84 < 0.90); missing: invoice_date",
    ],
)
def test_reasons_without_server_details_are_unchanged(plain: str):
    assert tenant_reason(plain) == plain


def test_nothing_left_says_an_internal_error_and_long_reasons_are_cut():
    only_trace = 'Traceback (most recent call last):\n  File "/a/b.py", line 1'
    assert tenant_reason(only_trace) == WITHHELD_INTERNAL
    assert tenant_reason(None) is None
    long = tenant_reason("word " * 2000)
    assert long is not None and len(long) == MAX_REASON_CHARS and long.endswith("…")


@pytest.mark.parametrize(
    "internal",
    [
        "http://vllm:8000/v1",
        "https://gpu1.internal/v1",
        "https://api.example.com:8443/v1",
        "http://[fe80::1]:8000/v1",
        "https://localhost/v1",
        "postgresql+psycopg://folio:secret@db/folio",
        "s3://tenant-bucket/blobs/ab",
    ],
)
def test_internal_addresses_are_withheld(internal: str):
    assert tenant_reason(f"could not reach {internal}: refused") == "could not reach [address]: refused"


def test_a_public_web_address_stays():
    reason = "the licence forbids it; see https://www.llama.com/llama4/license/ for the terms"
    assert tenant_reason(reason) == reason
