"""Calibrated confidence: an engine's raw field score turned into the probability that the
value is right, and the rule that says when a document's essential fields are sure enough to
end ``done``.

A :class:`Calibration` belongs to one engine. It holds monotone maps (raw score ->
probability) fitted on labelled documents for groups of fields: ``(field, method)``, backing
off to ``(kind, method)``, ``(kind)`` and finally all fields when a group had too few
labelled values to be fitted on its own. ``method`` is how the engine found the value
(``ExtractedField.method``), optionally refined by evidence tags the calibration names
(``repaired``, ``check:totals_agree``, ...; a value with none of them is a group too), so a
value found by a weak rule or repaired from OCR digits earns less than one read after its
label.

The data lives in ``models/data/calibration-<engine>.json`` (``bench/calibrate.py`` writes
it); :func:`load_calibration` reads it when called, never at import. Its ``version`` is a
hash of everything that changes results (maps, tags, done rule), and goes into every
extraction's fingerprint. An engine that cannot be fitted here ships an explicit identity
calibration (``fitted: false``) whose version says so.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import json
import math
from collections.abc import Sequence
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.errors import ConfigurationError

FORMAT = 1
# The catch-all group every fitted calibration has.
GLOBAL_GROUP = "*"
# Written where a field has no method, so the group key stays a plain string.
NO_METHOD = "none"
# The evidence entry that keeps an engine's raw score once ``confidence`` is calibrated:
# "raw_confidence 0.9312". Refitting reads it back, so a calibrated run can be refitted.
RAW_CONFIDENCE = "raw_confidence"
# Review-flag codes that follow from confidence and the done rule; every other code (missing,
# inconsistent, implausible_date, invalid, conflict, ungrounded, ...) is independent of the
# calibration, which is what lets a refit replay the done rule on stored results.
CONFIDENCE_FLAG_CODES = frozenset({"low_confidence", "unknown_confidence", "uncertain"})
# A field flag or evidence word saying that a second witness (the page's own text or OCR)
# states the value: the one way a value of unknown confidence may clear the done rule.
WITNESS_AGREES = "witness:agrees"


class MonotoneMap(BaseModel):
    """Raw score -> probability: straight lines between points whose raw scores and
    probabilities both never decrease; flat before the first point and after the last."""

    model_config = ConfigDict(frozen=True)

    raw: tuple[float, ...] = Field(min_length=1, description="Raw scores, non-decreasing.")
    probability: tuple[float, ...] = Field(min_length=1, description="Probabilities, non-decreasing.")
    seen_from: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="The lowest raw score among the labelled values the map was fitted on. A "
        "score below it is beyond the evidence: its probability falls in proportion (the first "
        "point's probability x score / seen_from) instead of staying flat. None: flat.",
    )

    @model_validator(mode="after")
    def _monotone(self) -> MonotoneMap:
        if len(self.raw) != len(self.probability):
            raise ValueError("raw and probability must have the same length")
        for seq, what in ((self.raw, "raw scores"), (self.probability, "probabilities")):
            if any(b < a for a, b in zip(seq, seq[1:], strict=False)):
                raise ValueError(f"{what} must not decrease")
        if not all(0.0 <= p <= 1.0 for p in self.probability):
            raise ValueError("probabilities must lie in [0, 1]")
        return self

    def __call__(self, score: float) -> float:
        """The probability for raw ``score`` (interpolated between the fitted points)."""
        xs, ys = self.raw, self.probability
        if self.seen_from and score < self.seen_from:
            # A value scored lower than anything the group was fitted on (a method seen too
            # rarely to have a group of its own, backed off to its kind) earns no more than
            # its score says: never the group's confidence carried flat past its evidence.
            return ys[0] * max(0.0, score) / self.seen_from
        if score <= xs[0]:
            return ys[0]
        if score >= xs[-1]:
            return ys[-1]
        i = bisect.bisect_right(xs, score)
        x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
        if x1 == x0:
            return y1
        return y0 + (y1 - y0) * (score - x0) / (x1 - x0)


class CalibrationGroup(BaseModel):
    """One fitted group: how many labelled values it had, how many were right, and its map."""

    model_config = ConfigDict(frozen=True)

    count: int = Field(ge=0)
    accuracy: float = Field(ge=0.0, le=1.0)
    map: MonotoneMap


class DoneRule(BaseModel):
    """When a document's essential fields are confident enough to end ``done``.

    ``combine`` says what is compared with ``threshold``: ``min`` the least probability of
    the essential fields, ``product`` their product (the probability that all of them are
    right, if their errors are independent). ``field_threshold`` is the bar for a single
    field where no essential-field rule applies: a schema without essential fields (every
    present field must clear it) and the visible note on a weak non-essential field.
    """

    model_config = ConfigDict(frozen=True)

    combine: Literal["min", "product"] = "min"
    threshold: float = Field(ge=0.0, le=1.0)
    field_threshold: float = Field(ge=0.0, le=1.0)
    target_precision: float | None = Field(
        None, ge=0.0, le=1.0, description="The cross-validated done precision the threshold was chosen for."
    )


class Calibration(BaseModel):
    """An engine's calibration: fitted groups, evidence tags, the done rule, and the figures
    they were chosen from (``figures`` is a record for people; it does not change results)."""

    model_config = ConfigDict(frozen=True)

    format: int = FORMAT
    engine: str
    version: str
    fitted: bool = Field(description="False: an identity map that was never measured.")
    note: str = ""
    evidence_tags: tuple[str, ...] = Field(
        (),
        description="Evidence entries (by their first word) that refine a field's method "
        "into its own group, e.g. 'repaired' for digits repaired from OCR.",
    )
    groups: dict[str, CalibrationGroup] = Field(default_factory=dict)
    rare_methods: Literal["pooled", "raw"] = Field(
        "pooled",
        description="A value whose method has no fitted group of its own (too few labelled "
        "values of it) backs off to its kind's or the global group, fitted on other methods: "
        "'raw' caps it at its raw score when that lies below the group's first fitted point, so "
        "a weak reading by a rarely seen way of finding a value never borrows the confidence "
        "of the usual ones; 'pooled' takes the group's map as it is.",
    )
    done: DoneRule = Field(description="The done rule of a schema without a rule of its own.")
    done_by_schema: dict[str, DoneRule] = Field(
        default_factory=dict,
        description="Done rules chosen on a schema's own golden sets (e.g. receipt, invoice).",
    )
    figures: dict[str, Any] = Field(default_factory=dict)

    def rule_for(self, schema: str) -> DoneRule:
        """The done rule for documents of ``schema``."""
        return self.done_by_schema.get(schema, self.done)

    @property
    def identity(self) -> bool:
        """True when raw scores pass through unchanged (no fitted group)."""
        return not self.groups

    def group_key(
        self, *, field: str, kind: str, method: str | None, evidence: Sequence[str] = ()
    ) -> str | None:
        """The most specific fitted group for a field, or None for an identity calibration."""
        tags = self.tags_of(evidence) if self.evidence_tags else None
        for key in group_keys(field=field, kind=kind, method=method, tags=tags):
            if key in self.groups:
                return key
        return None

    def tags_of(self, evidence: Sequence[str]) -> tuple[str, ...]:
        """The calibration's evidence tags present in ``evidence``, in the calibration's order."""
        return present_tags(evidence, self.evidence_tags)

    def probability(
        self, raw: float, *, field: str, kind: str, method: str | None, evidence: Sequence[str] = ()
    ) -> float:
        """The calibrated probability that a value with raw score ``raw`` is right."""
        key = self.group_key(field=field, kind=kind, method=method, evidence=evidence)
        if key is None:
            return raw
        group = self.groups[key]
        probability = group.map(raw)
        if self.rare_methods == "raw" and "method=" not in key and raw < group.map.raw[0]:
            probability = min(probability, raw)
        return round(probability, 4)

    def behaviour_hash(self) -> str:
        """sha256 (12 hex digits) of what changes results: format, engine, fitted flag, tags,
        groups and the done rules. Not the figures or the note."""
        payload = self.model_dump(
            mode="json",
            include={
                "format",
                "engine",
                "fitted",
                "evidence_tags",
                "groups",
                "rare_methods",
                "done",
                "done_by_schema",
            },
        )
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]

    def with_content_version(self) -> Calibration:
        """This calibration with ``version`` = ``<engine>-<behaviour hash>``."""
        return self.model_copy(update={"version": f"{self.engine}-{self.behaviour_hash()}"})


def evidence_word(item: str) -> str:
    """The first word of an evidence entry ('repaired 6413 -> 64.13' -> 'repaired')."""
    head = item.strip().split(maxsplit=1)
    return head[0].rstrip(":").casefold() if head else ""


def present_tags(evidence: Sequence[str], tags: Sequence[str]) -> tuple[str, ...]:
    """The ``tags`` that start an entry of ``evidence``, in the order of ``tags``."""
    words = {evidence_word(item) for item in evidence}
    return tuple(tag for tag in tags if tag in words)


def group_keys(*, field: str, kind: str, method: str | None, tags: Sequence[str] | None = None) -> list[str]:
    """The groups a field belongs to, most specific first: (field, method, tags),
    (field, method), (kind, method, tags), (kind, method), (kind), all fields.

    ``tags`` is None when the calibration names no evidence tags (no tag level at all); an
    empty tuple is a value with none of them, which is a group of its own.
    """
    plain = method or NO_METHOD
    keys = []
    if tags is not None:
        keys.append(f"field={field}|method={plain}|tags={'+'.join(tags)}")
    keys.append(f"field={field}|method={plain}")
    if tags is not None:
        keys.append(f"kind={kind}|method={plain}|tags={'+'.join(tags)}")
    keys.extend([f"kind={kind}|method={plain}", f"kind={kind}", GLOBAL_GROUP])
    return keys


def combine_probabilities(probabilities: Sequence[float], how: Literal["min", "product"]) -> float:
    """The essential fields' probabilities combined as the done rule says (1.0 for none)."""
    if not probabilities:
        return 1.0
    if how == "min":
        return min(probabilities)
    return math.prod(probabilities)


