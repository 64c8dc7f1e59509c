"""Does a confidence of 0.9 mean right nine times in ten? Reliability bins and their
expected calibration error (ECE).

Confidences are grouped into equal-width bins over [0, 1] (a confidence on a boundary goes
to the upper bin; 1.0 to the last). ECE is the count-weighted mean gap between each bin's
mean confidence and its observed accuracy: 0 is perfectly calibrated.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel

DEFAULT_BINS = 10


class CalibrationBin(BaseModel):
    """One confidence interval [lower, upper) and what was observed in it."""

    lower: float
    upper: float
    count: int
    mean_confidence: float | None
    accuracy: float | None


def _bin_index(confidence: float, bins: int) -> int:
    # round() first: 0.7 * 10 is 7.000000000000001 and 0.3 * 10 must not fall to bin 2.
    return min(int(round(confidence * bins, 9)), bins - 1)


def calibration_table(pairs: Iterable[tuple[float, bool]], bins: int = DEFAULT_BINS) -> list[CalibrationBin]:
    """Bin (confidence, correct) pairs into ``bins`` equal-width intervals of [0, 1]."""
    if bins < 1:
        raise ValueError("bins must be at least 1")
    counts = [0] * bins
    confidence_sums = [0.0] * bins
    correct = [0] * bins
    for confidence, right in pairs:
        if not 0.0 <= confidence <= 1.0:
            raise ValueError(f"confidence {confidence} is outside [0, 1]")
        i = _bin_index(confidence, bins)
        counts[i] += 1
        confidence_sums[i] += confidence
        correct[i] += int(right)
    return [
        CalibrationBin(
            lower=round(i / bins, 6),
            upper=round((i + 1) / bins, 6),
            count=counts[i],
            mean_confidence=confidence_sums[i] / counts[i] if counts[i] else None,
            accuracy=correct[i] / counts[i] if counts[i] else None,
        )
        for i in range(bins)
    ]


def expected_calibration_error(table: list[CalibrationBin]) -> float | None:
    """Count-weighted mean of |accuracy - mean confidence| over the bins; None when empty."""
    total = sum(b.count for b in table)
    if total == 0:
        return None
    return sum(
        b.count / total * abs((b.accuracy or 0.0) - (b.mean_confidence or 0.0)) for b in table if b.count
    )
