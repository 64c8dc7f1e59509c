"""How the fake vLLM server writes a completion: the answer's tokens (bent by the faults that
touch an answer), their log-probabilities, vLLM's usage and ``chat.completion`` body, and the
server-sent events of a stream. The request handling and scheduling are in ``vllm_server``.

Streaming (``stream: true``): server-sent events as vLLM writes them: a first chunk with
``delta.role`` and empty content, then the first token alone and chunks of
``stream_interval`` tokens after it (vLLM's ``--stream-interval``; ``delta.content`` and the
tokens' ``logprobs.content`` entries), the last with ``finish_reason``; with
``stream_options.include_usage`` a final chunk with ``choices: []`` and ``usage``; then
``data: [DONE]``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse

from tests.fakes import vllm_model as fake_model
from tests.fakes.vllm_faults import WHITESPACE_LOGPROB, WHITESPACE_TOKEN, FakeFaults

Tokens = list[tuple[str, float]]


@dataclass(frozen=True)
class Answer:
    """One completion as the fake sends it: the response head, the tokens with their
    logprobs, the logprob entries (when asked for), why it ended, and the usage."""

    head: dict[str, Any]
    tokens: Tokens
    entries: list[list[dict[str, Any]]] | None
    finish: str
    usage: dict[str, Any]


def answer_tokens(
    checked: Any,
    pages: Any,
    faults: FakeFaults,
    image_texts: dict[str, str],
    *,
    disable_any_whitespace: bool,
    take: Callable[[str], bool],
) -> tuple[Tokens, str]:
    """The answer's tokens with their logprobs, and its ``finish_reason``. ``take(name)``
    consumes one of the next-N fault counter ``name``."""
    answer, confidences = fake_model.answer_for(
        checked.answer_schema or {}, checked.schema_name, pages, image_texts
    )
    if faults.hallucinate:
        answer = replace_values(answer, faults.hallucinate)
    if faults.wrong:
        seen = fake_model.text_seen(pages, image_texts)
        names = [n for key, fields in faults.wrong.items() if key in seen for n in fields]
        answer = fake_model.corrupt(answer, names) if names else answer
    if take("schema_violation") and isinstance(answer, dict):
        answer = {**answer, "comment": "read from the page"}  # a key the schema forbids
    content, spans = fake_model.serialise(answer, escape=faults.escape_json)
    if checked.answer_schema is None:  # no response_format honoured: free prose
        content = "Here is the information I found in the document:\n" + content
        spans = {}
    if take("invalid_json"):
        content = content[:-1]  # the closing brace is missing
    tokens = fake_model.tokens_with_logprobs(content, spans, confidences, faults.value_logprobs)
    constrained = checked.answer_schema is not None
    loops = faults.whitespace_loop and constrained and not disable_any_whitespace
    if loops:
        # xgrammar with free whitespace at temperature 0: once the model picks whitespace
        # after the object, nothing makes it stop before the budget (vllm-project/vllm#38696).
        tokens += [(WHITESPACE_TOKEN, WHITESPACE_LOGPROB)] * max(0, checked.max_tokens - len(tokens))
    finish = "stop"
    if loops or len(tokens) > checked.max_tokens:
        tokens, finish = tokens[: checked.max_tokens], "length"
    elif take("truncate"):
        tokens, finish = tokens[: max(1, len(tokens) // 2)], "length"
    return tokens, finish


def logprob_entries(
    checked: Any, faults: FakeFaults, tokens: Tokens, finish: str
) -> list[list[dict[str, Any]]] | None:
    """The tokens' ``logprobs.content`` entries, one group a token; None unless asked for."""
    if not checked.logprobs or faults.no_logprobs:
        return None
    return fake_model.logprob_entries_per_token(
        tokens,
        multibyte=faults.multibyte,
        token_ids_for=tuple(faults.token_ids_for),
        eos_token=faults.eos_token if finish == "stop" else None,
        top_logprobs=checked.top_logprobs,
    )


