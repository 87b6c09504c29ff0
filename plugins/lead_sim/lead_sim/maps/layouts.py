"""Procedural town layouts: grid and irregular street networks, and a highway with ramps.

Every layout is seeded (``numpy.random.default_rng(seed)``): the same arguments give the same
OpenDRIVE text. Junction arms always leave along the grid axes, so every junction's connecting
roads are lines, single arcs or S-curves.
"""

from __future__ import annotations

import math
from collections import deque

import attrs
import numpy as np

from lead_sim.maps.geometry import PathBuilder, rounded_polyline
from lead_sim.maps.opendrive_gen import TownBuilder, lane_stack
from lead_sim.maps.opendrive_model import Arm, TownDef

Node = tuple[int, int]


@attrs.define
class GridSpec:
    """A street grid: node columns at ``xs``, rows at ``ys``, streets on ``edges``.

    ``row_lanes[j]`` / ``col_lanes[i]``: driving lanes per direction on row j / column i.
    ``bends``: edges drawn with a sideways kink of the given size in metres (irregular towns).
    """

    name: str
    xs: list[float]
    ys: list[float]
    edges: set[tuple[Node, Node]]
    row_lanes: list[int]
    col_lanes: list[int]
    seed: int = 0
    lane_width: float = 3.5
    bends: dict[tuple[Node, Node], float] = attrs.field(factory=dict)
    parking_share: float = 0.3
    signal_share: float = 0.6
    corner_radius: float = 18.0


def _edge(a: Node, b: Node) -> tuple[Node, Node]:
    return (a, b) if a < b else (b, a)


def full_grid_edges(nx: int, ny: int) -> set[tuple[Node, Node]]:
    edges = set()
    for i in range(nx):
        for j in range(ny):
            if i + 1 < nx:
                edges.add(((i, j), (i + 1, j)))
            if j + 1 < ny:
                edges.add(((i, j), (i, j + 1)))
    return edges


def _neighbours(edges: set[tuple[Node, Node]]) -> dict[Node, list[Node]]:
    adjacency: dict[Node, list[Node]] = {}
    for a, b in sorted(edges):
        adjacency.setdefault(a, []).append(b)
        adjacency.setdefault(b, []).append(a)
    return adjacency


