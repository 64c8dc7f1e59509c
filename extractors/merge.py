"""Pages to one document: tables concatenated in page order, single values from the page
that states them, disagreements flagged for review."""

from __future__ import annotations

from collections.abc import Sequence

from models.extraction import DocumentExtraction, ExtractedField, PageExtraction, PageFailure
from models.schemas import ExtractionSchema

CONFLICT = "conflict"


def _same_value(a: ExtractedField, b: ExtractedField) -> bool:
    if isinstance(a.value, str) and isinstance(b.value, str):
        return a.value.strip().casefold() == b.value.strip().casefold()
    return a.value == b.value


def merge_pages(
    results: Sequence[PageExtraction],
    *,
    schema: ExtractionSchema,
    engine: str,
    model: str | None,
    prepare_failures: Sequence[PageFailure] = (),
) -> DocumentExtraction:
    """Merge per-page results (any order) into one ``DocumentExtraction``.

    A single-valued field keeps the value of the earliest page that states it; if a later
    page states a different value, the kept field gets a ``conflict`` flag and the document a
    review flag naming both pages. Table rows are concatenated in page order.
    """
    ordered = sorted(results, key=lambda r: min(r.page_numbers) if r.page_numbers else 0)
    fields: dict[str, ExtractedField] = {}
    tables: dict[str, list] = {}
    review_flags: list[str] = []
    failures = list(prepare_failures)
    calls = []
    for result in ordered:
        calls.extend(result.calls)
        if result.failure is not None:
            # One failed call fails every page it carried (an image group of up to five).
            failures.extend(
                result.failure.model_copy(update={"page_number": number})
                for number in (result.page_numbers or [result.failure.page_number])
            )
            continue
        for name, found in result.fields.items():
            if found.value is None:
                continue
            kept = fields.get(name)
            if kept is None:
                fields[name] = found
            elif not _same_value(kept, found):
                if CONFLICT not in kept.flags:
                    fields[name] = kept.model_copy(update={"flags": [*kept.flags, CONFLICT]})
                review_flags.append(
                    f"conflict: {name} is {kept.value!r} on page {kept.page} "
                    f"but {found.value!r} on page {found.page}"
                )
        for name, rows in result.tables.items():
            tables.setdefault(name, []).extend(rows)
    failures.sort(key=lambda f: f.page_number)
    return DocumentExtraction(
        schema_name=schema.name,
        schema_version=schema.version,
        engine=engine,
        model=model,
        fields=fields,
        tables=tables,
        page_failures=failures,
        review_flags=review_flags,
        calls=calls,
    )
