"""Vendor memory in the llama engine: the vendor's last approved values go into the prompt
as one more text part, and its tokens are counted (estimated and by the server's usage)."""

from __future__ import annotations

from pathlib import Path

from extractors.engines.vendor_context import VendorMemory, vendor_memory
from extractors.fieldmap.vendor_profiles import teach_profile
from extractors.tokens import estimate_text_tokens
from models.page import PreparedPage
from models.schemas import get_schema
from tests.extractors.llama.conftest import extract, llm_settings
from tests.fakes.vllm_server import FakeVllmServer
from tests.support.truth import InvoiceTruth


def _texts(body: dict) -> list[str]:
    return [part["text"] for part in body["messages"][1]["content"] if part["type"] == "text"]


def test_the_prompt_carries_the_vendors_approved_example_and_counts_it(
    fake: FakeVllmServer, invoice: tuple[InvoiceTruth, list[PreparedPage]], tmp_path: Path
) -> None:
    truth, pages = invoice
    values = {k: v for k, v in truth.schema_values().items() if not isinstance(v, list)}
    profile = teach_profile([pages[0].lines], values, get_schema("invoice"), document_id="d1")
    settings = llm_settings(tmp_path, fake.base_url)
    plain = extract(settings, [pages[0]])
    with vendor_memory(VendorMemory((profile,))):
        taught = extract(settings, [pages[0]])
    without, with_example = _texts(fake.requests[0]), _texts(fake.requests[1])
    (added,) = [t for t in with_example if t not in without]
    assert profile.display_name in added and str(values["invoice_number"]) in added
    (before,), (after,) = plain.calls, taught.calls
    assert after.estimated_prompt_tokens == before.estimated_prompt_tokens + estimate_text_tokens(added)
    assert before.prompt_tokens is not None and after.prompt_tokens is not None
    assert after.prompt_tokens > before.prompt_tokens  # the server counted it too: it is billed
    # Another tenant's memory, or none, leaves the prompt as it was.
    with vendor_memory(VendorMemory()):
        extract(settings, [pages[0]])
    assert _texts(fake.requests[2]) == without
