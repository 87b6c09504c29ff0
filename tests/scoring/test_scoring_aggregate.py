"""Global results, per-km infractions, results JSON layout, round trip and atomic writes."""

import json
import math

import pytest

from lead_framework.scoring import (
    Infraction,
    ResultsFileError,
    RouteRecord,
    ScoringError,
    build_results,
    compute_global_record,
    finalize_record,
    infraction_penalty,
    km_driven,
    load_results,
    save_results,
)
from lead_framework.scoring import messages as m


def three_routes():
    """r0: 1 km, RC 100, no event -> DS 100.
    r1: 2 km, RC 50, vehicle collision (0.6) + 100 m outside lanes at 10 % (0.9) + route deviation
        -> IS 0.54, DS 27.
    r2: 0.5 km, RC 100, red light (0.7) -> DS 70."""
    r0 = RouteRecord(route_id="r0", index=0, route_length_m=1000.0, duration_game_s=100.0)
    r1 = RouteRecord(
        route_id="r1",
        index=1,
        route_length_m=2000.0,
        duration_game_s=50.0,
        infractions=[
            Infraction(key="collisions_vehicle", message=m.collision_message("vehicle.audi.a2", 7, (1.0, 2.0, 0.0)), location=(1.0, 2.0, 0.0)),
            Infraction(key="outside_route_lanes", message=m.outside_lanes_message(100.0, 10.0), value=10.0),
            Infraction(key="route_dev", message=m.route_deviation_message((5.0, 6.0, 0.0)), location=(5.0, 6.0, 0.0)),
        ],
        extra={"scenario_type": "Accident"},
    )
    r2 = RouteRecord(
        route_id="r2",
        index=2,
        route_length_m=500.0,
        infractions=[Infraction(key="red_light", message=m.red_light_message(3, (0, 0, 0)), location=(0.0, 0.0, 0.0))],
    )
    finalize_record(r0, route_completion_pct=100.0)
    finalize_record(r1, route_completion_pct=50.0)
    finalize_record(r2, route_completion_pct=100.0)
    return [r0, r1, r2]


def test_scores_and_statuses_of_the_example():
    r0, r1, r2 = three_routes()
    assert (r0.status, r1.status, r2.status) == ("Perfect", "Failed - Agent deviated from the route", "Completed")
    assert (r0.score_composed, r1.score_composed, r2.score_composed) == (100.0, 27.0, 70.0)


def test_global_means_count_missing_routes_as_zero():
    records = three_routes()
    result = compute_global_record(records, expected=["r0", "r1", "r2", "r3"])
    # DS (100 + 27 + 70 + 0) / 4 = 49.25 ; RC (100 + 50 + 100 + 0) / 4 = 62.5 ; IS (1 + 0.54 + 0.7 + 0) / 4 = 0.56
    assert result.driving_score == pytest.approx(49.25)
    assert result.route_completion == pytest.approx(62.5)
    assert result.infraction_score == pytest.approx(0.56)
    # DS is the mean of products, not mean RC x mean IS (62.5 * 0.56 = 35)
    assert result.driving_score != pytest.approx(result.route_completion * result.infraction_score)
    # std of DS over [100, 27, 70, 0]: squared deviations from 49.25 sum to 5926.75, / (4 - 1)
    assert result.scores_std_dev["score_composed"] == round(math.sqrt(5926.75 / 3), 3)
    assert result.status == "Failed"
    assert result.exceptions == [("r1", 1, "Failed - Agent deviated from the route")]
    assert result.total_length_m == 3500.0 and result.duration_game_s == 150.0


def test_infractions_per_km_driven():
    records = three_routes()
    # km driven = 1 * 100% + 2 * 50% + 0.5 * 100% = 2.5 km
    assert km_driven(records) == pytest.approx(2.5)
    infractions = compute_global_record(records).infractions
    # one event each / 2.5 km = 0.4 per km
    assert infractions["collisions_vehicle"] == 0.4
    assert infractions["red_light"] == 0.4
    assert infractions["route_dev"] == 0.4
    # outside lanes is the km driven off the lanes (100 m = 0.1 km), not a rate
    assert infractions["outside_route_lanes"] == 0.1
    assert infractions["collisions_pedestrian"] == 0.0


def test_edge_cases_no_routes_zero_km_all_failed():
    empty = compute_global_record([])
    assert empty.driving_score == 0.0 and all(v == 0.0 for v in empty.infractions.values())
    assert build_results([], expected=0).progress == [0, 0]

    # a route that never moved: km driven is floored at 0.001 km as in the leaderboard, 1 / 0.001 = 1000
    stuck = RouteRecord(
        route_id="s",
        route_length_m=0.0,
        infractions=[Infraction(key="collisions_layout", message=m.collision_message("static.prop", 1, (0, 0, 0)))],
    )
    finalize_record(stuck, route_completion_pct=0.0, ended_by="agent_crashed")
    assert compute_global_record([stuck]).infractions["collisions_layout"] == 1000.0

    failed = [finalize_record(RouteRecord(route_id=f"f{i}", route_length_m=100.0), route_completion_pct=0.0) for i in range(3)]
    result = compute_global_record(failed)
    assert (result.driving_score, result.route_completion, result.status) == (0.0, 0.0, "Failed")
    assert result.scores_std_dev["score_composed"] == 0.0


