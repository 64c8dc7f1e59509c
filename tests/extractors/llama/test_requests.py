"""Completion budgets sized from the schema and the pages: the filled answer the budget is
measured on is a valid answer, the budget grows with the rows a page holds and with the
margin, and it is capped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractors.llama.requests import build_request, filled_answer, size_completion_budget
from extractors.tokens import estimate_answer_tokens
from models.page import PreparedPage
from models.schemas import get_schema
from tests.extractors.llama.conftest import image_page, llm_settings
from tests.fakes.vllm_model import count_tokens


def text_page(number: int, rows: int) -> PreparedPage:
    lines = ["ACME Supplies", "Invoice Number: INV-1"] + [f"Item {i}  2  10.00  20.00" for i in range(rows)]
    return PreparedPage(page_number=number, text="\n".join(lines), route="text", text_quality="good")


@pytest.mark.parametrize("schema_name", ["invoice", "receipt", "generic"])
def test_the_filled_answer_is_an_answer_the_schema_accepts(schema_name: str) -> None:
    schema = get_schema(schema_name)
    one = filled_answer(schema, [text_page(1, 3)])
    group = filled_answer(schema, [image_page(2, ["x"]), image_page(3, ["y"])])
    assert set(group) == {"page_2", "page_3"}
    for answer in (one, group["page_2"]):
        if schema.free_form:
            assert answer["fields"] and answer["tables"] == []
        else:
            schema.validate_values(answer)


def test_the_budget_is_the_measured_answer_times_the_margin_capped() -> None:
    schema = get_schema("invoice")
    pages = [text_page(1, 12)]
    measured = estimate_answer_tokens(json.dumps(filled_answer(schema, pages), ensure_ascii=False))
    assert size_completion_budget(schema, pages, margin=1.0, ceiling=100_000) == measured
    assert size_completion_budget(schema, pages, margin=1.5, ceiling=100_000) == -(-measured * 3 // 2)
    assert size_completion_budget(schema, pages, margin=1.5, ceiling=300) == 300


def test_more_rows_and_more_pages_get_a_bigger_budget(tmp_path: Path) -> None:
    settings = llm_settings(tmp_path, "http://x/v1")
    schema = get_schema("invoice")
    budgets = [
        build_request([text_page(1, rows)], schema, settings=settings).max_completion_tokens
        for rows in (0, 10, 40)
    ]
    assert budgets[0] < budgets[1] < budgets[2]
    one, three = (
        build_request([image_page(n, ["x"]) for n in range(1, k + 1)], schema, settings=settings)
        for k in (1, 3)
    )
    assert one.max_completion_tokens < three.max_completion_tokens


def test_the_estimate_counts_at_least_the_fakes_tokens() -> None:
    # The fake splits words into pieces of four and every punctuation mark apart; the
    # estimate must not come in under it, or the fake would cut healthy answers.
    schema = get_schema("invoice")
    for rows in (0, 5, 30):
        text = json.dumps(filled_answer(schema, [text_page(1, rows)]))
        assert estimate_answer_tokens(text) >= count_tokens(text)
