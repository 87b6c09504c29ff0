"""Results tables and run comparison in Markdown, CSV, JSON and plain text."""

import csv
import io
import json

import pytest

from lead_framework.testing import run_leadfw

from lead_framework.scoring import (
    Infraction,
    RouteRecord,
    ScoringError,
    build_results,
    compare_routes,
    compare_runs,
    save_results,
    finalize_record,
    results_from_json,
    results_table,
)


def run(rc_values, collisions=0):
    """Routes of 1 km; the first route gets ``collisions`` vehicle collisions."""
    records = []
    for index, rc in enumerate(rc_values):
        events = [Infraction(key="collisions_vehicle", message="c")] * (collisions if index == 0 else 0)
        record = RouteRecord(route_id=f"r{index}", index=index, route_length_m=1000.0, infractions=list(events))
        records.append(finalize_record(record, route_completion_pct=rc))
    return build_results(records)


def test_compare_runs_deltas():
    # A: RC 100 and 50, one collision on route 0 -> DS (60 + 50) / 2 = 55, RC 75, IS (0.6 + 1) / 2 = 0.8,
    #    km driven 1.5 -> 0.667 collisions/km
    # B: RC 100 and 100, no event -> DS 100, RC 100, IS 1, 0 collisions/km
    table = compare_runs(run([100, 50], collisions=1), run([100, 100]), names=("base", "new"),
                         extra_a={"SR": 50.0}, extra_b={"SR": None})
    names = [name for name, _ in table.rows]
    assert names == ["base", "new", "new - base"]
    delta = dict(zip(table.columns, table.rows[2][1]))
    assert delta["DS"] == pytest.approx(45.0)
    assert delta["RC"] == pytest.approx(25.0)
    assert delta["IS"] == pytest.approx(0.2)
    assert delta["Veh/km"] == pytest.approx(-0.667)
    assert delta["SR"] is None
    assert table.columns[:3] == ["DS", "RC", "IS"] and table.columns[-1] == "SR"


def test_renderings_agree():
    table = results_table({"a": run([100, 50], collisions=1), "b": run([20])}, extra={"b": {"NDS": 12.5}})
    markdown = table.to_markdown().splitlines()
    assert markdown[0].startswith("| run | DS | RC | IS |")
    assert markdown[2].startswith("| a | 55.00 | 75.00 | 0.80 |")
    assert markdown[2].endswith("| - |")  # run a has no NDS
    rows = list(csv.reader(io.StringIO(table.to_csv())))
    assert rows[0][:4] == ["run", "DS", "RC", "IS"] and rows[1][1] == "55.0" and rows[1][-1] == ""
    data = json.loads(table.to_json())
    assert data["rows"][1]["run"] == "b" and data["rows"][1]["NDS"] == 12.5 and data["rows"][0]["NDS"] is None
    text = table.to_text().splitlines()
    assert text[0].split()[:4] == ["run", "DS", "RC", "IS"]
    assert set(text[1]) <= {"-", " "}
    assert len({len(line) for line in text}) == 1  # aligned columns
    assert table.render("text") == table.to_text()


def test_row_is_computed_when_the_file_has_no_global_record():
    data = run([100, 50], collisions=1).to_json()
    data["_checkpoint"]["global_record"] = {}
    data["_checkpoint"]["progress"] = [2, 4]
    results = results_from_json(data)
    assert results.global_record is None
    table = results_table({"x": results})
    row = dict(zip(table.columns, table.rows[0][1]))
    # over 4 expected routes: DS (60 + 50) / 4 = 27.5
    assert row["DS"] == pytest.approx(27.5)


def test_table_errors():
    with pytest.raises(ScoringError, match="unknown table format 'html'"):
        results_table({"a": run([100])}).render("html")
    with pytest.raises(ScoringError, match="unknown runs \\['c'\\]"):
        results_table({"a": run([100])}, extra={"c": {"SR": 1.0}})
    with pytest.raises(ScoringError, match="two different run names"):
        compare_runs(run([100]), run([100]), names=("a", "a"))
    table = results_table({"a": run([100])})
    with pytest.raises(ScoringError, match="columns \\['Nope'\\]"):
        table.add_row("b", {"Nope": 1.0})


def test_compare_routes_lists_each_route_and_the_totals():
    # A has r0 (RC 100, one collision -> DS 60) and r1 (RC 50); B has r0 (RC 100), r1 (RC 100), r2 (RC 20)
    table = compare_routes(run([100, 50], collisions=1), run([100, 100, 20]))
    rows = {name: dict(zip(table.columns, values)) for name, values in table.rows}
    assert [name for name, _ in table.rows] == ["r0", "r1", "r2", "all"]
    assert rows["r0"]["DS A"] == pytest.approx(60.0) and rows["r0"]["DS B - A"] == pytest.approx(40.0)
    assert rows["r1"]["RC A"] == pytest.approx(50.0) and rows["r1"]["RC B"] == pytest.approx(100.0)
    assert rows["r2"]["DS A"] is None and rows["r2"]["DS B"] == pytest.approx(20.0) and rows["r2"]["DS B - A"] is None
    assert rows["all"]["DS A"] == pytest.approx(55.0) and rows["all"]["DS B"] == pytest.approx(220 / 3)
    assert table.to_markdown().startswith("| route | DS A | RC A |")


def test_leadfw_compare_prints_totals_or_routes(tmp_path):
    for name, rc_values in (("a", [100, 50]), ("b", [100, 100])):
        save_results(tmp_path / name / "results.json", run(rc_values))
    totals = run_leadfw("compare", str(tmp_path / "a"), str(tmp_path / "b"), "--format", "json")
    assert totals.returncode == 0, totals.stderr
    assert [row["run"] for row in json.loads(totals.stdout)["rows"]][-1] == f"{tmp_path / 'b'} - {tmp_path / 'a'}"
    routes = run_leadfw("compare", str(tmp_path / "a"), str(tmp_path / "b"), "--routes", "--format", "csv")
    assert routes.returncode == 0, routes.stderr
    rows = list(csv.reader(io.StringIO(routes.stdout)))
    assert rows[0] == ["route", "DS A", "RC A", "DS B", "RC B", "DS B - A"]
    assert [row[0] for row in rows[1:]] == ["r0", "r1", "all"]
    assert float(rows[2][5]) == pytest.approx(50.0)
    missing = run_leadfw("compare", str(tmp_path / "a"), str(tmp_path / "nowhere"), "--routes")
    assert missing.returncode != 0 and "nowhere" in missing.stderr
