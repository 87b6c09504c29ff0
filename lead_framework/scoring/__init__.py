"""Leaderboard 2.0 scoring: route records, infraction penalties, global aggregation."""

from lead_framework.scoring.record import INFRACTION_KEYS, Infraction, RouteRecord

__all__ = ["INFRACTION_KEYS", "Infraction", "RouteRecord"]
