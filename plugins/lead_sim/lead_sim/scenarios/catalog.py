"""Every scenario type of the embedded world, by its official name.

The 38 Leaderboard 2.0 types and the 8 types Bench2Drive adds; Bench2Drive's benchmark uses 44 of
these 46 (all but PriorityAtJunction and EnterActorFlowV2).
"""

from __future__ import annotations

from lead_sim.scenarios import crossing, junctions, longitudinal, obstacles
from lead_sim.scenarios.base import Scenario

_CLASSES: tuple[type[Scenario], ...] = (
    obstacles.Accident, obstacles.AccidentTwoWays, obstacles.ParkedObstacle, obstacles.ParkedObstacleTwoWays,
    obstacles.ConstructionObstacle, obstacles.ConstructionObstacleTwoWays, obstacles.HazardAtSideLane,
    obstacles.HazardAtSideLaneTwoWays, obstacles.VehicleOpensDoorTwoWays,
    crossing.PedestrianCrossing, crossing.DynamicObjectCrossing, crossing.ParkingCrossingPedestrian,
    crossing.VehicleTurningRoute, crossing.VehicleTurningRoutePedestrian,
    junctions.BlockedIntersection, junctions.SignalizedJunctionLeftTurn, junctions.NonSignalizedJunctionLeftTurn,
    junctions.SignalizedJunctionRightTurn, junctions.NonSignalizedJunctionRightTurn,
    junctions.OppositeVehicleRunningRedLight, junctions.OppositeVehicleTakingPriority, junctions.PriorityAtJunction,
    junctions.CrossingBicycleFlow, junctions.InterurbanActorFlow, junctions.InterurbanAdvancedActorFlow,
    longitudinal.ControlLoss, longitudinal.HardBreakRoute, longitudinal.ParkingCutIn, longitudinal.StaticCutIn,
    longitudinal.ParkingExit, junctions.MergerIntoSlowTraffic, junctions.MergerIntoSlowTrafficV2,
    junctions.EnterActorFlow, junctions.EnterActorFlowV2, junctions.HighwayExit, longitudinal.HighwayCutIn,
    longitudinal.YieldToEmergencyVehicle, longitudinal.InvadingTurn,
    # Bench2Drive's additions.
    junctions.SignalizedJunctionLeftTurnEnterFlow, junctions.NonSignalizedJunctionLeftTurnEnterFlow,
    longitudinal.SequentialLaneChange, junctions.T_Junction, junctions.VanillaNonSignalizedTurn,
    junctions.VanillaSignalizedTurnEncounterGreenLight, junctions.VanillaSignalizedTurnEncounterRedLight,
    junctions.VanillaNonSignalizedTurnEncounterStopsign,
)

#: Official type name -> class.
SCENARIO_CLASSES: dict[str, type[Scenario]] = {cls.__name__: cls for cls in _CLASSES}
LEADERBOARD_TYPES: tuple[str, ...] = tuple(cls.__name__ for cls in _CLASSES[:38])
BENCH2DRIVE_EXTRA_TYPES: tuple[str, ...] = tuple(cls.__name__ for cls in _CLASSES[38:])


def describe(cls: type[Scenario]) -> str:
    """The first line of a scenario class's docstring (its registry description)."""
    for klass in cls.__mro__:
        if klass.__doc__:
            return klass.__doc__.strip().splitlines()[0]
    return cls.__name__
