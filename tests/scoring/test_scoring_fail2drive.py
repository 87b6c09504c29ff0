"""Fail2Drive success, harmonic mean and Base -> Generalization changes."""

import pytest

from lead_framework.scoring import Infraction, RouteRecord, ScoringError
from lead_framework.scoring import fail2drive as f2d


def record(route_id, ds, *keys):
    return RouteRecord(
        route_id=route_id, score_composed=ds, infractions=[Infraction(key=k, message=k) for k in keys]
    )


def test_success_ignores_min_speed_and_outside_lanes_only():
    assert f2d.is_success(record("Base_Wall_0001", 40.0, "min_speed_infractions", "outside_route_lanes"))
    assert not f2d.is_success(record("Base_Wall_0001", 90.0, "scenario_timeouts"))
    # no completion condition: a route that stopped early without infractions is a success
    assert f2d.is_success(RouteRecord(route_id="Base_Wall_0001", status="Failed", score_route=10.0))


def test_harmonic_mean():
    # 2 / (1/80 + 1/60) = 2 / (0.0125 + 0.016667) = 68.571
    assert f2d.harmonic_mean(80.0, 60.0) == pytest.approx(480.0 / 7.0)
    assert f2d.harmonic_mean(0.0, 50.0) == 0.0 and f2d.harmonic_mean(50.0, 0.0) == 0.0
    with pytest.raises(ScoringError, match="DS >= 0"):
        f2d.harmonic_mean(-1.0, 10.0)


def test_route_names():
    assert f2d.parse_route_name("Generalization_Animals_0175.xml") == ("Generalization", "Animals")
    assert f2d.parse_route_name("Base_WallTwoWays_0003") == ("Base", "Wall")
    with pytest.raises(ScoringError, match="not a Fail2Drive name"):
        f2d.parse_route_name("RouteScenario_3_rep0")


def test_summary_per_split_scenario_and_class():
    records = [
        record("Base_Animals_0001", 100.0),
        record("Base_Animals_0002", 60.0, "collisions_vehicle"),
        record("Generalization_Animals_0101", 50.0, "collisions_pedestrian"),
        record("Generalization_Animals_0102", 90.0, "min_speed_infractions"),
        record("Base_Wall_0003", 80.0),
        record("Generalization_Wall_0103", 20.0, "vehicle_blocked"),
    ]
    summary = f2d.summarize(records, expected=[r.route_id for r in records] + ["Base_Wall_0004"])
    # Base: DS (100 + 60 + 80 + 0 missing) / 4 = 60, SR 2/4 = 50 %, HM = 2 / (1/60 + 1/50) = 54.545
    assert summary.base.driving_score == pytest.approx(60.0)
    assert summary.base.success_rate == pytest.approx(50.0)
    assert summary.base.harmonic_mean == pytest.approx(600.0 / 11.0)
    # Generalization: DS (50 + 90 + 20) / 3 = 53.333, SR 1/3 = 33.333 %, HM = 2 / (3/160 + 3/100) = 41.026
    assert summary.generalization.driving_score == pytest.approx(160.0 / 3.0)
    assert summary.generalization.harmonic_mean == pytest.approx(2.0 / (3.0 / 160.0 + 3.0 / 100.0))
    animals, wall = summary.scenarios
    # Animals base DS 80, SR 50 -> HM 61.538 ; gen DS 70, SR 50 -> HM 58.333 ; DS change 70 / 80 - 1 = -12.5 %
    assert animals.name == "Animals" and animals.change_pct("driving_score") == pytest.approx(-12.5)
    assert animals.change_pct("success_rate") == pytest.approx(0.0)
    # Wall base DS (80 + 0) / 2 = 40, SR 50 % ; gen DS 20, SR 0 -> HM 0 -> change -100 %
    assert wall.change_pct("harmonic_mean") == pytest.approx(-100.0)
    # classes: Visual-lon holds Animals, Behavior holds Wall; other classes have no routes
    assert [c.name for c in summary.classes] == ["Visual-lon", "Behavior"]
    assert summary.as_columns()["HM change %"] == pytest.approx(
        100.0 * summary.generalization.harmonic_mean / summary.base.harmonic_mean - 100.0
    )


def test_summary_errors_and_empty():
    with pytest.raises(ScoringError, match="unknown Fail2Drive scenarios \\['Dragons'\\]"):
        f2d.summarize([record("Base_Dragons_0001", 10.0)])
    with pytest.raises(ScoringError, match="two records"):
        f2d.summarize([record("Base_Wall_0001", 1.0), record("Base_Wall_0001", 2.0)])
    empty = f2d.summarize([])
    assert (empty.base.routes, empty.scenarios, empty.classes) == (0, [], [])
    assert f2d.relative_change_pct(5.0, 0.0) is None