def test_inconsistent_route_sets_are_errors():
    records = three_routes()
    with pytest.raises(ScoringError, match="two records"):
        compute_global_record(records + [records[0]])
    with pytest.raises(ScoringError, match="not in the expected list"):
        compute_global_record(records, expected=["r0", "r1"])
    with pytest.raises(ScoringError, match="expected=2 routes but 3 records"):
        compute_global_record(records, expected=2)


def test_results_layout_values_labels_and_entry_status():
    partial = build_results(three_routes(), expected=4, sensors=[{"type": "sensor.camera.rgb", "id": "rgb"}])
    data = partial.to_json()
    assert set(data) == {"_checkpoint", "entry_status", "eligible", "sensors", "values", "labels"}
    assert set(data["_checkpoint"]) == {"global_record", "progress", "records"}
    assert data["_checkpoint"]["progress"] == [3, 4]
    assert (data["entry_status"], data["eligible"]) == ("Started", False)
    assert data["labels"][:3] == ["Avg. driving score", "Avg. route completion", "Avg. infraction penalty"]
    assert data["values"][:3] == ["49.25", "62.5", "0.56"]
    assert len(data["values"]) == len(data["labels"]) == 15
    assert data["_checkpoint"]["global_record"]["meta"]["exceptions"] == [["r1", 1, "Failed - Agent deviated from the route"]]
    record = data["_checkpoint"]["records"][1]
    assert record["num_infractions"] == 3 and record["extra"] == {"scenario_type": "Accident"}

    done = build_results(three_routes())
    assert (done.entry_status, done.eligible) == ("Finished", True)
    crashed = three_routes()
    finalize_record(crashed[1], route_completion_pct=50.0, ended_by="simulation_crashed")
    assert build_results(crashed).entry_status == "Crashed"


def test_json_round_trip(tmp_path):
    results = build_results(three_routes(), expected=["r0", "r1", "r2", "r3"])
    path = save_results(tmp_path / "out" / "results.json", results)
    loaded = load_results(path)
    assert loaded.records == results.records
    assert loaded.global_record == results.global_record
    assert loaded.to_json() == results.to_json()
    assert json.loads(path.read_text())["values"][0] == "49.25"


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    path = save_results(tmp_path / "results.json", build_results(three_routes()))
    before = path.read_text()
    broken = three_routes()
    broken[0].extra["not_json"] = object()
    with pytest.raises(TypeError):
        save_results(path, build_results(broken))
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_load_errors_name_the_file_and_problem(tmp_path):
    with pytest.raises(ResultsFileError, match="results file not found"):
        load_results(tmp_path / "missing.json")
    truncated = tmp_path / "truncated.json"
    truncated.write_text('{"_checkpoint": {"records": [')
    with pytest.raises(ResultsFileError, match="truncated.json: not valid JSON"):
        load_results(truncated)
    no_checkpoint = tmp_path / "other.json"
    no_checkpoint.write_text("{}")
    with pytest.raises(ResultsFileError, match="missing key '_checkpoint'"):
        load_results(no_checkpoint)
    bad_key = tmp_path / "bad_key.json"
    record = {"route_id": "r", "status": "Perfect", "infractions": {"collision": []}, "scores": {}}
    bad_key.write_text(json.dumps({"_checkpoint": {"records": [record]}}))
    with pytest.raises(ResultsFileError, match=r"records\[0\].infractions: unknown keys \['collision'\]"):
        load_results(bad_key)


def test_reads_a_leaderboard_written_record(tmp_path):
    """A record as the official statistics manager writes it (extra keys such as Bench2Drive's
    ``save_name`` are ignored); its IS is recomputed from the messages: 0.93889 * 0.7 = 0.657223."""
    record = {
        "index": 0,
        "route_id": "RouteScenario_0_rep0",
        "status": "Completed",
        "num_infractions": 2,
        "infractions": {
            "collisions_layout": [], "collisions_pedestrian": [], "collisions_vehicle": [], "red_light": [],
            "stop_infraction": [], "outside_route_lanes": [],
            "min_speed_infractions": ["Average speed is 79.63% of the surrounding traffic's one"],
            "yield_emergency_vehicle_infractions": ["Agent failed to yield to an emergency vehicle"],
            "scenario_timeouts": [], "route_dev": [], "vehicle_blocked": [], "route_timeout": [],
        },
        "scores": {"score_route": 100.0, "score_penalty": 0.657223, "score_composed": 65.7223},
        "meta": {"route_length": 812.345, "duration_game": 95.3, "duration_system": 210.0},
        "save_name": "RouteScenario_0_rep0_Town12",
    }
    path = tmp_path / "official.json"
    path.write_text(json.dumps({"_checkpoint": {"global_record": {}, "progress": [1, 1], "records": [record]},
                                "entry_status": "Finished", "eligible": True, "sensors": [], "values": [], "labels": []}))
    loaded = load_results(path).records[0]
    assert [e.value for e in loaded.infractions] == [79.63, None]
    assert infraction_penalty(loaded.infractions) == pytest.approx(loaded.score_penalty, abs=1e-6)
    assert loaded.route_length_m == 812.345
