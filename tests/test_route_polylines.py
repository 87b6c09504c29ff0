"""Polyline helpers shared by route planning, lane graphs and training labels."""

from __future__ import annotations

import numpy as np
import pytest

from lead_framework.route import arc_lengths, distinct_points


def test_repeated_points_are_dropped_before_resampling_by_arc_length():
    points = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 0.00005], [3.0, 0.0]])
    assert distinct_points(points).tolist() == [True, True, False, True, True]
    assert distinct_points(points, min_step=1e-3).tolist() == [True, True, False, False, True]
    lengths = arc_lengths(points[distinct_points(points, min_step=1e-3)])
    assert np.all(np.diff(lengths) > 0) and lengths[-1] == pytest.approx(3.0)
