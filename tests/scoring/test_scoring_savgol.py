"""The numpy Savitzky-Golay filter: exact on polynomials, equal to SciPy's where SciPy exists."""

import numpy as np
import pytest

from lead_framework.scoring import ScoringError
from lead_framework.scoring.savgol import savgol_filter


def test_quadratic_is_reproduced_with_exact_derivatives_including_edges():
    t = np.arange(12) * 0.1
    y = 3.0 * t**2 - t + 2.0
    np.testing.assert_allclose(savgol_filter(y, 7, 2), y, atol=1e-12)
    # d/dt = 6 t - 1 ; d2/dt2 = 6
    np.testing.assert_allclose(savgol_filter(y, 7, 2, deriv=1, delta=0.1), 6.0 * t - 1.0, atol=1e-9)
    np.testing.assert_allclose(savgol_filter(y, 5, 2, deriv=2, delta=0.1), np.full(12, 6.0), atol=1e-7)
    assert np.all(savgol_filter(y, 5, 2, deriv=3) == 0.0)


def test_window_three_order_one_is_a_moving_average():
    # interior: (1 + 4 + 9) / 3 = 4.6667 at index 1 ; edges use the line fitted through the first / last 3 samples
    y = np.array([1.0, 4.0, 9.0, 16.0])
    out = savgol_filter(y, 3, 1)
    assert out[1] == pytest.approx(14.0 / 3.0) and out[2] == pytest.approx(29.0 / 3.0)
    # line through (-1, 1), (0, 4), (1, 9): mean 14/3, slope 4 -> value at -1 = 14/3 - 4
    assert out[0] == pytest.approx(14.0 / 3.0 - 4.0)


def test_matches_scipy():
    signal = pytest.importorskip("scipy.signal")
    rng = np.random.default_rng(0)
    y = rng.normal(size=23)
    for window, order, deriv in [(7, 2, 0), (7, 2, 1), (5, 3, 2), (3, 0, 0)]:
        expected = signal.savgol_filter(y, window, order, deriv=deriv, delta=0.1, mode="interp")
        np.testing.assert_allclose(savgol_filter(y, window, order, deriv=deriv, delta=0.1), expected, atol=1e-9)


@pytest.mark.parametrize(
    ("values", "window", "order", "message"),
    [
        (np.zeros(10), 6, 2, "positive odd number"),
        (np.zeros(10), 5, 5, "polyorder < window"),
        (np.zeros(4), 5, 2, "longer than the signal"),
        (np.zeros((3, 3)), 3, 1, "1-D signal"),
    ],
)
def test_bad_arguments(values, window, order, message):
    with pytest.raises(ScoringError, match=message):
        savgol_filter(values, window, order)
