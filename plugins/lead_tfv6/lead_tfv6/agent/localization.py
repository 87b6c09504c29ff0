"""Where the ego is, from its sensors only: GNSS position and IMU compass heading.

A sensor agent gets no ground-truth pose. As LEAD's agent does, the position comes from the GNSS
and the heading from the IMU compass. GNSS readings are mapped back to CARLA world metres with a
local conformal fit: map projections (CARLA's Mercator, or the transverse Mercator of a town's
OpenDRIVE geo reference) are conformal, so near the route ``x + iy = a * (u + iv) + b`` with
``u = d_lon * cos(lat0)`` and ``v = d_lat`` in radians, a complex ``a`` (scale and the small
meridian convergence) and ``b``. The plan gives every target point both in world coordinates and
as GPS, so the fit needs no map file. Whether north is -y (CARLA's convention) or +y (what the
0.9.16 client library's ``transform_to_geolocation`` returns) is read off the plan too: the fit
whose rotation is nearest zero wins (only a route on one east-west line cannot tell; it then
takes the client library's convention). Over a 2 km square the fit is within 0.2 m.

The compass is 0 facing north (CARLA -y) and grows clockwise, so ``yaw = compass - pi / 2``.
Optionally a Kalman filter smooths the GNSS position with a constant-heading motion prediction
from the speedometer and compass (the agent's ``gnss_filter`` setting).
"""

from __future__ import annotations

import math

import numpy as np

from lead_framework.route import RoutePlan
from lead_tfv6.agent.errors import RoutePlanError
from lead_tfv6.agent.geometry import EgoPose, wrap_angle

#: Metres per radian of the fit's prior (CARLA's Earth radius), used for single-point plans.
EARTH_RADIUS_M = 6378137.0
#: Largest disagreement (metres) between a plan's world points and its fitted GPS points.
MAX_PLAN_RESIDUAL_M = 0.5
#: Rotations closer than this (radians) count as equal when choosing the north convention.
_ROTATION_TIE_RAD = 1e-3


class GnssProjection:
    """GNSS [lat, lon, ...] -> CARLA world x, y (metres), fitted to a route plan."""

    def __init__(self, origin_deg: tuple[float, float], scale: complex, offset: complex, mirrored: bool):
        self.origin_deg, self.scale, self.offset, self.mirrored = origin_deg, scale, offset, mirrored
        self._cos_lat = math.cos(math.radians(origin_deg[0]))

    def _local(self, gnss: np.ndarray) -> np.ndarray:
        gnss = np.asarray(gnss, dtype=np.float64)
        local = np.radians(gnss[..., 1] - self.origin_deg[1]) * self._cos_lat + 1j * np.radians(gnss[..., 0] - self.origin_deg[0])
        return np.conj(local) if self.mirrored else local

    def to_world(self, gnss: np.ndarray) -> np.ndarray:
        """GNSS readings (..., >=2: latitude, longitude) -> world (..., 2)."""
        world = self.scale * self._local(gnss) + self.offset
        return np.stack([world.real, world.imag], axis=-1)

    @classmethod
    def from_plan(cls, plan: RoutePlan) -> GnssProjection:
        """Fit to a plan's paired world and GPS points (checked on all of them)."""
        world, gps = np.asarray(plan.world_points, np.float64), np.asarray(plan.gps_points, np.float64)
        if world.ndim != 2 or gps.shape != world.shape or len(world) == 0 or world.shape[1] < 2:
            raise RoutePlanError(
                f"route {plan.route_id!r}: world_points {world.shape} and gps_points {gps.shape} must both be (N, 3) with N >= 1"
            )
        origin = (float(gps[:, 0].mean()), float(gps[:, 1].mean()))
        target = world[:, 0] + 1j * world[:, 1]
        fits = []
        for mirrored in (False, True):
            projection = cls(origin, complex(EARTH_RADIUS_M), 0j, mirrored)
            local = projection._local(gps)
            if np.ptp(local.real) + np.ptp(local.imag) > 0:  # two distinct points fix scale and rotation
                design = np.stack([local, np.ones_like(local)], axis=1)
                projection.scale, projection.offset = (complex(v) for v in np.linalg.lstsq(design, target, rcond=None)[0])
            else:
                projection.offset = complex((target - projection.scale * local).mean())
            fits.append(projection)
        rotations = [abs(np.angle(fit.scale)) for fit in fits]
        best = fits[1] if rotations[1] < rotations[0] - _ROTATION_TIE_RAD else fits[0]
        residual = np.linalg.norm(best.to_world(gps) - world[:, :2], axis=1).max()
        if residual > MAX_PLAN_RESIDUAL_M:
            raise RoutePlanError(
                f"route {plan.route_id!r}: gps_points do not match world_points through one map projection "
                f"(worst point off by {residual:.2f} m); give the plan's GPS points as the world's GNSS reports them"
            )
        return best


def yaw_from_compass(compass: float) -> float:
    """IMU compass (radians, 0 = north = CARLA -y, clockwise) -> CARLA yaw in [-pi, pi)."""
    if not math.isfinite(compass):
        raise ValueError(f"compass reading {compass!r} is not finite")
    return wrap_angle(compass - math.pi / 2.0)


class GnssKalmanFilter:
    """Position filter: predict with speed along the compass heading, correct with each GNSS fix.

    Both axes share one variance (isotropic noise), so the filter is two scalar Kalman filters.
    """

    def __init__(self, process_std_m: float = 0.1, measurement_std_m: float = 0.5):
        self.process_var, self.measurement_var = process_std_m**2, measurement_std_m**2
        self.position: np.ndarray | None = None
        self.variance = 0.0

    def update(self, measured_xy: np.ndarray, yaw: float, speed: float, dt: float) -> np.ndarray:
        measured_xy = np.asarray(measured_xy, dtype=np.float64)
        if self.position is None:
            self.position, self.variance = measured_xy.copy(), self.measurement_var
            return self.position.copy()
        self.position = self.position + speed * dt * np.array([math.cos(yaw), math.sin(yaw)])
        self.variance += self.process_var
        gain = self.variance / (self.variance + self.measurement_var)
        self.position = self.position + gain * (measured_xy - self.position)
        self.variance *= 1.0 - gain
        return self.position.copy()


class PoseEstimator:
    """GNSS + compass -> :class:`EgoPose` every tick (optionally Kalman-filtered)."""

    def __init__(self, projection: GnssProjection, use_filter: bool = False):
        self.projection = projection
        self.filter = GnssKalmanFilter() if use_filter else None

    def update(self, gnss: np.ndarray, compass: float, speed: float, dt: float) -> EgoPose:
        yaw = yaw_from_compass(float(compass))
        xy = self.projection.to_world(np.asarray(gnss)[:2])
        if self.filter is not None:
            xy = self.filter.update(xy, yaw, speed, dt)
        return EgoPose(float(xy[0]), float(xy[1]), yaw)
