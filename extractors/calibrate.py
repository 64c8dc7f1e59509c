"""The calibrate step (after merge, before the checks): every single field's confidence
becomes the probability, measured on labelled documents, that its value is right.

The engine's raw score stays in the field's evidence (``raw_confidence 0.9312``), so a person
sees both and a refit (``bench/calibrate.py``) reads the raw score back. A passed amount
check is added to the evidence of the fields it involves (``check:totals_agree``) before the
map is applied: agreement between independently read amounts is the strongest sign that
they were read right, and a calibration may give such values their own group. So may values
read from a text layer rather than OCR (``source:text_layer``): their characters are exact.

Unknown confidence (``None``) stays unknown: no map turns nothing into a probability.
Table cells keep the engine's score: golden sets score tables by rows, not by cells, so
there is nothing to fit them on (and no cell is essential to the done rule).
"""

from __future__ import annotations

from collections.abc import Collection

from extractors.checks import amount_checks
from models.calibration import RAW_CONFIDENCE, Calibration, evidence_word, raw_evidence, raw_from_evidence
from models.extraction import DocumentExtraction, ExtractedField
from models.schemas import ExtractionSchema

# The kind a free-form (``generic``) field is grouped under: its keys are the page's labels.
FREE_FORM_KIND = "free_form"
# Evidence of a value read from a page's text layer, not OCR: its characters are exact, so a
# calibration may give such values a group of their own.
TEXT_LAYER = "source:text_layer"


def _with_evidence(found: ExtractedField, entries: list[str]) -> list[str]:
    known = set(found.evidence)
    return [*found.evidence, *(e for e in entries if e not in known)]


def calibrate_extraction(
    extraction: DocumentExtraction,
    schema: ExtractionSchema,
    calibration: Calibration,
    *,
    text_layer_pages: Collection[int] = (),
) -> DocumentExtraction:
    """``extraction`` with calibrated field confidences (idempotent: a calibrated field is
    recalibrated from the raw score its evidence kept). ``text_layer_pages`` are the pages
    read from their text layer alone: their fields get the evidence ``source:text_layer``."""
    kinds = {spec.name: spec.kind.value for spec in schema.fields}
    added: dict[str, list[str]] = {}
    for name, found in extraction.fields.items():
        if found.page is not None and found.page in text_layer_pages:
            added.setdefault(name, []).append(TEXT_LAYER)
    for check in amount_checks(extraction, schema):
        if check.passed:
            for name in check.fields:
                added.setdefault(name, []).append(check.evidence)
    fields: dict[str, ExtractedField] = {}
    for name, found in extraction.fields.items():
        evidence = _with_evidence(found, added.get(name, []))
        raw = raw_from_evidence(found.evidence)
        if raw is None:
            raw = found.confidence
        if raw is None:
            fields[name] = found.model_copy(update={"evidence": evidence})
            continue
        probability = calibration.probability(
            raw,
            field=name,
            kind=kinds.get(name, FREE_FORM_KIND),
            method=found.method,
            evidence=evidence,
        )
        kept = [e for e in evidence if evidence_word(e) != RAW_CONFIDENCE]
        fields[name] = found.model_copy(
            update={"confidence": probability, "evidence": [*kept, raw_evidence(raw)]}
        )
    return extraction.model_copy(update={"fields": fields})
