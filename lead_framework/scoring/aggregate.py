"""Global results over a benchmark, laid out as the Leaderboard 2.0 results JSON.

Layout (``statistics_manager.Results.to_json`` of the ``leaderboard-2.0`` branch)::

    {"_checkpoint": {"global_record": {...}, "progress": [done, total], "records": [...]},
     "entry_status": "Finished", "eligible": true, "sensors": [...],
     "values": ["<DS>", "<RC>", "<IS>", ...], "labels": ["Avg. driving score", ...]}

Choices, all documented where they differ from (or go beyond) the official code:

* DS, RC and IS are means of per-route values over the *expected* routes; a route without a
  record counts 0 (the official code divides by the total route count, with the same effect).
  Global DS is the mean of per-route products, not mean RC x mean IS.
* The standard deviations are taken over the expected routes with missing ones as 0 (the
  official code sums only over present records but divides by ``total - 1``).
* Infractions are per km driven, km driven = sum of ``route_length_km * RC / 100`` (at least
  0.001 km, as official). ``outside_route_lanes`` is the exception, as official: it is the total
  km driven outside the route lanes (summed over events; the official code reads only the first
  event of a route, and a route has at most one).
* ``progress`` is ``[routes with a record, expected routes]``; ``entry_status`` is ``Started``
  while routes are missing, else ``Crashed``/``Rejected``/``Finished`` from the route statuses.
* A record's non-empty ``extra`` dict is written under the record key ``"extra"`` (the
  leaderboard ignores unknown record keys; Bench2Drive adds keys the same way).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from lead_framework.scoring.errors import ResultsFileError, ScoringError
from lead_framework.scoring.messages import (
    infraction_from_message,
    parse_outside_lanes_metres,
)
from lead_framework.scoring.record import INFRACTION_KEYS, RouteRecord
from lead_framework.scoring.status import (
    ELIGIBLE_BY_ENTRY_STATUS,
    STATUS_PERFECT,
    entry_status_of,
    is_failed,
)

SCORE_KEYS: tuple[str, ...] = ("score_composed", "score_route", "score_penalty")
MEAN_DIGITS = 6
STD_DIGITS = 3
INFRACTION_DIGITS = 3
MIN_KM_DRIVEN = 0.001

#: (label, source) pairs of the results file's ``labels``/``values``, in the official order.
VALUE_LABELS: tuple[tuple[str, str], ...] = (
    ("Avg. driving score", "score_composed"),
    ("Avg. route completion", "score_route"),
    ("Avg. infraction penalty", "score_penalty"),
    ("Collisions with pedestrians", "collisions_pedestrian"),
    ("Collisions with vehicles", "collisions_vehicle"),
    ("Collisions with layout", "collisions_layout"),
    ("Red lights infractions", "red_light"),
    ("Stop sign infractions", "stop_infraction"),
    ("Off-road infractions", "outside_route_lanes"),
    ("Route deviations", "route_dev"),
    ("Route timeouts", "route_timeout"),
    ("Agent blocked", "vehicle_blocked"),
    ("Yield emergency vehicles infractions", "yield_emergency_vehicle_infractions"),
    ("Scenario timeouts", "scenario_timeouts"),
    ("Min speed infractions", "min_speed_infractions"),
)


@attrs.define
class GlobalRecord:
    """``_checkpoint.global_record``: means, standard deviations, infractions per km, meta."""

    status: str = STATUS_PERFECT
    infractions: dict[str, float] = attrs.field(factory=lambda: {key: 0.0 for key in INFRACTION_KEYS})
    scores_mean: dict[str, float] = attrs.field(factory=lambda: {key: 0.0 for key in SCORE_KEYS})
    scores_std_dev: dict[str, float] = attrs.field(factory=lambda: {key: 0.0 for key in SCORE_KEYS})
    total_length_m: float = 0.0
    duration_game_s: float = 0.0
    duration_system_s: float = 0.0
    exceptions: list[tuple[str, int, str]] = attrs.field(factory=list)

    @property
    def driving_score(self) -> float:
        return self.scores_mean["score_composed"]

    @property
    def route_completion(self) -> float:
        return self.scores_mean["score_route"]

    @property
    def infraction_score(self) -> float:
        return self.scores_mean["score_penalty"]

    def to_json(self) -> dict[str, Any]:
        return {
            "index": -1,
            "route_id": -1,
            "status": self.status,
            "infractions": dict(self.infractions),
            "scores_mean": dict(self.scores_mean),
            "scores_std_dev": dict(self.scores_std_dev),
            "meta": {
                "total_length": self.total_length_m,
                "duration_game": self.duration_game_s,
                "duration_system": self.duration_system_s,
                "exceptions": [list(item) for item in self.exceptions],
            },
        }


@attrs.define
class Results:
    """A whole results file: route records, the global record and the leaderboard's extras."""

    records: list[RouteRecord]
    global_record: GlobalRecord | None
    progress: list[int]
    entry_status: str
    sensors: list[Any] = attrs.field(factory=list)
    values: list[str] = attrs.field(factory=list)
    labels: list[str] = attrs.field(factory=list)

    @property
    def eligible(self) -> bool:
        return ELIGIBLE_BY_ENTRY_STATUS.get(self.entry_status, False)

    @property
    def expected_routes(self) -> int:
        return self.progress[1] if len(self.progress) == 2 else len(self.records)

    def to_json(self) -> dict[str, Any]:
        return {
            "_checkpoint": {
                "global_record": self.global_record.to_json() if self.global_record else {},
                "progress": list(self.progress),
                "records": [record_to_json(record) for record in self.records],
            },
            "entry_status": self.entry_status,
            "eligible": self.eligible,
            "sensors": list(self.sensors),
            "values": list(self.values),
            "labels": list(self.labels),
        }


