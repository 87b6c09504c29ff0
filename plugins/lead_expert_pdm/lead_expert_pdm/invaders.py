"""InvadingTurn: oncoming vehicles that cut into the ego lane from the left get room by a nudge
of the path to the right, within the ego lane; the path blends back once they are behind."""

from __future__ import annotations

from typing import Any

import numpy as np

from lead_expert_pdm.actors import BICYCLE, EMERGENCY, VEHICLE
from lead_expert_pdm.route import ExpertRoute
from lead_expert_pdm.route_frame import route_frame

#: Oncoming vehicles cutting into the ego lane: keep this much room (metres) between their right
#: edge and the ego's centre line minus its half width, by nudging right at most ``MAX_NUDGE_M``
#: (the ego stays inside its lane), blending over ``NUDGE_BLEND_M``.
INVADER_CLEARANCE_M = 1.06 + 0.75
MAX_NUDGE_M = 1.5
NUDGE_BLEND_M = 8.0
#: Invaders are looked for this far (metres) ahead along the route; the nudge lasts until this
#: far past an invader's rear.
INVADER_LOOK_AHEAD_M = 40.0
NUDGE_PAST_M = 8.0


def keep_clear_of_invaders(route: ExpertRoute, actors: Any, s: float) -> None:
    """Nudge the path right, within the lane, past oncoming vehicles that cut into the ego lane
    from the left (InvadingTurn); blend back once they are behind."""
    window = route.center_window(s, INVADER_LOOK_AHEAD_M)
    target = np.zeros(len(route))
    blend_m = NUDGE_BLEND_M
    kinds = np.asarray(actors.kinds, int)
    rows = np.flatnonzero(np.isin(kinds, (VEHICLE, EMERGENCY, BICYCLE)))
    rows = rows[rows > 0]
    frame = route_frame(route, actors, rows, window) if rows.size else None
    if frame is not None:
        oncoming = (np.cos(frame.heading) < -0.5) & (frame.lateral < 0.0) & (frame.distance < 6.0)
        oncoming &= ~route.is_junction[frame.index]  # turning traffic in a junction does not cut the lane
        # Right edge of the invader (negative: left of the centre line) against the ego's left edge.
        needed = frame.lateral + frame.half_across + INVADER_CLEARANCE_M
        along, half_along = frame.along, frame.half_along
        for k in np.flatnonzero(oncoming & (needed > 0.0)):
            # Fully aside before meeting the nearest one (it may stand close ahead).
            blend_m = min(blend_m, max(float(along[k] - half_along[k] - s) - 3.0, 3.0))
            reach = (route.center_distances >= s) & (route.center_distances <= along[k] + half_along[k] + NUDGE_PAST_M)
            target[reach] = np.maximum(target[reach], min(float(needed[k]), MAX_NUDGE_M))
    if not target.any() and not route.offsets.any():
        return
    blend = np.clip((route.center_distances - s) / blend_m, 0.0, 1.0)
    blend = blend * blend * (3.0 - 2.0 * blend)
    if target.any():  # aside by the nearest meeting; an earlier, wider nudge is kept
        route.set_offsets(np.maximum(route.offsets, target * blend))
    else:  # all passed: blend back from where the ego is now
        current = float(route.offsets[route.index_at(route.s)])
        route.set_offsets(current * (1.0 - blend))
