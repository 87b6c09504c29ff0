"""Fail2Drive metrics: DS, Success Rate, their harmonic mean (HM), and the relative change from the
``Base`` to the ``Generalization`` split per scenario and per scenario class.

Units: DS and SR are both 0-100, so HM is 0-100. Success = no infraction except min-speed and
outside-lanes (no completion condition). Route ids name their split and scenario:
``Base_Animals_0075`` / ``Generalization_Animals_0175`` (an ``.xml`` suffix is accepted;
``TwoWays`` is stripped from the scenario name, as the Fail2Drive parser does). Means are over the
routes with a record; routes listed in ``expected`` without a record count as DS 0 and failure.
The relative change is ``100 * gen / base - 100`` (negative = a drop), None when base is 0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import attrs

from lead_framework.scoring.errors import ScoringError
from lead_framework.scoring.record import RouteRecord

SPLITS: tuple[str, str] = ("Base", "Generalization")
SUCCESS_IGNORED_KEYS = frozenset({"min_speed_infractions", "outside_route_lanes"})
ROUTE_NAME_RE = re.compile(r"^(Base|Generalization)_(.+)_(\d+)(?:\.xml)?$")

#: Scenario class -> scenarios.
SCENARIO_CLASSES: dict[str, tuple[str, ...]] = {
    "Visual-lon": ("ObscuredStop", "HardBrake", "RightOfWay", "Animals", "PedestrianOtherBlocker"),
    "Visual-lat": ("BadParking", "ConstructionPermutations", "CustomObstacles"),
    "Behavior": ("ConstructionPedestrian", "Wall", "FullyBlocked", "PedestriansOnRoad"),
    "Robustness": ("RightConstruction", "OppositeConstruction", "ImageOnObject", "PassableObstacles", "PedestrianCrowd"),
}
CLASS_OF_SCENARIO: dict[str, str] = {s: c for c, scenarios in SCENARIO_CLASSES.items() for s in scenarios}


def is_success(record: RouteRecord) -> bool:
    """No infraction other than min-speed and outside-lanes."""
    return all(event.key in SUCCESS_IGNORED_KEYS for event in record.infractions)


def harmonic_mean(driving_score: float, success_rate: float) -> float:
    """HM = 2 / (1/DS + 1/SR), both 0-100; 0 when either is 0."""
    if driving_score < 0 or success_rate < 0:
        raise ScoringError(f"harmonic_mean needs DS >= 0 and SR >= 0, got DS={driving_score}, SR={success_rate}")
    if driving_score == 0 or success_rate == 0:
        return 0.0
    return 2.0 / (1.0 / driving_score + 1.0 / success_rate)


def relative_change_pct(generalization: float, base: float) -> float | None:
    """``100 * gen / base - 100``; None when base is 0."""
    return None if base == 0 else 100.0 * generalization / base - 100.0


def parse_route_name(route_id: str) -> tuple[str, str]:
    """(split, scenario) of a Fail2Drive route id such as ``Base_Animals_0075``."""
    match = ROUTE_NAME_RE.match(route_id)
    if match is None:
        raise ScoringError(
            f"route id {route_id!r} is not a Fail2Drive name; expected <Base|Generalization>_<Scenario>_<number>"
        )
    split, scenario, _ = match.groups()
    return split, scenario.replace("TwoWays", "")


@attrs.frozen
class SplitScore:
    """DS, SR and HM (all 0-100) of a group of routes."""

    driving_score: float
    success_rate: float
    harmonic_mean: float
    routes: int


@attrs.frozen
class GroupComparison:
    """One scenario or class: its Base and Generalization scores and the relative changes."""

    name: str
    base: SplitScore
    generalization: SplitScore

    def change_pct(self, metric: str) -> float | None:
        """Relative change of ``driving_score``, ``success_rate`` or ``harmonic_mean``."""
        return relative_change_pct(getattr(self.generalization, metric), getattr(self.base, metric))


@attrs.frozen
class Fail2DriveSummary:
    """Per split totals and per scenario / per class comparisons (groups lacking a split are left out)."""

    base: SplitScore
    generalization: SplitScore
    scenarios: list[GroupComparison]
    classes: list[GroupComparison]

    def as_columns(self) -> dict[str, float | None]:
        """Flat name -> value mapping for results tables."""
        return {
            "Base DS": self.base.driving_score,
            "Base SR": self.base.success_rate,
            "Base HM": self.base.harmonic_mean,
            "Gen DS": self.generalization.driving_score,
            "Gen SR": self.generalization.success_rate,
            "Gen HM": self.generalization.harmonic_mean,
            "HM change %": relative_change_pct(self.generalization.harmonic_mean, self.base.harmonic_mean),
        }


def split_score(scores: Iterable[tuple[float, bool]]) -> SplitScore:
    """Mean DS, SR (percent) and their HM over (DS, success) pairs; zeros when empty."""
    pairs = list(scores)
    if not pairs:
        return SplitScore(0.0, 0.0, 0.0, 0)
    ds = sum(d for d, _ in pairs) / len(pairs)
    sr = 100.0 * sum(s for _, s in pairs) / len(pairs)
    return SplitScore(ds, sr, harmonic_mean(ds, sr), len(pairs))


def _compare(name: str, rows: list[tuple[str, float, bool]]) -> GroupComparison | None:
    by_split = {split: [(d, s) for sp, d, s in rows if sp == split] for split in SPLITS}
    if not by_split["Base"] or not by_split["Generalization"]:
        return None
    return GroupComparison(name, split_score(by_split["Base"]), split_score(by_split["Generalization"]))


def summarize(records: Sequence[RouteRecord], *, expected: Sequence[str] | None = None) -> Fail2DriveSummary:
    """Fail2Drive figures of a run; ``expected`` lists every route id of the benchmark."""
    rows: list[tuple[str, str, float, bool]] = []  # (split, scenario, DS, success)
    present = set()
    for record in records:
        if record.route_id in present:
            raise ScoringError(f"route {record.route_id!r} has two records; keep one record per route")
        present.add(record.route_id)
        split, scenario = parse_route_name(record.route_id)
        rows.append((split, scenario, record.score_composed, is_success(record)))
    if expected is not None:
        unknown = sorted(present - set(expected))
        if unknown:
            raise ScoringError(f"records for routes not in the expected list: {unknown[:5]}")
        for route_id in sorted(set(expected) - present):
            split, scenario = parse_route_name(route_id)
            rows.append((split, scenario, 0.0, False))
    scenarios = sorted({scenario for _, scenario, _, _ in rows})
    unknown_scenarios = [s for s in scenarios if s not in CLASS_OF_SCENARIO]
    if unknown_scenarios:
        raise ScoringError(f"unknown Fail2Drive scenarios {unknown_scenarios}; known: {sorted(CLASS_OF_SCENARIO)}")
    per_scenario = [_compare(s, [(sp, d, ok) for sp, sc, d, ok in rows if sc == s]) for s in scenarios]
    per_class = [
        _compare(c, [(sp, d, ok) for sp, sc, d, ok in rows if CLASS_OF_SCENARIO[sc] == c]) for c in SCENARIO_CLASSES
    ]
    return Fail2DriveSummary(
        base=split_score((d, ok) for sp, _, d, ok in rows if sp == "Base"),
        generalization=split_score((d, ok) for sp, _, d, ok in rows if sp == "Generalization"),
        scenarios=[c for c in per_scenario if c is not None],
        classes=[c for c in per_class if c is not None],
    )
