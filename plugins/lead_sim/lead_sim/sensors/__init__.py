"""CPU sensors of the embedded world: cameras, LiDAR, radar, BEV, box labels, GNSS, IMU and speedometer.

Build a :class:`SensorSuite` from a rig (a list of :class:`~lead_framework.sensors.SensorSpec`) and a town,
then call ``read(scene, weather, frame)`` every tick; it returns the leaderboard's ``input_data``
(``{sensor_id: (frame, data)}``). Outputs, per kind:

- ``rgb`` / ``semantic`` / ``depth``: (H, W, 4) uint8 BGRA like CARLA's cameras; semantic tags (red channel)
  are CARLA 0.9.14-0.9.16's, see :class:`~lead_sim.sensors.tags.CarlaTag` (road 1, sidewalk 2, pole 6,
  traffic light 7, traffic sign 8, terrain 10, sky 11, pedestrian 12, rider 13, car 14, truck 15, bus 16,
  motorcycle 18, bicycle 19, static 20, road line 24, ground 25); depth is CARLA's 24-bit encoding of 0-1000 m.
- ``lidar``: (N, 4) float32 (x, y, z, intensity), or (N, 6) with ``semantic``; ``radar``: (N, 4) float32
  (depth, altitude, azimuth, velocity); ``bev``: (H, W) uint8 LEAD classes; ``boxes``: list of dicts;
  ``gnss`` [lat, lon, alt]; ``imu`` [acc xyz, gyro xyz, compass]; ``speedometer`` {"speed": m/s}.

Limitations: the ground is a flat plane at the ego's height (the town raster has no heights), which is wrong
on bridges and hills (Town03/04/05/07 rise up to ~11 m); there are no buildings or vegetation; the ego's
own body is not rendered; lights are uniform (no shadows); headlights light everything near the ego.
"""

from lead_sim.sensors.camera import decode_depth, encode_depth
from lead_sim.sensors.errors import SensorConfigError, UnknownSensorKindError
from lead_sim.sensors.suite import SENSOR_KINDS, SensorSuite, make_sensor
from lead_sim.sensors.tags import BevClass, CarlaTag

__all__ = [
    "SENSOR_KINDS",
    "BevClass",
    "CarlaTag",
    "SensorConfigError",
    "SensorSuite",
    "UnknownSensorKindError",
    "decode_depth",
    "encode_depth",
    "make_sensor",
]
