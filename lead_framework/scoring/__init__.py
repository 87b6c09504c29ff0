"""Leaderboard 2.0 scoring: route records, infraction penalties, global aggregation, results files,
and the metrics of the Bench2Drive, Fail2Drive and long-route (NDS) benchmarks."""

from lead_framework.scoring.aggregate import (
    GlobalRecord,
    Results,
    build_results,
    compute_global_record,
    km_driven,
    load_results,
    record_from_json,
    record_to_json,
    results_from_json,
    save_results,
)
from lead_framework.scoring.errors import ResultsFileError, ScoringError
from lead_framework.scoring.normalized import (
    NormalizedScore,
    global_normalized_score,
    normalized_score,
)
from lead_framework.scoring.penalties import (
    PENALTY_COEFFICIENTS,
    ROUTE_ENDING_KEYS,
    event_coefficient,
    finalize_record,
    infraction_penalty,
    min_speed_factor,
    outside_lanes_factor,
)
from lead_framework.scoring.record import INFRACTION_KEYS, Infraction, RouteRecord
from lead_framework.scoring.status import FAILURE_REASONS
from lead_framework.scoring.tables import (
    ResultsTable,
    compare_routes,
    compare_runs,
    results_row,
    results_table,
)

__all__ = [
    "FAILURE_REASONS",
    "GlobalRecord",
    "INFRACTION_KEYS",
    "Infraction",
    "NormalizedScore",
    "PENALTY_COEFFICIENTS",
    "ROUTE_ENDING_KEYS",
    "Results",
    "ResultsFileError",
    "ResultsTable",
    "RouteRecord",
    "ScoringError",
    "build_results",
    "compare_routes",
    "compare_runs",
    "compute_global_record",
    "event_coefficient",
    "finalize_record",
    "global_normalized_score",
    "infraction_penalty",
    "km_driven",
    "load_results",
    "min_speed_factor",
    "normalized_score",
    "outside_lanes_factor",
    "record_from_json",
    "record_to_json",
    "results_from_json",
    "results_row",
    "results_table",
    "save_results",
]
