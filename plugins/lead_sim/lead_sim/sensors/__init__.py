"""CPU sensors of the embedded world: cameras, LiDAR, radar, BEV, box labels, GNSS, IMU and speedometer.

Build a :class:`SensorSuite` from a rig (a list of :class:`~lead_framework.sensors.SensorSpec`) and a town,
then call ``read(scene, weather, frame)`` every tick.
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