def expected_route_count(records: Sequence[RouteRecord], expected: int | Sequence[str] | None) -> int:
    """How many routes the benchmark has: ``expected`` as a count or as route ids (each record
    must then be one of them), or the number of records when None. Duplicate ids are an error."""
    seen: set[str] = set()
    for record in records:
        if record.route_id in seen:
            raise ScoringError(f"route {record.route_id!r} has two records; keep one record per route")
        seen.add(record.route_id)
    if expected is None:
        return len(records)
    if isinstance(expected, int):
        if expected < len(records):
            raise ScoringError(f"expected={expected} routes but {len(records)} records were given")
        return expected
    expected_ids = set(expected)
    unknown = sorted(seen - expected_ids)
    if unknown:
        raise ScoringError(f"records for routes not in the expected list: {unknown[:5]}")
    return len(expected_ids)


def route_km_driven(record: RouteRecord) -> float:
    """``route_length_km * RC / 100``."""
    return record.route_length_m / 1000.0 * record.score_route / 100.0


def km_driven(records: Iterable[RouteRecord]) -> float:
    """Total km driven over routes (no lower bound)."""
    return sum(route_km_driven(record) for record in records)


def infraction_amounts(record: RouteRecord) -> dict[str, float]:
    """Per key: the event count, except ``outside_route_lanes``: km driven outside the lanes."""
    amounts = {key: 0.0 for key in INFRACTION_KEYS}
    for event in record.infractions:
        if event.key == "outside_route_lanes":
            amounts[event.key] += parse_outside_lanes_metres(event.message) / 1000.0
        else:
            amounts[event.key] += 1.0
    return amounts


def _mean_and_std(values: list[float], total: int) -> tuple[float, float]:
    if total == 0:
        return 0.0, 0.0
    padded = values + [0.0] * (total - len(values))
    mean = sum(padded) / total
    if total == 1:
        return mean, 0.0
    variance = sum((value - mean) ** 2 for value in padded) / (total - 1)
    return mean, math.sqrt(variance)


def _global_status(records: Sequence[RouteRecord]) -> str:
    status = STATUS_PERFECT
    for record in records:
        if is_failed(record.status):
            return "Failed"
        if record.status != STATUS_PERFECT:
            status = record.status
    return status


def compute_global_record(
    records: Sequence[RouteRecord], *, expected: int | Sequence[str] | None = None
) -> GlobalRecord:
    """The global record over ``records`` (see the module docstring for the definitions)."""
    total = expected_route_count(records, expected)
    result = GlobalRecord(status=_global_status(records))
    for key in SCORE_KEYS:
        values = [float(getattr(record, key)) for record in records]
        mean, std = _mean_and_std(values, total)
        result.scores_mean[key] = round(mean, MEAN_DIGITS)
        result.scores_std_dev[key] = round(std, STD_DIGITS)
    driven = max(km_driven(records), MIN_KM_DRIVEN)
    for record in records:
        for key, amount in infraction_amounts(record).items():
            result.infractions[key] += amount
    for key in INFRACTION_KEYS:
        per_km = result.infractions[key] if key == "outside_route_lanes" else result.infractions[key] / driven
        result.infractions[key] = round(per_km, INFRACTION_DIGITS)
    result.total_length_m = sum(record.route_length_m for record in records)
    result.duration_game_s = sum(record.duration_game_s for record in records)
    result.duration_system_s = sum(record.duration_system_s for record in records)
    result.exceptions = [(r.route_id, r.index, r.status) for r in records if is_failed(r.status)]
    return result


def build_results(
    records: Sequence[RouteRecord],
    *,
    expected: int | Sequence[str] | None = None,
    sensors: Sequence[Any] = (),
) -> Results:
    """Everything the results file holds, computed from the route records."""
    total = expected_route_count(records, expected)
    global_record = compute_global_record(records, expected=expected)
    sources = {**global_record.scores_mean, **global_record.infractions}
    return Results(
        records=list(records),
        global_record=global_record,
        progress=[len(records), total],
        entry_status=entry_status_of([r.status for r in records], routes_done=len(records), routes_expected=total),
        sensors=list(sensors),
        values=[str(sources[source]) for _, source in VALUE_LABELS],
        labels=[label for label, _ in VALUE_LABELS],
    )