def raw_evidence(raw: float) -> str:
    """The evidence entry that records a raw score."""
    return f"{RAW_CONFIDENCE} {raw:.4f}"


def raw_from_evidence(evidence: Sequence[str]) -> float | None:
    """The raw score a calibrated field recorded in its evidence, if any."""
    for item in evidence:
        if evidence_word(item) == RAW_CONFIDENCE:
            try:
                return float(item.split()[1])
            except (IndexError, ValueError):
                return None
    return None


def flag_code(flag: str) -> str:
    """The code of a review flag ('low_confidence: total_amount (0.41 < 0.83)' -> 'low_confidence')."""
    return flag.split(":", 1)[0].strip()


def calibration_from_json(text: str) -> Calibration:
    """A calibration from its JSON text (the format ``bench/calibrate.py`` writes)."""
    return Calibration.model_validate_json(text)


@functools.cache
def load_calibration(engine: str) -> Calibration:
    """The packaged calibration of ``engine`` (``models/data/calibration-<engine>.json``),
    read once per process (it is data shipped with the code, and immutable).

    An engine without one is a ConfigurationError: its confidences would be numbers no one
    measured, and ``done`` would be a promise no one can keep.
    """
    resource = resources.files("models").joinpath("data", f"calibration-{engine}.json")
    if not resource.is_file():
        raise ConfigurationError(
            f"no calibration for engine {engine!r} (models/data/calibration-{engine}.json)",
            code="calibration",
        )
    try:
        calibration = calibration_from_json(resource.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ConfigurationError(
            f"calibration-{engine}.json is malformed: {exc}", code="calibration"
        ) from None
    if calibration.engine != engine:
        raise ConfigurationError(
            f"calibration-{engine}.json is for engine {calibration.engine!r}", code="calibration"
        )
    return calibration
