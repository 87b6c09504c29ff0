"""Leaderboard 2.0 criteria for the embedded world (see ``suite.CriteriaSuite``)."""

from lead_sim.criteria.base import STANDING_SPEED, Criterion, RouteGeometry, TickContext
from lead_sim.criteria.suite import CriteriaSuite

__all__ = ["STANDING_SPEED", "CriteriaSuite", "Criterion", "RouteGeometry", "TickContext"]