def record_to_json(record: RouteRecord) -> dict[str, Any]:
    """The record's leaderboard layout, plus ``"extra"`` when it has any."""
    data = record.to_json()
    if record.extra:
        data["extra"] = dict(record.extra)
    return data


def _require(data: Mapping[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if key not in data:
        raise ResultsFileError(f"{where}: missing key {key!r}")
    value = data[key]
    if not isinstance(value, kind):
        raise ResultsFileError(f"{where}.{key}: expected {kind}, got {type(value).__name__} {value!r}")
    return value


def record_from_json(data: Mapping[str, Any], *, where: str = "record") -> RouteRecord:
    """A :class:`RouteRecord` from its results-file layout; percentages and locations of the
    infractions are parsed back from their messages."""
    route_id = _require(data, "route_id", where, (str, int))
    infractions_data = _require(data, "infractions", where, dict)
    scores = _require(data, "scores", where, dict)
    meta = data.get("meta", {}) or {}
    unknown = sorted(set(infractions_data) - set(INFRACTION_KEYS))
    if unknown:
        raise ResultsFileError(f"{where}.infractions: unknown keys {unknown}; known: {list(INFRACTION_KEYS)}")
    infractions = []
    for key in INFRACTION_KEYS:
        for message in infractions_data.get(key, []):
            try:
                infractions.append(infraction_from_message(key, str(message)))
            except ScoringError as error:
                raise ResultsFileError(f"{where}.infractions.{key}: {error}") from error
    return RouteRecord(
        route_id=str(route_id),
        index=int(data.get("index", 0)),
        status=str(_require(data, "status", where, str)),
        score_route=float(_require(scores, "score_route", f"{where}.scores", (int, float))),
        score_penalty=float(_require(scores, "score_penalty", f"{where}.scores", (int, float))),
        score_composed=float(_require(scores, "score_composed", f"{where}.scores", (int, float))),
        infractions=infractions,
        route_length_m=float(meta.get("route_length", 0.0)),
        duration_game_s=float(meta.get("duration_game", 0.0)),
        duration_system_s=float(meta.get("duration_system", 0.0)),
        extra=dict(data.get("extra", {})),
    )


def _global_record_from_json(data: Mapping[str, Any], where: str) -> GlobalRecord:
    meta = data.get("meta", {}) or {}
    infractions = {key: 0.0 for key in INFRACTION_KEYS}
    infractions.update({k: float(v) for k, v in _require(data, "infractions", where, dict).items()})
    return GlobalRecord(
        status=str(data.get("status", STATUS_PERFECT)),
        infractions=infractions,
        scores_mean={k: float(v) for k, v in _require(data, "scores_mean", where, dict).items()},
        scores_std_dev={k: float(v) for k, v in (data.get("scores_std_dev") or {}).items()},
        total_length_m=float(meta.get("total_length", 0.0)),
        duration_game_s=float(meta.get("duration_game", 0.0)),
        duration_system_s=float(meta.get("duration_system", 0.0)),
        exceptions=[(str(a), int(b), str(c)) for a, b, c in meta.get("exceptions", [])],
    )


def results_from_json(data: Mapping[str, Any], *, source: str = "results") -> Results:
    """A :class:`Results` from the parsed JSON document."""
    checkpoint = _require(data, "_checkpoint", source, dict)
    where = f"{source}: _checkpoint"
    records_data = checkpoint.get("records") or []
    if not isinstance(records_data, list):
        raise ResultsFileError(f"{where}.records: expected a list, got {type(records_data).__name__}")
    records = [record_from_json(item, where=f"{where}.records[{i}]") for i, item in enumerate(records_data)]
    global_data = checkpoint.get("global_record") or {}
    progress = list(checkpoint.get("progress") or [len(records), len(records)])
    return Results(
        records=records,
        global_record=_global_record_from_json(global_data, f"{where}.global_record") if global_data else None,
        progress=[int(value) for value in progress],
        entry_status=str(data.get("entry_status", "Started")),
        sensors=list(data.get("sensors", [])),
        values=[str(value) for value in data.get("values", [])],
        labels=[str(label) for label in data.get("labels", [])],
    )


def load_results(path: str | os.PathLike[str]) -> Results:
    """Read a leaderboard results JSON file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ResultsFileError(f"{path}: results file not found; check the run's output folder") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ResultsFileError(
            f"{path}: not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}); "
            "the file may be truncated, re-run the evaluation or restore it"
        ) from error
    if not isinstance(data, dict):
        raise ResultsFileError(f"{path}: expected a JSON object at the top level, got {type(data).__name__}")
    return results_from_json(data, source=str(path))


def save_results(path: str | os.PathLike[str], results: Results) -> Path:
    """Write ``results`` as JSON atomically (temporary file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(results.to_json(), stream, indent=4)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path
