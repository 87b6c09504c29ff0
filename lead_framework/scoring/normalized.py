"""Normalized Driving Score (NDS), the long-route score of carla_garage/LEAD.

On long routes the product of per-event coefficients collapses to ~0, so NDS makes the penalty
depend on infractions per km instead of their count:

    p' = 0.2 * p                       for each fixed coefficient p
    IS_norm = prod_types p' ** (count / km_driven)
              x prod over min-speed events (1 - 0.3 * (1 - pct/100))
              x prod over outside-lanes events (1 - pct/100)
    NDS = RC * IS_norm

A route with 0 km driven gets no per-km factor (as in the reference script); route-ending events
carry no coefficient. Global NDS and IS_norm are means over the expected routes, missing = 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import attrs

from lead_framework.scoring.aggregate import expected_route_count, route_km_driven
from lead_framework.scoring.messages import event_percentage
from lead_framework.scoring.penalties import (
    PENALTY_COEFFICIENTS,
    min_speed_factor,
    outside_lanes_factor,
)
from lead_framework.scoring.record import RouteRecord

NORMALIZATION_SCALE = 0.2


@attrs.frozen
class NormalizedScore:
    """NDS (0-100) and IS_norm (0-1), for one route or averaged over a benchmark."""

    nds: float
    is_norm: float


def normalized_penalty(record: RouteRecord, *, min_speed_penalty: bool = True) -> float:
    """IS_norm of one route."""
    driven = route_km_driven(record)
    counts = Counter(event.key for event in record.infractions)
    penalty = 1.0
    if driven > 0.0:
        for key, coefficient in PENALTY_COEFFICIENTS.items():
            penalty *= (NORMALIZATION_SCALE * coefficient) ** (counts[key] / driven)
    for event in record.infractions:
        if event.key == "min_speed_infractions" and min_speed_penalty:
            penalty *= min_speed_factor(event_percentage(event))
        elif event.key == "outside_route_lanes":
            penalty *= outside_lanes_factor(event_percentage(event))
    return penalty


def normalized_score(record: RouteRecord, *, min_speed_penalty: bool = True) -> NormalizedScore:
    """NDS = RC x IS_norm of one route."""
    penalty = normalized_penalty(record, min_speed_penalty=min_speed_penalty)
    return NormalizedScore(nds=record.score_route * penalty, is_norm=penalty)


def global_normalized_score(
    records: Sequence[RouteRecord],
    *,
    expected: int | Sequence[str] | None = None,
    min_speed_penalty: bool = True,
) -> NormalizedScore:
    """Means of per-route NDS and IS_norm over the expected routes (missing routes count 0)."""
    total = expected_route_count(records, expected)
    if total == 0:
        return NormalizedScore(nds=0.0, is_norm=0.0)
    scores = [normalized_score(record, min_speed_penalty=min_speed_penalty) for record in records]
    return NormalizedScore(
        nds=sum(score.nds for score in scores) / total,
        is_norm=sum(score.is_norm for score in scores) / total,
    )
