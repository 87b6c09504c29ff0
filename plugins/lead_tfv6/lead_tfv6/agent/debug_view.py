"""The agent's debug picture for route videos: its cameras beside a top-down view of the plan.

Top-down view: ego at the bottom centre, x forward = up, y right = right, ``PIXELS_PER_M``;
predicted route in blue, predicted waypoints in red, target points in green, with the
predicted target speed and why it brakes (``BRAKE``: the model or the brake rule, ``GUARD``: the
collision guard) as text.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from lead_framework.route_video import camera_strip

PANEL = 320
PIXELS_PER_M = 6.0
EGO_ROW = PANEL - 40


def _to_pixels(points: np.ndarray) -> np.ndarray:
    points = np.asarray(points, np.float32).reshape(-1, 2)
    return np.stack([PANEL / 2 + points[:, 1] * PIXELS_PER_M, EGO_ROW - points[:, 0] * PIXELS_PER_M], 1).round().astype(np.int32)


def plan_panel(route: np.ndarray, waypoints: np.ndarray, target_points: np.ndarray, target_speed: float, brake: str = "") -> np.ndarray:
    """A PANEL x PANEL BGR top-down drawing of one prediction (ego frame, metres)."""
    panel = np.full((PANEL, PANEL, 3), 30, np.uint8)
    cv2.rectangle(panel, (PANEL // 2 - 6, EGO_ROW - 14), (PANEL // 2 + 6, EGO_ROW + 14), (200, 200, 200), -1)
    for points, colour, radius in ((route, (255, 140, 0), 3), (waypoints, (0, 0, 255), 4), (target_points, (0, 200, 0), 6)):
        for x, y in _to_pixels(points):
            cv2.circle(panel, (int(x), int(y)), radius, colour, -1)
    text = f"target {target_speed:4.1f} m/s" + (f"  {brake}" if brake else "")
    cv2.putText(panel, text, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (255, 255, 255), 1, cv2.LINE_AA)
    return panel


def debug_image(input_data: dict[str, tuple[int, Any]], prediction: Any) -> np.ndarray | None:
    """Cameras with the plan panel on their right (the panel alone without cameras)."""
    if prediction is None:
        return None
    plan, decided = prediction.plan, prediction.debug  # the controller's target speed, after its rules
    brake = "GUARD" if decided.guard else "BRAKE" if plan.brake or decided.moving_brake else ""
    panel = plan_panel(plan.route, plan.waypoints, prediction.targets.points, decided.target_speed, brake)
    cameras = camera_strip(input_data)
    if cameras is None:
        return panel
    scale = cameras.shape[0] / PANEL
    return np.hstack([cameras, cv2.resize(panel, (int(PANEL * scale), cameras.shape[0]))])
