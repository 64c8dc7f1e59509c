"""Log-probabilities -> value confidence: alignment on the answer's bytes in the ways servers
write ``logprobs.content`` (the entries come from the fake server's writer, which follows
vLLM's and OpenAI's shapes), and None, never a default, where a value cannot be aligned."""

from __future__ import annotations

import math
from typing import Any

import pytest

from extractors.llama.logprobs import TokenConfidence, TokenEntry
from extractors.llama.responses import leaf_spans, read_completion
from tests.fakes.vllm_model import MULTIBYTE_STYLES, serialise, tokens_with_logprobs
from tests.fakes.vllm_model import logprob_entries as fake_entries

ANSWER = {
    "vendor_name": "Müller & Söhne Café",
    "invoice_number": "RE/2025/0042",
    "note": 'say "ok" ✓ 东京',
    "total_amount": 1234.5,
}
P_VENDOR, P_NUMBER, P_NOTE, P_TOTAL = 0.81, 0.93, 0.64, 0.97


def body_for(content: str, entries: list[dict[str, Any]] | None) -> dict[str, Any]:
    """A chat.completion body as vLLM writes it."""
    choice = {
        "index": 0,
        "message": {"role": "assistant", "content": content},
        "logprobs": None if entries is None else {"content": entries},
        "finish_reason": "stop",
    }
    return {"choices": [choice], "usage": {"prompt_tokens": 10, "completion_tokens": 5}}


def confidences(
    *, escape: bool = False, token_ids_for: tuple[str, ...] = (), **style: Any
) -> tuple[dict[str, float | None], str]:
    """Each value's confidence after a round trip through the writer and the reader."""
    content, spans = serialise(ANSWER, escape=escape)
    chances = {("vendor_name",): P_VENDOR, ("invoice_number",): P_NUMBER, ("note",): P_NOTE}
    chances[("total_amount",)] = P_TOTAL
    tokens = tokens_with_logprobs(content, spans, chances, {})
    entries = fake_entries(tokens, token_ids_for=token_ids_for, **style)
    completion = read_completion(body_for(content, entries))
    reader = TokenConfidence(content, completion.tokens)
    found = leaf_spans(content)
    return {name: reader.of(found[(name,)]) for name in ANSWER}, content


@pytest.mark.parametrize("multibyte", MULTIBYTE_STYLES)
@pytest.mark.parametrize("eos_token", [None, "<|eot|>", ""])
def test_every_value_gets_its_own_tokens_confidence(multibyte: str, eos_token: str | None) -> None:
    got, _ = confidences(multibyte=multibyte, eos_token=eos_token)
    assert got == {
        "vendor_name": P_VENDOR,
        "invoice_number": P_NUMBER,
        "note": P_NOTE,
        "total_amount": P_TOTAL,
    }


@pytest.mark.parametrize("multibyte", ["whole", "replacement", "byte_fallback"])
def test_json_escapes_in_the_answer_are_spelled_by_the_tokens(multibyte: str) -> None:
    got, content = confidences(escape=True, multibyte=multibyte, eos_token="<|eom|>")
    assert "\\u00fc" in content and "\\/" in content and '\\"ok\\"' in content  # escapes were written
    assert got["vendor_name"] == P_VENDOR and got["invoice_number"] == P_NUMBER
    assert got["note"] == P_NOTE


def test_a_value_whose_tokens_cannot_be_placed_is_unknown_and_the_others_keep_theirs() -> None:
    got, _ = confidences(multibyte="replacement", token_ids_for=("RE/2025",))
    assert got["invoice_number"] is None
    assert (got["vendor_name"], got["note"], got["total_amount"]) == (P_VENDOR, P_NOTE, P_TOTAL)


def test_without_logprobs_every_value_is_unknown() -> None:
    content, _ = serialise(ANSWER)
    for entries in (None, []):
        completion = read_completion(body_for(content, entries))
        reader = TokenConfidence(content, completion.tokens)
        assert not reader.available
        assert {reader.of(span) for span in leaf_spans(content).values()} == {None}


def test_a_missing_logprob_makes_only_its_value_unknown() -> None:
    content, spans = serialise(ANSWER)
    tokens = tokens_with_logprobs(content, spans, {}, {"1234": math.log(0.5)})
    entries = fake_entries(tokens)
    number_start = spans[("invoice_number",)][0]
    at = 0
    for entry in entries:  # the first token of the invoice number: vLLM's "no logprob" value
        if at > number_start:  # past the opening quote
            entry["logprob"] = -9999.0
            break
        at += len(entry["token"])
    reader = TokenConfidence(content, read_completion(body_for(content, entries)).tokens)
    found = leaf_spans(content)
    assert reader.of(found[("invoice_number",)]) is None
    assert reader.of(found[("total_amount",)]) == 0.5


def test_logprobs_that_stop_early_leave_the_later_values_unknown() -> None:
    content, spans = serialise(ANSWER)
    tokens = tokens_with_logprobs(content, spans, {("vendor_name",): P_VENDOR}, {})
    entries = fake_entries(tokens)
    vendor_end, at, keep = spans[("vendor_name",)][1], 0, 0
    while at < vendor_end + 2:  # a list cut off just after the vendor name
        at += len(entries[keep]["token"])
        keep += 1
    entries = entries[:keep]
    reader = TokenConfidence(content, read_completion(body_for(content, entries)).tokens)
    found = leaf_spans(content)
    assert reader.of(found[("vendor_name",)]) == P_VENDOR
    assert reader.of(found[("total_amount",)]) is None


def test_byte_level_bpe_pieces_are_read_as_their_bytes() -> None:
    # Raw vocabulary pieces of a byte-level BPE tokenizer: "Ġ" is a space, "Ã¼" is "ü".
    content = '{"v": "Müller AG"}'
    pieces = ['{"', "v", '":', 'Ġ"', "M", "Ã¼", "ller", "ĠAG", '"}']
    tokens = [
        TokenEntry(p, p.encode(), math.log(0.9) if p in ("M", "Ã¼", "ller", "ĠAG") else 0.0) for p in pieces
    ]
    reader = TokenConfidence(content, tokens)
    assert reader.of(leaf_spans(content)[("v",)]) == 0.9
