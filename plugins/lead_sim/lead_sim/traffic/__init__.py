"""Background traffic of the embedded world: lanes, vehicles, bicycles, walkers, lights, stops, props."""

from lead_sim.traffic.population import Traffic, TrafficSpec

__all__ = ["Traffic", "TrafficSpec"]
