"""Rigid transforms in CARLA's left-handed frames (x forward/east, y right/south, z up; degrees in poses).

A vehicle's origin is the ground point below its bounding-box centre, as for CARLA vehicles; sensor poses
are relative to it. The embedded world keeps actors level (yaw only), so an ego matrix is a yaw rotation.
"""

from __future__ import annotations

import math

import numpy as np

from lead_framework.sensors import Pose


def rotation_matrix(roll_deg: float, pitch_deg: float, yaw_deg: float) -> np.ndarray:
    """3x3 rotation as ``carla.Transform.get_matrix`` builds it (columns: forward, right, up axes)."""
    cr, sr = math.cos(math.radians(roll_deg)), math.sin(math.radians(roll_deg))
    cp, sp = math.cos(math.radians(pitch_deg)), math.sin(math.radians(pitch_deg))
    cy, sy = math.cos(math.radians(yaw_deg)), math.sin(math.radians(yaw_deg))
    return np.array(
        [
            [cp * cy, cy * sp * sr - sy * cr, -cy * sp * cr - sy * sr],
            [cp * sy, sy * sp * sr + cy * cr, -sy * sp * cr + cy * sr],
            [sp, -cp * sr, cp * cr],
        ]
    )


def pose_matrix(pose: Pose) -> np.ndarray:
    """4x4 sensor-to-vehicle matrix of a mounting pose."""
    matrix = np.eye(4)
    matrix[:3, :3] = rotation_matrix(pose.roll, pose.pitch, pose.yaw)
    matrix[:3, 3] = (pose.x, pose.y, pose.z)
    return matrix


def yaw_matrix(yaw_rad: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotations about z by ``yaw_rad`` (N,)."""
    c, s = np.cos(yaw_rad), np.sin(yaw_rad)
    out = np.zeros(np.shape(yaw_rad) + (3, 3))
    out[..., 0, 0], out[..., 0, 1] = c, -s
    out[..., 1, 0], out[..., 1, 1] = s, c
    out[..., 2, 2] = 1.0
    return out


def vehicle_matrix(position: np.ndarray, yaw_rad: float, half_height: float) -> np.ndarray:
    """4x4 vehicle-to-world matrix: origin on the ground below the box centre ``position``."""
    matrix = np.eye(4)
    matrix[:3, :3] = yaw_matrix(np.float64(yaw_rad))
    matrix[:3, 3] = (position[0], position[1], position[2] - half_height)
    return matrix


def invert_rigid(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a 4x4 rigid transform."""
    out = np.eye(4)
    rot = matrix[:3, :3]
    out[:3, :3] = rot.T
    out[:3, 3] = -rot.T @ matrix[:3, 3]
    return out


def wrap_angle(angle: np.ndarray | float) -> np.ndarray | float:
    """Angles wrapped to [-pi, pi)."""
    return (np.asarray(angle) + np.pi) % (2.0 * np.pi) - np.pi
