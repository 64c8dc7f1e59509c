"""The llama engine over real HTTP against the fake vLLM server.

The fake reads pages with Folio's own field mapper, so these tests check the engine's
logic (requests, retries, parsing, confidence, grounding), not extraction accuracy.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from extractors.engines.spend import SpendCeiling, spend_ceiling
from extractors.tile_budget import budget_image
from models.page import PreparedPage
from tests.extractors.llama.conftest import extract, image_page, llm_settings, scan_lines
from tests.fakes.scans import describe_page_image
from tests.fakes.vllm_server import FakeVllmServer
from tests.support.truth import InvoiceTruth

Invoice = tuple[InvoiceTruth, list[PreparedPage]]


def test_text_pages_give_the_invoice_fields_with_page_and_usage(
    fake: FakeVllmServer, invoice: Invoice, tmp_path: Path
) -> None:
    truth, pages = invoice
    settings = llm_settings(tmp_path, fake.base_url)
    first, second = (extract(settings, [page]) for page in pages)
    assert first.failure is None and second.failure is None
    values = {
        **{k: f.value for k, f in second.fields.items()},
        **{k: f.value for k, f in first.fields.items()},
    }
    assert values["invoice_number"] == truth.invoice_number
    assert values["invoice_date"] == truth.invoice_date.isoformat()
    assert values["total_amount"] == float(truth.total_amount)
    assert {f.page for f in first.fields.values()} == {1}
    assert first.fields["invoice_number"].source_text is not None
    assert truth.invoice_number in first.fields["invoice_number"].source_text
    rows = first.tables["line_items"] + second.tables["line_items"]
    wanted = [i.description for i in truth.line_items]
    read = [r["description"].value for r in rows if "description" in r]
    assert [d for d in read if d in wanted] == wanted  # both pages' rows, in page order
    (call,) = first.calls
    assert call.succeeded and call.http_status == 200 and call.finish_reason == "stop"
    assert call.prompt_tokens and call.completion_tokens and call.image_tokens is None
    assert call.estimated_prompt_tokens > pages[0].estimated_text_tokens
    assert call.cost_usd == 0 and call.price_version is None
    body = fake.requests[0]
    assert body["temperature"] == 0 and "guided_json" not in body
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["strict"] is True
    assert body["logprobs"] is True and body["top_logprobs"] == 1
    assert not any(part["type"] == "image_url" for part in body["messages"][1]["content"])


def test_an_image_group_is_one_request_and_values_keep_their_page(
    fake: FakeVllmServer, invoice: Invoice, tmp_path: Path
) -> None:
    truth, _ = invoice
    pages = [
        image_page(4, ["Terms: payable within 30 days"]),
        image_page(5, scan_lines(truth)),
        image_page(6, ["Thank you for your business"]),
    ]
    settings = llm_settings(tmp_path, fake.base_url)
    assert pages[1].image is not None
    describe_page_image(fake, settings, pages[1].image, "\n".join(scan_lines(truth)))
    result = extract(settings, pages)
    assert result.failure is None and result.page_numbers == [4, 5, 6]
    assert result.fields["invoice_number"].value == truth.invoice_number
    assert result.fields["invoice_number"].page == 5
    assert "ungrounded" not in result.fields["invoice_number"].flags  # no text layer to check
    (call,) = result.calls
    # The images as sent: each cut and shrunk by the tile budget.
    expected_image_tokens = sum(budget_image(p.image, settings).estimated_tokens for p in pages)  # type: ignore[arg-type]
    assert call.image_tokens == expected_image_tokens == call.estimated_image_tokens
    assert call.page_numbers == [4, 5, 6]
    parts = fake.requests[0]["messages"][1]["content"]
    assert sum(part["type"] == "image_url" for part in parts) == 3
    assert fake.requests[0]["response_format"]["json_schema"]["schema"]["required"] == [
        "page_4",
        "page_5",
        "page_6",
    ]


def test_too_many_images_is_a_400_that_is_not_retried(invoice: Invoice, tmp_path: Path) -> None:
    truth, _ = invoice
    with FakeVllmServer(max_images=2) as fake:
        pages = [image_page(n, scan_lines(truth)) for n in (1, 2, 3)]
        result = extract(llm_settings(tmp_path, fake.base_url), pages)
    assert result.failure is not None and result.failure.code == "bad_request"
    assert "At most 2 image(s) may be provided in one prompt." in result.failure.message
    (call,) = result.calls
    assert call.http_status == 400 and call.error_code == "bad_request"
    assert fake.chat_count == 1


def test_overload_is_retried_until_it_passes_each_attempt_a_call(
    fake: FakeVllmServer, invoice: Invoice, tmp_path: Path
) -> None:
    fake.faults.overloaded = 2
    result = extract(llm_settings(tmp_path, fake.base_url), [invoice[1][0]])
    assert result.failure is None
    assert [(c.attempt, c.http_status, c.error_code) for c in result.calls] == [
        (1, 503, "overloaded"),
        (2, 503, "overloaded"),
        (3, 200, None),
    ]
    assert "currently busy" in (result.calls[0].error or "")


def test_retries_stop_at_the_attempt_ceiling(fake: FakeVllmServer, invoice: Invoice, tmp_path: Path) -> None:
    fake.faults.overloaded = 100
    result = extract(llm_settings(tmp_path, fake.base_url, llm={"max_attempts": 3}), [invoice[1][0]])
    assert result.failure is not None and result.failure.code == "overloaded"
    assert "gave up after 3 attempts" in result.failure.message
    assert len(result.calls) == 3 and fake.chat_count == 3


def test_a_timeout_fails_the_page_after_the_attempts(
    fake: FakeVllmServer, invoice: Invoice, tmp_path: Path
) -> None:
    fake.faults.latency_s = 1.0
    settings = llm_settings(tmp_path, fake.base_url, llm={"read_timeout_s": 0.2, "max_attempts": 2})
    result = extract(settings, [invoice[1][0]])
    assert result.failure is not None and result.failure.code == "timeout"
    assert [c.error_code for c in result.calls] == ["timeout", "timeout"]
    assert all(c.http_status is None for c in result.calls)


def test_a_dropped_connection_is_retried(fake: FakeVllmServer, invoice: Invoice, tmp_path: Path) -> None:
    fake.faults.drop_connection = 1
    result = extract(llm_settings(tmp_path, fake.base_url), [invoice[1][0]])
    assert result.failure is None
    assert [c.error_code for c in result.calls] == ["disconnected", None]


def test_a_cut_page_is_sent_once_more_with_the_ceiling_never_doubled(
    fake: FakeVllmServer, invoice: Invoice, tmp_path: Path
) -> None:
    fake.faults.truncate = 1
    settings = llm_settings(tmp_path, fake.base_url)
    result = extract(settings, [invoice[1][0]])
    assert result.failure is None
    assert [(c.finish_reason, c.error_code) for c in result.calls] == [
        ("length", "truncated"),
        ("stop", None),
    ]
    first, second = fake.requests
    assert "max_tokens" not in first and "max_tokens" not in second  # deprecated in vLLM
    assert first["max_completion_tokens"] < settings.llm.max_tokens_ceiling
    assert second["max_completion_tokens"] == settings.llm.max_tokens_ceiling


def test_truncation_at_the_ceiling_fails_the_page(
    fake: FakeVllmServer, invoice: Invoice, tmp_path: Path
) -> None:
    settings = llm_settings(tmp_path, fake.base_url, llm={"max_tokens_ceiling": 256})
    result = extract(settings, [invoice[1][0]])  # page 1: header and rows, > 256 tokens
    assert result.failure is not None and result.failure.code == "truncated"
    (call,) = result.calls
    assert call.finish_reason == "length" and call.completion_tokens == 256
    assert fake.requests[0]["max_completion_tokens"] == 256


def test_a_whitespace_loop_fails_the_page_at_once_with_runaway_output(
    fake: FakeVllmServer, invoice: Invoice, tmp_path: Path
) -> None:
    fake.faults.whitespace_loop = True
    result = extract(llm_settings(tmp_path, fake.base_url), [invoice[1][0]])
    assert result.failure is not None and result.failure.code == "runaway_output"
    assert "disable_any_whitespace" in result.failure.message
    (call,) = result.calls  # no second request: at temperature 0 it would loop again
    budget = fake.requests[0]["max_completion_tokens"]
    assert call.finish_reason == "length" and call.completion_tokens == budget
    assert call.error_code == "runaway_output"


def test_a_cut_group_is_split_into_smaller_requests_each_sized_anew(
    fake: FakeVllmServer, invoice: Invoice, tmp_path: Path
) -> None:
    truth, _ = invoice
    pages = [image_page(n, scan_lines(truth)) for n in (4, 5, 6)]
    fake.faults.truncate = 1
    result = extract(llm_settings(tmp_path, fake.base_url), pages)
    assert result.failure is None and result.page_numbers == [4, 5, 6]
    assert [c.page_numbers for c in result.calls] == [[4, 5, 6], [4], [5, 6]]
    assert result.calls[0].error_code == "truncated"
    budgets = [body["max_completion_tokens"] for body in fake.requests]
    assert budgets[1] < budgets[2] < budgets[0]  # one page < two pages < three pages


def test_a_follow_up_past_the_documents_spending_ceiling_is_not_sent(
    fake: FakeVllmServer, invoice: Invoice, tmp_path: Path
) -> None:
    fake.faults.truncate = 1
    settings = llm_settings(tmp_path, fake.base_url)
    ceiling = SpendCeiling(completion_tokens=settings.llm.max_tokens_ceiling, usd=None)
    with spend_ceiling(ceiling):
        result = extract(settings, [invoice[1][0]])
    assert result.failure is not None and result.failure.code == "cost_overrun"
    assert "spending ceiling" in result.failure.message
    (call,) = result.calls  # the cut first answer; the retry at the ceiling was not sent
    assert fake.chat_count == 1
    assert ceiling.spent_completion_tokens == call.completion_tokens

    roomy = SpendCeiling(completion_tokens=10 * settings.llm.max_tokens_ceiling, usd=None)
    fake.faults.truncate = 1
    with spend_ceiling(roomy):
        again = extract(settings, [invoice[1][0]])
    assert again.failure is None and len(again.calls) == 2
    assert roomy.spent_completion_tokens == sum(c.completion_tokens or 0 for c in again.calls)


def test_invalid_json_gets_one_repair_turn(fake: FakeVllmServer, invoice: Invoice, tmp_path: Path) -> None:
    fake.faults.invalid_json = 1
    result = extract(llm_settings(tmp_path, fake.base_url), [invoice[1][0]])
    assert result.failure is None and result.fields["invoice_number"].value
    assert [c.error_code for c in result.calls] == ["invalid_output", None]
    repair = fake.requests[1]["messages"]
    assert repair[-2]["role"] == "assistant"
    assert repair[-1]["role"] == "user" and "not valid JSON" in repair[-1]["content"]


def test_a_schema_violation_shows_the_model_the_pydantic_error(
    fake: FakeVllmServer, invoice: Invoice, tmp_path: Path
) -> None:
    fake.faults.schema_violation = 1
    result = extract(llm_settings(tmp_path, fake.base_url), [invoice[1][0]])
    assert result.failure is None
    note = fake.requests[1]["messages"][-1]["content"]
    assert "comment" in note and "Extra inputs are not permitted" in note


def test_a_failed_repair_fails_the_page_with_invalid_output(
    fake: FakeVllmServer, invoice: Invoice, tmp_path: Path
) -> None:
    fake.faults.invalid_json = 2
    result = extract(llm_settings(tmp_path, fake.base_url), [invoice[1][0]])
    assert result.failure is not None and result.failure.code == "invalid_output"
    assert [c.error_code for c in result.calls] == ["invalid_output", "invalid_output"]


def test_confidence_comes_from_the_value_tokens_logprobs(
    fake: FakeVllmServer, invoice: Invoice, tmp_path: Path
) -> None:
    truth, pages = invoice
    fake.faults.value_logprobs = {truth.invoice_number: math.log(0.42)}
    result = extract(llm_settings(tmp_path, fake.base_url), [pages[0]])
    assert result.fields["invoice_number"].confidence == 0.42
    assert result.fields["customer_name"].confidence > 0.8


def test_without_logprobs_every_value_is_unknown_never_a_default(
    fake: FakeVllmServer, invoice: Invoice, tmp_path: Path
) -> None:
    fake.faults.no_logprobs = True
    result = extract(llm_settings(tmp_path, fake.base_url), [invoice[1][0]])
    assert result.fields and {f.confidence for f in result.fields.values()} == {None}
    assert all("confidence_unknown" in f.flags for f in result.fields.values())
    cells = [cell for rows in result.tables.values() for row in rows for cell in row.values()]
    assert cells and {c.confidence for c in cells} == {None}


NON_ASCII_PAGE = [
    "Lieferant: Müller & Söhne Café GmbH",
    "Anschrift: Königstraße 5, 80331 München",
    "Rechnungsnummer: RE-2025-0118",
    "Gesamtbetrag: 1.234,50 €",
]


@pytest.mark.parametrize(
    ("multibyte", "eos_token", "escape_json"),
    [
        ("whole", "<|eot|>", False),
        ("raw_bytes", None, False),
        ("replacement", "<|eot|>", False),
        ("context", "", False),
        ("byte_fallback", "<|eom|>", False),
        ("replacement", "<|eot|>", True),
    ],
)
def test_non_ascii_values_get_their_tokens_confidence(
    fake: FakeVllmServer, tmp_path: Path, multibyte: str, eos_token: str | None, escape_json: bool
) -> None:
    page = PreparedPage(page_number=1, text="\n".join(NON_ASCII_PAGE), route="text", text_quality="good")
    fake.faults.multibyte = multibyte  # type: ignore[assignment]
    fake.faults.eos_token = eos_token
    fake.faults.escape_json = escape_json
    fake.faults.value_logprobs = {"Söhne": math.log(0.83), "München": math.log(0.77)}
    # The generic schema: the fake answers each labelled value as printed.
    result = extract(llm_settings(tmp_path, fake.base_url), [page], "generic")
    assert result.failure is None
    supplier, address = result.fields["lieferant"], result.fields["anschrift"]
    assert supplier.value == "Müller & Söhne Café GmbH" and address.value == "Königstraße 5, 80331 München"
    assert (supplier.confidence, address.confidence) == (0.83, 0.77)
    assert not supplier.flags and not address.flags  # grounded, confidence known
    assert all(f.confidence is not None for f in result.fields.values())


def test_a_value_whose_tokens_do_not_line_up_is_unknown_the_others_known(
    fake: FakeVllmServer, invoice: Invoice, tmp_path: Path
) -> None:
    truth, pages = invoice
    fake.faults.token_ids_for = [truth.invoice_number]  # vLLM's --return-tokens-as-token-ids
    fake.faults.multibyte = "replacement"
    result = extract(llm_settings(tmp_path, fake.base_url), [pages[0]])
    number = result.fields["invoice_number"]
    assert number.value == truth.invoice_number
    assert number.confidence is None and "confidence_unknown" in number.flags
    others = [f for name, f in result.fields.items() if name != "invoice_number"]
    assert others and all(f.confidence is not None for f in others)


def test_a_value_not_in_the_page_text_is_flagged_ungrounded(
    fake: FakeVllmServer, invoice: Invoice, tmp_path: Path
) -> None:
    truth, pages = invoice
    invented = "INV-0000-0001"
    assert invented not in pages[0].text
    fake.faults.hallucinate = {truth.invoice_number: invented, truth.customer_name: "Initech Ltd"}
    result = extract(llm_settings(tmp_path, fake.base_url), [pages[0]])
    assert result.fields["customer_name"].value == "Initech Ltd"
    assert result.fields["customer_name"].flags == ["ungrounded"]
    # An essential value: the page text has a clear, different invoice number.
    number = result.fields["invoice_number"]
    assert number.value == invented and number.flags == ["disagreement"]
    assert f"witness:disagrees: model {invented}, page text {truth.invoice_number}" in number.evidence
    others = [f for k, f in result.fields.items() if k not in ("invoice_number", "customer_name")]
    assert others and all(not {"ungrounded", "disagreement"} & set(f.flags) for f in others)


def test_generic_schema_comes_back_as_free_form_fields(fake: FakeVllmServer, tmp_path: Path) -> None:
    day = dt.date(2025, 6, 30)
    lines = ["Order Reference: PO-77812", f"Delivery Date: {day:%d.%m.%Y}", "Carrier: Blue Van"]
    page = PreparedPage(page_number=2, text="\n".join(lines), route="text", text_quality="good")
    result = extract(llm_settings(tmp_path, fake.base_url), [page], "generic")
    assert result.failure is None
    assert result.fields["order_reference"].value == "PO-77812"
    assert result.fields["delivery_date"].value == day.isoformat()
    assert all(f.page == 2 and not f.flags for f in result.fields.values())
