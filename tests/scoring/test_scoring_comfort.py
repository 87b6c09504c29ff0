"""Comfortness: chunked nuPlan bounds on smoothed motion signals."""

import numpy as np
import pytest

from lead_framework.scoring import ScoringError
from lead_framework.scoring.bench2drive import comfortness
from lead_framework.scoring.comfort import EgoLog, chunk_is_comfortable, comfort_signals, route_comfort

RATE = 20.0


def times(seconds):
    return np.arange(int(seconds * RATE)) / RATE


def test_smooth_curve_passes_every_chunk():
    # 8 m/s with a steady 0.1 rad/s turn: lat acc 0.8 m/s2, yaw rate 0.1 rad/s, all else ~0
    t = times(30)
    log = EgoLog(yaw=0.1 * t, speed=np.full_like(t, 8.0))
    assert route_comfort(log) == 1.0


def test_jerky_speed_fails_every_chunk():
    # speed 8 + 2 sin(2 pi t): acceleration amplitude 2 * 2 pi = 12.6 m/s2, far beyond (-4.05, 2.40)
    t = times(30)
    log = EgoLog(yaw=np.zeros_like(t), speed=8.0 + 2.0 * np.sin(2 * np.pi * t))
    assert route_comfort(log) == 0.0


def test_share_of_chunks_and_mean_over_routes():
    # 60 s -> 600 frames at 10 Hz -> 30 chunks; smooth for 30 s, jerky after: 15 of 30 pass = 0.5
    t = times(60)
    speed = np.where(t < 30.0, 8.0, 8.0 + 2.0 * np.sin(2 * np.pi * (t - 30.0)))
    half = EgoLog(yaw=np.zeros_like(t), speed=speed)
    assert route_comfort(half) == 0.5
    smooth = EgoLog(yaw=np.zeros(400), speed=np.full(400, 5.0))
    # mean over routes in percent: (0.5 + 1.0) / 2 * 100 = 75 ; a 1-step log has no chunk and is skipped
    assert comfortness([half, smooth, EgoLog(yaw=[0.0], speed=[1.0])]) == 75.0
    assert comfortness([]) is None


@pytest.mark.parametrize(("acceleration", "comfortable"), [(1.0, True), (2.3, True), (2.5, False), (-4.0, True), (-4.1, False)])
def test_longitudinal_acceleration_bounds(acceleration, comfortable):
    # straight line, speed linear in time: lon acc = acceleration exactly (order-2 fit), jerk 0
    t = np.arange(20) * 0.1
    speed = 20.0 + acceleration * t
    signals = comfort_signals(np.zeros(20), speed)
    np.testing.assert_allclose(signals["lon_acc"], acceleration, atol=1e-9)
    np.testing.assert_allclose(signals["lon_jerk"], 0.0, atol=1e-9)
    assert chunk_is_comfortable(np.zeros(20), speed) is comfortable


@pytest.mark.parametrize(("yaw_rate", "comfortable"), [(0.45, True), (0.5, False)])
def test_lateral_acceleration_bound(yaw_rate, comfortable):
    # 10 m/s on a circle: lat acc = v * yaw rate = 4.5 (inside 4.89) or 5.0 (outside)
    t = np.arange(20) * 0.1
    signals = comfort_signals(yaw_rate * t, np.full(20, 10.0))
    np.testing.assert_allclose(np.abs(signals["lat_acc"]), 10.0 * yaw_rate, rtol=1e-2)
    assert chunk_is_comfortable(yaw_rate * t, np.full(20, 10.0)) is comfortable


def test_yaw_wrapping_across_pi_is_not_a_spike():
    t = times(10)
    yaw = np.angle(np.exp(1j * (3.0 + 0.2 * t)))  # crosses +pi -> -pi
    assert route_comfort(EgoLog(yaw=yaw, speed=np.full_like(t, 3.0))) == 1.0


def test_short_log_is_one_chunk():
    # 30 steps at 20 Hz -> 15 frames at 10 Hz: evaluated as a single chunk
    t = times(1.5)
    assert route_comfort(EgoLog(yaw=np.zeros_like(t), speed=np.full_like(t, 4.0))) == 1.0
    assert route_comfort(EgoLog(yaw=np.zeros(4), speed=np.ones(4))) is None


def test_bad_logs_are_rejected():
    with pytest.raises(ScoringError, match="whole multiple"):
        EgoLog(yaw=np.zeros(5), speed=np.zeros(5), rate_hz=15.0)
    with pytest.raises(ScoringError, match="yaw has 5 steps but speed has 4"):
        EgoLog(yaw=np.zeros(5), speed=np.zeros(4))
    with pytest.raises(ScoringError, match="NaN"):
        EgoLog(yaw=[0.0, np.nan], speed=[1.0, 1.0])
    with pytest.raises(ScoringError, match="row 1 has no 'speed'"):
        EgoLog.from_rows([{"x": 0, "y": 0, "yaw": 0, "speed": 1}, {"x": 1, "y": 0, "yaw": 0}])
    log = EgoLog.from_rows([{"x": float(i), "y": 0.0, "yaw": 0.0, "speed": 2.0} for i in range(4)])
    assert log.resampled()[1].tolist() == [2.0, 2.0]