def usage(checked: Any, prompt_tokens: int, completion_tokens: int, *, details: bool) -> dict[str, Any]:
    """vLLM's usage: every generated token counts, a cut answer's included; ``details``:
    ``prompt_tokens_details`` filled in (the server's ``prompt_tokens_details`` flag)."""
    result: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": None,
    }
    if details:
        result["prompt_tokens_details"] = {
            "cached_tokens": 0,
            "multimodal_tokens": {"image": checked.image_tokens} if checked.images else None,
        }
    return result


def completion(answer: Answer) -> JSONResponse:
    """The whole answer as vLLM's ``chat.completion`` body."""
    choice: dict[str, Any] = {
        "index": 0,
        "message": {
            "role": "assistant",
            "content": "".join(t for t, _ in answer.tokens),
            "tool_calls": [],
            "reasoning_content": None,
        },
        "logprobs": None,
        "finish_reason": answer.finish,
        "stop_reason": None,
    }
    if answer.entries is not None:
        choice["logprobs"] = {"content": [entry for group in answer.entries for entry in group]}
    whole = {**answer.head, "object": "chat.completion", "choices": [choice], "usage": answer.usage}
    return JSONResponse({**whole, "prompt_logprobs": None})


async def chunks(
    answer: Answer,
    checked: Any,
    faults: FakeFaults,
    per_token_s: float,
    stream_interval: int,
    *,
    decoded: Callable[[], None] | None = None,
) -> AsyncIterator[str]:
    """The answer as server-sent events (see the module docstring); each chunk waits its
    tokens' decode time (``token_latency_s`` plus ``per_token_s``, the capacity model's).
    The waits are paced against the clock from the first chunk on (each chunk is due when
    the tokens before it would have been decoded), so the time spent writing the events and
    waiting on a slow reader is not added to the decode time. ``decoded`` is called once the
    last token is due, before the last events are written: a server frees the sequence's
    slot when it is generated, not when the client has read it."""
    tokens, entries, finish = answer.tokens, answer.entries, answer.finish
    clock = asyncio.get_running_loop().time
    due = clock()
    chunk = {**answer.head, "object": "chat.completion.chunk"}

    def event(choices: list[dict[str, Any]], **extra: Any) -> str:
        return f"data: {json.dumps({**chunk, 'choices': choices, **extra})}\n\n"

    role = {"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None}
    yield event([{**role, "finish_reason": None}])
    # vLLM's --stream-interval N: the first token at once, then every N tokens, and the end.
    step = max(1, stream_interval)
    bounds = [0, *range(1, len(tokens), step)] if step > 1 and tokens else list(range(len(tokens)))
    for start, end in zip(bounds, [*bounds[1:], len(tokens)], strict=True):
        group = tokens[start:end]
        if faults.token_latency_s or per_token_s:
            due += (faults.token_latency_s + per_token_s) * len(group)
            await asyncio.sleep(max(0.0, due - clock()))
        last = end >= len(tokens)
        if last and decoded is not None:
            decoded()
        choice: dict[str, Any] = {
            "index": 0,
            "delta": {"content": "".join(t for t, _ in group)},
            "logprobs": None,
            "finish_reason": finish if last else None,
        }
        if entries is not None:
            choice["logprobs"] = {"content": [e for g in entries[start:end] for e in g]}
        if last:
            choice["stop_reason"] = None
        yield event([choice])
    if not tokens:
        if decoded is not None:
            decoded()
        yield event([{"index": 0, "delta": {"content": ""}, "logprobs": None, "finish_reason": finish}])
    if checked.include_usage:
        yield event([], usage={k: v for k, v in answer.usage.items() if v is not None})
    yield "data: [DONE]\n\n"


def replace_values(node: Any, table: dict[str, str]) -> Any:
    """``node`` with every string value found in ``table`` replaced by its entry there."""
    if isinstance(node, dict):
        return {k: replace_values(v, table) for k, v in node.items()}
    if isinstance(node, list):
        return [replace_values(v, table) for v in node]
    return table.get(node, node) if isinstance(node, str) else node
