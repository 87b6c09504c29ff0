"""Results tables: one row per run or benchmark (or per route when two runs are compared route by
route); DS, RC, IS, infractions per km and any extra metric columns; rendered as Markdown, CSV,
JSON or aligned plain text."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence

import attrs

from lead_framework.scoring.aggregate import Results, compute_global_record
from lead_framework.scoring.errors import ScoringError
from lead_framework.scoring.record import INFRACTION_KEYS

#: Infraction key -> column name. Outside-lanes is km driven off the lanes, the rest per km.
INFRACTION_COLUMNS: dict[str, str] = {
    "collisions_pedestrian": "Ped/km",
    "collisions_vehicle": "Veh/km",
    "collisions_layout": "Layout/km",
    "red_light": "Red/km",
    "stop_infraction": "Stop/km",
    "outside_route_lanes": "Offlane km",
    "route_dev": "Dev/km",
    "route_timeout": "RouteTO/km",
    "vehicle_blocked": "Blocked/km",
    "yield_emergency_vehicle_infractions": "Yield/km",
    "scenario_timeouts": "ScenTO/km",
    "min_speed_infractions": "MinSpeed/km",
}
SCORE_COLUMNS: tuple[str, ...] = ("DS", "RC", "IS")

Cell = float | None


@attrs.define
class ResultsTable:
    """Named rows of numbers (None = not available) under common columns; ``label`` heads the
    column of row names."""

    columns: list[str]
    rows: list[tuple[str, list[Cell]]] = attrs.field(factory=list)
    digits: int = 2
    label: str = "run"

    def add_row(self, name: str, values: Mapping[str, Cell]) -> None:
        """Add a row; columns it lacks are None, unknown columns are an error."""
        unknown = [column for column in values if column not in self.columns]
        if unknown:
            raise ScoringError(f"row {name!r} has columns {unknown} that the table lacks; table columns: {self.columns}")
        self.rows.append((name, [values.get(column) for column in self.columns]))

    def _cell(self, value: Cell) -> str:
        return "-" if value is None else f"{value:.{self.digits}f}"

    def to_markdown(self) -> str:
        header = [self.label, *self.columns]
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * len(self.columns)) + "|"]
        lines += ["| " + " | ".join([name, *map(self._cell, values)]) + " |" for name, values in self.rows]
        return "\n".join(lines) + "\n"

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([self.label, *self.columns])
        for name, values in self.rows:
            writer.writerow([name, *("" if v is None else repr(float(v)) for v in values)])
        return buffer.getvalue()

    def to_json(self) -> str:
        rows = [{self.label: name, **dict(zip(self.columns, values))} for name, values in self.rows]
        return json.dumps({"columns": self.columns, "rows": rows}, indent=2)

    def to_text(self) -> str:
        cells = [[self.label, *self.columns]] + [[name, *map(self._cell, values)] for name, values in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
        lines = []
        for index, row in enumerate(cells):
            lines.append("  ".join([row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]))
            if index == 0:
                lines.append("  ".join("-" * width for width in widths))
        return "\n".join(lines) + "\n"

    def render(self, fmt: str) -> str:
        """``markdown``, ``csv``, ``json`` or ``text``."""
        renderers = {"markdown": self.to_markdown, "csv": self.to_csv, "json": self.to_json, "text": self.to_text}
        if fmt not in renderers:
            raise ScoringError(f"unknown table format {fmt!r}; use one of {sorted(renderers)}")
        return renderers[fmt]()


def results_row(results: Results, extra: Mapping[str, Cell] | None = None) -> dict[str, Cell]:
    """DS, RC, IS and infractions per km of a run (its global record, or one computed from its
    records over ``progress[1]`` expected routes), followed by ``extra`` columns."""
    record = results.global_record or compute_global_record(results.records, expected=results.expected_routes)
    row: dict[str, Cell] = {
        "DS": record.driving_score,
        "RC": record.route_completion,
        "IS": record.infraction_score,
    }
    row.update({INFRACTION_COLUMNS[key]: record.infractions.get(key, 0.0) for key in INFRACTION_KEYS})
    row.update(extra or {})
    return row


def _columns_of(rows: Sequence[Mapping[str, Cell]]) -> list[str]:
    columns: list[str] = []
    for row in rows:
        columns += [column for column in row if column not in columns]
    return columns


def results_table(
    runs: Mapping[str, Results], *, extra: Mapping[str, Mapping[str, Cell]] | None = None, digits: int = 2
) -> ResultsTable:
    """One row per named run; ``extra`` adds metric columns per run name (e.g. a summary's
    ``as_columns()``)."""
    unknown = sorted(set(extra or {}) - set(runs))
    if unknown:
        raise ScoringError(f"extra columns given for unknown runs {unknown}; runs: {sorted(runs)}")
    rows = {name: results_row(results, (extra or {}).get(name)) for name, results in runs.items()}
    table = ResultsTable(columns=_columns_of(list(rows.values())), digits=digits)
    for name, row in rows.items():
        table.add_row(name, row)
    return table


def compare_runs(
    results_a: Results,
    results_b: Results,
    *,
    names: tuple[str, str] = ("A", "B"),
    extra_a: Mapping[str, Cell] | None = None,
    extra_b: Mapping[str, Cell] | None = None,
    digits: int = 2,
) -> ResultsTable:
    """Rows for both runs and a ``<B> - <A>`` row of differences (None where either is None)."""
    if names[0] == names[1]:
        raise ScoringError(f"compare_runs needs two different run names, got {names}")
    row_a, row_b = results_row(results_a, extra_a), results_row(results_b, extra_b)
    table = ResultsTable(columns=_columns_of([row_a, row_b]), digits=digits)
    table.add_row(names[0], row_a)
    table.add_row(names[1], row_b)
    delta = {
        column: None if row_a.get(column) is None or row_b.get(column) is None else row_b[column] - row_a[column]
        for column in table.columns
    }
    table.add_row(f"{names[1]} - {names[0]}", delta)
    return table


def compare_routes(results_a: Results, results_b: Results, *, digits: int = 2) -> ResultsTable:
    """One row per route id (in the order of run A, then routes only B has): DS and RC in run A,
    in run B, and B's DS minus A's (None where a run lacks the route); a last row ``all`` holds
    the runs' totals."""
    by_id = [{record.route_id: record for record in results.records} for results in (results_a, results_b)]
    route_ids = list(by_id[0]) + [route_id for route_id in by_id[1] if route_id not in by_id[0]]
    table = ResultsTable(columns=["DS A", "RC A", "DS B", "RC B", "DS B - A"], digits=digits, label="route")
    for route_id in route_ids:
        a, b = (records.get(route_id) for records in by_id)
        table.add_row(route_id, {
            "DS A": a.score_composed if a else None,
            "RC A": a.score_route if a else None,
            "DS B": b.score_composed if b else None,
            "RC B": b.score_route if b else None,
            "DS B - A": b.score_composed - a.score_composed if a and b else None,
        })
    total_a, total_b = results_row(results_a), results_row(results_b)
    table.add_row("all", {"DS A": total_a["DS"], "RC A": total_a["RC"], "DS B": total_b["DS"], "RC B": total_b["RC"],
                          "DS B - A": total_b["DS"] - total_a["DS"]})
    return table
