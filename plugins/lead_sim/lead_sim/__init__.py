"""Embedded CPU simulator: OpenDRIVE roads via the carla wheel, traffic, sensors, criteria."""
