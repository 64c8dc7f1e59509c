"""Request checks of the fake vLLM server, with vLLM's status codes and messages."""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

from tests.fakes.vllm_model import count_tokens, image_tokens

ROLES = {"system", "user", "assistant", "tool", "developer"}
RESPONSE_FORMATS = {"text", "json_object", "json_schema", "structural_tag"}
_TOKENS_PER_MESSAGE = 5
_TOKENS_PER_REQUEST = 3


class RequestError(Exception):
    """A request vLLM would refuse."""

    def __init__(
        self, message: str, *, status: int = 400, err_type: str = "BadRequestError", param: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.err_type = err_type
        self.param = param


@dataclass
class CheckedRequest:
    """What the server took from a valid request."""

    max_tokens: int | None  # max_completion_tokens, else max_tokens; None: up to the context
    logprobs: bool
    top_logprobs: int
    schema_name: str
    answer_schema: dict[str, Any] | None  # None: no json_schema constraint is honoured
    images: int
    image_tokens: int
    text_tokens: int
    logged: dict[str, Any]
    priority: int = 0
    stream: bool = False
    include_usage: bool = False


def check_chat_request(body: Any, *, model: str, max_images: int) -> CheckedRequest:
    """Validate ``body``; decoded image bytes are stored in each part under ``_decoded``.

    ``priority`` (an integer, default 0; lower is served first) is accepted as vLLM's
    current engine does: on the default fcfs policy it is taken and ignored (only the old
    engine refused it); whether the queue honours it is the server's scheduling policy.
    The completion budget is ``max_completion_tokens``, else the deprecated ``max_tokens``;
    ``stream_options`` only with ``stream``.
    """
    if not isinstance(body, dict):
        raise RequestError("Input should be a valid dictionary or object")
    if body.get("model") != model:
        raise RequestError(
            f"The model `{body.get('model')}` does not exist.",
            status=404,
            err_type="NotFoundError",
            param="model",
        )
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError("messages: Field required (a non-empty list)", param="messages")
    text_tok, images, image_tok = _count_prompt(messages, max_images)
    max_tokens = _completion_budget(body)
    stream = body.get("stream") is True
    options = body.get("stream_options")
    if options is not None and not stream:
        raise RequestError("Stream options can only be defined when `stream=True`.", param="stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    logprobs = body.get("logprobs") is True
    top = body.get("top_logprobs") or 0
    if top and not logprobs:
        raise RequestError("when using `top_logprobs`, `logprobs` must be set to true.", param="top_logprobs")
    name, answer_schema = _response_format(body.get("response_format"))
    priority = body.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool) or not -(2**63) <= priority < 2**63:
        raise RequestError("priority: Input should be a valid integer", param="priority")
    return CheckedRequest(
        max_tokens=max_tokens,
        logprobs=logprobs,
        top_logprobs=int(top),
        schema_name=name,
        answer_schema=answer_schema,
        images=images,
        image_tokens=image_tok,
        text_tokens=text_tok,
        logged=_logged(body),
        priority=priority,
        stream=stream,
        include_usage=include_usage,
    )


def _count_prompt(messages: list[Any], max_images: int) -> tuple[int, int, int]:
    """(text tokens, images, image tokens) of the messages, each part checked; image parts
    get their decoded bytes under ``_decoded``."""
    images = image_tok = 0
    text_tok = _TOKENS_PER_REQUEST
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise RequestError(f"messages.{index}.role: unknown or missing role", param="messages")
        text_tok += _TOKENS_PER_MESSAGE
        content = message.get("content")
        if isinstance(content, str):
            text_tok += count_tokens(content)
            continue
        if not isinstance(content, list):
            raise RequestError(
                f"messages.{index}.content: must be a string or a list of parts", param="messages"
            )
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text" and isinstance(part.get("text"), str):
                text_tok += count_tokens(part["text"])
            elif kind == "image_url" and isinstance(part.get("image_url"), dict):
                width, height, data = _decode_image(part["image_url"].get("url"))
                part["_decoded"] = data
                images += 1
                image_tok += image_tokens(width, height)
            else:
                raise RequestError(
                    f"messages.{index}.content: unknown content part {kind!r}", param="messages"
                )
    if images > max_images:
        limit = f"At most {max_images} image(s) may be provided in one prompt."
        raise RequestError(limit + " Set `--limit-mm-per-prompt` to increase this limit.")
    return text_tok, images, image_tok


def _completion_budget(body: dict[str, Any]) -> int | None:
    """``max_completion_tokens``, else the deprecated ``max_tokens``; None when neither."""
    max_tokens = body.get("max_completion_tokens")
    name_used = "max_completion_tokens"
    if max_tokens is None:
        max_tokens, name_used = body.get("max_tokens"), "max_tokens"
    if max_tokens is not None and (
        not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1
    ):
        raise RequestError(f"{name_used} must be at least 1", param=name_used)
    return max_tokens


def _response_format(value: Any) -> tuple[str, dict[str, Any] | None]:
    """The schema name and JSON Schema vLLM would enforce (``guided_json`` is ignored)."""
    if value is None:
        return "", None
    if not isinstance(value, dict) or value.get("type") not in RESPONSE_FORMATS:
        raise RequestError(
            "response_format.type must be one of " + ", ".join(sorted(RESPONSE_FORMATS)),
            param="response_format",
        )
    if value["type"] != "json_schema":
        return "", None
    spec = value.get("json_schema")
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise RequestError(
            "response_format.json_schema: Field required (with a name)", param="response_format"
        )
    schema = spec.get("schema")
    if schema is not None and not isinstance(schema, dict):
        raise RequestError("response_format.json_schema.schema must be an object", param="response_format")
    return spec["name"], schema or {}


def _decode_image(url: Any) -> tuple[int, int, bytes]:
    if not isinstance(url, str) or not url.startswith("data:"):
        raise RequestError("the fake server fetches no remote images; send a data URL", param="messages")
    header, _, payload = url.partition(",")
    if not header.startswith("data:image/") or not header.endswith(";base64"):
        raise RequestError(f"Invalid data URL header: {header[:60]!r}", param="messages")
    try:
        data = base64.b64decode(payload, validate=True)
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            image.verify()
    except (binascii.Error, UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise RequestError(f"Failed to load image: {type(exc).__name__}: {exc}", param="messages") from None
    return width, height, data


def _logged(body: dict[str, Any]) -> dict[str, Any]:
    def cut(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: cut(v) for k, v in node.items() if k != "_decoded"}
        if isinstance(node, list):
            return [cut(v) for v in node]
        if isinstance(node, str) and node.startswith("data:image/"):
            return f"<image data URL, {len(node)} chars>"
        return node

    return cut(body)