def _connected(edges: set[tuple[Node, Node]]) -> bool:
    adjacency = _neighbours(edges)
    start = next(iter(sorted(adjacency)))
    seen, queue = {start}, deque([start])
    while queue:
        for nxt in adjacency[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return len(seen) == len(adjacency)


def _chains(edges: set[tuple[Node, Node]], junctions: set[Node]) -> list[list[Node]]:
    """Node paths between junctions through the degree-2 nodes (each street once, in sorted order)."""
    adjacency = _neighbours(edges)
    used: set[tuple[Node, Node]] = set()
    chains = []
    for start in sorted(junctions):
        for first in adjacency[start]:
            if _edge(start, first) in used:
                continue
            path = [start, first]
            used.add(_edge(start, first))
            while path[-1] not in junctions:
                prev, here = path[-2], path[-1]
                nxt = next(n for n in adjacency[here] if n != prev)
                used.add(_edge(here, nxt))
                path.append(nxt)
            chains.append(path)
    return chains


def _lanes_for(spec: GridSpec, a: Node, b: Node) -> int:
    return spec.row_lanes[a[1]] if a[1] == b[1] else spec.col_lanes[a[0]]


def build_grid_town(spec: GridSpec) -> TownDef:
    """Streets on the grid's edges; nodes with three or four streets become junctions."""
    rng = np.random.default_rng(spec.seed)
    adjacency = _neighbours(spec.edges)
    if any(len(n) < 2 for n in adjacency.values()):
        raise ValueError(f"{spec.name}: every grid node needs at least two streets (no dead ends)")
    junctions = {node for node, nbrs in adjacency.items() if len(nbrs) >= 3}
    if not junctions:
        raise ValueError(f"{spec.name}: a grid needs at least one junction")
    point = {node: (spec.xs[node[0]], spec.ys[node[1]]) for node in adjacency}
    chains = _chains(spec.edges, junctions)

    chain_lanes = [_lanes_for(spec, c[0], c[1]) for c in chains]
    chain_parking = [lanes == 1 and rng.random() < spec.parking_share for lanes in chain_lanes]
    half_width = {}
    for chain, lanes, parking in zip(chains, chain_lanes, chain_parking):
        width = lanes * spec.lane_width + (2.5 if parking else 0.0) + 2.0
        for node in (chain[0], chain[-1]):
            half_width[node] = max(half_width.get(node, 0.0), width)
    # The margin beyond the widest arm leaves room for crosswalks and keeps right turns drivable.
    junction_half = {node: half_width[node] + 3.5 for node in junctions}

    builder = TownBuilder(spec.name)
    arms: dict[Node, list[tuple[float, Arm]]] = {node: [] for node in junctions}
    for chain, lanes, parking in zip(chains, chain_lanes, chain_parking):
        pts = [point[n] for n in chain]
        polyline = _bent_polyline(pts, chain, spec.bends)
        polyline[0] = _move_towards(polyline[0], polyline[1], junction_half[chain[0]])
        polyline[-1] = _move_towards(polyline[-1], polyline[-2], junction_half[chain[-1]])
        side = lane_stack(lanes, spec.lane_width, parking=parking)
        road_half = sum(lane.width for lane in side)
        roads = [
            builder.add_road(rounded_polyline(part, max(spec.corner_radius, road_half + 8.0)), side, [*side],
                             speed_kmh=50.0 if lanes > 1 else 40.0)
            for part in _split_loop(polyline, closed=chain[0] == chain[-1])
        ]
        if len(roads) == 2:
            builder.link_roads(roads[0], roads[1], [(k, k) for k in range(-len(side), len(side) + 1) if k])
        for node, arm in ((chain[0], Arm(roads[0], False)), (chain[-1], Arm(roads[-1], True))):
            x, y, _ = arm.mouth
            cx, cy = point[node]
            arms[node].append((math.atan2(y - cy, x - cx), arm))

    controls = _junction_controls(sorted(junctions), arms, rng, spec.signal_share)
    for node in sorted(junctions):
        node_arms = [arm for _, arm in sorted(arms[node], key=lambda item: item[0])]
        builder.add_junction(node_arms, control=controls[node], crosswalks=controls[node] == "signal")
    return builder.build()


def _junction_controls(nodes, arms, rng, signal_share: float) -> dict[Node, str]:
    """Signals at some four-way junctions, stop signs at others and at some T-junctions.

    The first four-way junction always gets lights and the first T-junction a stop sign, so every
    grid town has both controls (when it has both junction kinds).
    """
    controls = {}
    for node in nodes:
        if len(arms[node]) >= 4:
            controls[node] = "signal" if rng.random() < signal_share else "stop"
        else:
            controls[node] = ("stop", "none", "signal")[int(rng.integers(0, 3))]
    four_way = [n for n in nodes if len(arms[n]) >= 4]
    three_way = [n for n in nodes if len(arms[n]) == 3]
    if four_way:
        controls[four_way[0]] = "signal"
    if three_way:
        controls[three_way[0]] = "stop"
    return controls


def _split_loop(polyline: list[tuple[float, float]], closed: bool) -> list[list[tuple[float, float]]]:
    """A street that leaves and re-enters the same junction, cut in two in its longest straight leg.

    The ``carla`` parser cannot tell which end of a road meets a junction when both ends meet the
    same one, so such a street becomes two roads joined end to start.
    """
    if not closed:
        return [polyline]
    legs = [math.dist(polyline[i], polyline[i + 1]) for i in range(len(polyline) - 1)]
    inner = range(1, len(legs) - 1) if len(legs) > 2 else range(len(legs))
    cut = max(inner, key=lambda i: legs[i])
    (x0, y0), (x1, y1) = polyline[cut], polyline[cut + 1]
    middle = ((x0 + x1) / 2.0, (y0 + y1) / 2.0)
    return [polyline[: cut + 1] + [middle], [middle] + polyline[cut + 1:]]


def _move_towards(a: tuple[float, float], b: tuple[float, float], dist: float) -> tuple[float, float]:
    length = math.dist(a, b)
    if dist >= length - 1.0:
        raise ValueError(f"street leg of {length:.1f} m is too short for a junction of half size {dist:.1f} m")
    f = dist / length
    return (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f)


def _bent_polyline(pts, chain, bends) -> list[tuple[float, float]]:
    """The chain's points, with a sideways shift of the middle part of every bent edge."""
    out = [pts[0]]
    for i in range(1, len(pts)):
        offset = bends.get(_edge(chain[i - 1], chain[i]), 0.0)
        if offset:
            (x0, y0), (x1, y1) = pts[i - 1], pts[i]
            length = math.dist(pts[i - 1], pts[i])
            ux, uy = (x1 - x0) / length, (y1 - y0) / length
            # Straight stubs at both ends keep the junction arms on the grid axes.
            stub = min(22.0, 0.3 * length)
            for along, side in ((stub, 0.0), (0.4 * length, offset), (0.6 * length, offset), (length - stub, 0.0)):
                out.append((x0 + ux * along - uy * side, y0 + uy * along + ux * side))
        out.append(pts[i])
    return out


def grid_spec(name: str, nx: int, ny: int, block_m: float, seed: int, lanes: int = 1) -> GridSpec:
    """A regular grid of ``nx`` x ``ny`` nodes, ``block_m`` apart; main streets get ``lanes`` + 1 lanes."""
    rng = np.random.default_rng(seed)
    row_lanes = [lanes] * ny
    col_lanes = [lanes] * nx
    if ny > 2:
        row_lanes[ny // 2] = min(3, lanes + 1)
    if nx > 2:
        col_lanes[nx // 2] = min(3, lanes + 1)
    return GridSpec(
        name=name, xs=[i * block_m for i in range(nx)], ys=[j * block_m for j in range(ny)],
        edges=full_grid_edges(nx, ny), row_lanes=row_lanes, col_lanes=col_lanes,
        seed=int(rng.integers(0, 2**31)),
    )


def irregular_spec(name: str, nx: int, ny: int, seed: int) -> GridSpec:
    """Uneven blocks (45-100 m), 1-3 lanes per street line, missing streets, kinked streets."""
    rng = np.random.default_rng(seed)
    xs = np.concatenate([[0.0], np.cumsum(rng.uniform(55.0, 100.0, nx - 1))]).round(1).tolist()
    ys = np.concatenate([[0.0], np.cumsum(rng.uniform(55.0, 100.0, ny - 1))]).round(1).tolist()
    edges = full_grid_edges(nx, ny)
    for edge in sorted(edges):
        if rng.random() > 0.25:
            continue
        trial = edges - {edge}
        degrees = _neighbours(trial)
        if all(len(degrees.get(n, [])) >= 2 for n in edge) and _connected(trial):
            edges = trial
    bends = {}
    for edge in sorted(edges):
        if rng.random() < 0.3:
            bends[edge] = float(rng.choice([-1.0, 1.0]) * rng.uniform(4.0, 8.0))
    return GridSpec(
        name=name, xs=xs, ys=ys, edges=edges,
        row_lanes=rng.integers(1, 4, ny).tolist(), col_lanes=rng.integers(1, 3, nx).tolist(),
        seed=int(rng.integers(0, 2**31)), bends=bends,
    )


def build_highway_town(name: str, length_m: float = 700.0, lanes: int = 3, seed: int = 0) -> TownDef:
    """A divided highway (two one-way carriageways joined by U-turn loops at both ends).

    Each carriageway has an off-ramp and, downstream, an on-ramp joined by a one-lane local road
    that loops away from the highway: exits and merges happen in junctions.
    """
    rng = np.random.default_rng(seed)
    width = 3.5
    median = 20.0  # half distance between the carriageways' inner edges = U-turn radius
    builder = TownBuilder(name)
    edge_lanes = lane_stack(lanes, width, sidewalk=False)
    carriageways = []
    for direction in (1.0, -1.0):
        # direction +1: eastbound at y = -median; -1: westbound at y = +median (rotated by pi).
        def pose(x: float, y: float) -> tuple[float, float]:
            return (x, y) if direction > 0 else (length_m - x, -y)

        hdg = 0.0 if direction > 0 else math.pi
        off_at = float(rng.uniform(0.25, 0.32)) * length_m
        on_at = float(rng.uniform(0.6, 0.68)) * length_m
        gap = 30.0
        cuts = [0.0, off_at, off_at + gap, on_at, on_at + gap, length_m]
        pieces = []
        for a, b in zip(cuts[0::2], cuts[1::2]):
            start = pose(a, -median)
            pieces.append(builder.add_road(
                PathBuilder(*start, hdg).line(b - a).segments, [*edge_lanes],
                speed_kmh=100.0, road_type="motorway",
            ))
        ramp_y = -median - lanes * width - 6.0
        low_y = ramp_y - 60.0
        ramp_pts = [
            (off_at + gap, ramp_y), (off_at + gap + 30.0, ramp_y), (off_at + gap + 70.0, low_y),
            (on_at - 70.0, low_y), (on_at - 30.0, ramp_y), (on_at, ramp_y),
        ]
        ramp = builder.add_road(
            rounded_polyline([pose(*p) for p in ramp_pts], 25.0), lane_stack(1, width, sidewalk=False),
            speed_kmh=60.0, road_type="motorway",
        )
        off = builder.new_junction([Arm(pieces[0], True), Arm(pieces[1], False), Arm(ramp, False)])
        for k in range(1, lanes + 1):
            builder.add_connection(off, Arm(pieces[0], True), k, Arm(pieces[1], False), k)
        builder.add_connection(off, Arm(pieces[0], True), lanes, Arm(ramp, False), 1)
        on = builder.new_junction([Arm(pieces[1], True), Arm(ramp, True), Arm(pieces[2], False)])
        for k in range(1, lanes + 1):
            builder.add_connection(on, Arm(pieces[1], True), k, Arm(pieces[2], False), k)
        builder.add_connection(on, Arm(ramp, True), 1, Arm(pieces[2], False), lanes)
        carriageways.append(pieces)
    lane_pairs = [(-k, -k) for k in range(1, len(edge_lanes) + 1)]
    for first, second in ((carriageways[0], carriageways[1]), (carriageways[1], carriageways[0])):
        x, y, hdg = first[-1].pose_at(first[-1].length)
        loop = builder.add_road(
            PathBuilder(x, y, hdg).arc(math.pi * median, 1.0 / median).segments, [*edge_lanes],
            speed_kmh=60.0, road_type="motorway",
        )
        builder.link_roads(first[-1], loop, lane_pairs)
        builder.link_roads(loop, second[0], lane_pairs)
    return builder.build()
