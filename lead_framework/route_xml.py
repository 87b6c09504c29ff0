"""Reading and writing CARLA Leaderboard 2.0 route files (also Bench2Drive's, with ``<weathers>`` last).

::

    <routes>
      <route id="0" town="Town12">
        <weathers><weather route_percentage="0" cloudiness="5.0" .../></weathers>
        <waypoints><position x="983.5" y="5382.2" z="371"/></waypoints>
        <scenarios>
          <scenario name="ParkingExit_1" type="ParkingExit">
            <trigger_point x="983.5" y="5382.2" z="371" yaw="90"/>
            <direction value="right"/>
          </scenario>
        </scenarios>
      </route>
    </routes>

Route attributes other than ``id`` and ``town`` are kept as strings in ``RouteSpec.extra``;
weather attributes that :class:`Weather` has no field for are dropped.
"""

from __future__ import annotations

import math
from pathlib import Path
from xml.parsers import expat
from xml.sax.saxutils import quoteattr

import attrs

from lead_framework.route import (
    Location,
    RouteSpec,
    ScenarioSpec,
    TriggerPoint,
    Weather,
)

_WEATHER_FIELDS = [f.name for f in attrs.fields(Weather)]


class RouteFileError(ValueError):
    """A route file that cannot be read: the message names the file, line and route."""


@attrs.define(eq=False)
class _Node:
    tag: str
    attrib: dict[str, str]
    line: int
    children: list[_Node] = attrs.field(factory=list)

    def find(self, tag: str) -> _Node | None:
        return next((c for c in self.children if c.tag == tag), None)


def _parse(text: str, source: str) -> _Node:
    """Parses ``text`` into nodes that remember their line (expat reports it per element)."""
    parser = expat.ParserCreate()
    stack: list[_Node] = []
    root: list[_Node] = []

    def start(tag: str, attrib: dict[str, str]) -> None:
        node = _Node(tag, dict(attrib), parser.CurrentLineNumber)
        (stack[-1].children if stack else root).append(node)
        stack.append(node)

    def end(tag: str) -> None:
        stack.pop()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(text, True)
    except expat.ExpatError as error:
        raise RouteFileError(
            f"{source}:{error.lineno}:{error.offset + 1}: malformed XML: {expat.ErrorString(error.code)}"
        ) from None
    return root[0]


def _children(node: _Node | None, tag: str) -> list[_Node]:
    return [] if node is None else [c for c in node.children if c.tag == tag]


def _number(node: _Node, key: str, where: str, default: float | None = None) -> float:
    if key not in node.attrib:
        if default is not None:
            return default
        raise RouteFileError(f"{where}:{node.line}: <{node.tag}> lacks the attribute {key!r}")
    raw = node.attrib[key]
    try:
        value = float(raw)
    except ValueError:
        raise RouteFileError(
            f"{where}:{node.line}: <{node.tag}> {key}={raw!r} is not a number"
        ) from None
    if not math.isfinite(value):
        raise RouteFileError(f"{where}:{node.line}: <{node.tag}> {key}={raw!r} is not finite")
    return value


def _read_route(node: _Node, source: str) -> RouteSpec:
    route_id = node.attrib.get("id")
    if route_id is None:
        raise RouteFileError(f"{source}:{node.line}: <route> lacks the attribute 'id'")
    where = f"{source} (route {route_id})"
    town = node.attrib.get("town")
    if not town:
        raise RouteFileError(f"{where}:{node.line}: <route id={route_id!r}> lacks the attribute 'town'")
    waypoints_node = node.find("waypoints")
    positions = _children(waypoints_node, "position")
    if not positions:
        raise RouteFileError(
            f"{where}:{node.line}: route {route_id!r} has no <waypoints> with <position x= y= z=/> entries"
        )
    waypoints = [
        Location(_number(p, "x", where), _number(p, "y", where), _number(p, "z", where, 0.0)) for p in positions
    ]
    weathers = []
    weathers_node = node.find("weathers")
    for w in _children(weathers_node, "weather"):
        values = {k: _number(w, k, where) for k in w.attrib if k in _WEATHER_FIELDS}
        weathers.append(Weather(**values))
    scenarios = []
    scenarios_node = node.find("scenarios")
    for s in _children(scenarios_node, "scenario"):
        scenarios.append(_read_scenario(s, where))
    extra = {k: v for k, v in node.attrib.items() if k not in ("id", "town")}
    return RouteSpec(id=route_id, town=town, waypoints=waypoints, weathers=weathers, scenarios=scenarios, extra=extra)


def _read_scenario(node: _Node, where: str) -> ScenarioSpec:
    for key in ("name", "type"):
        if key not in node.attrib:
            raise RouteFileError(f"{where}:{node.line}: <scenario> lacks the attribute {key!r}")
    trigger_node = node.find("trigger_point")
    if trigger_node is None:
        raise RouteFileError(f"{where}:{node.line}: scenario {node.attrib['name']!r} has no <trigger_point>")
    trigger = TriggerPoint(
        _number(trigger_node, "x", where), _number(trigger_node, "y", where),
        _number(trigger_node, "z", where, 0.0), _number(trigger_node, "yaw", where, 0.0),
    )
    params = {c.tag: dict(c.attrib) for c in node.children if c.tag != "trigger_point"}
    return ScenarioSpec(name=node.attrib["name"], type=node.attrib["type"], trigger=trigger, params=params)


def read_routes(path: str | Path) -> list[RouteSpec]:
    """All routes of a Leaderboard 2.0 / Bench2Drive route file, in file order."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise RouteFileError(f"{source}: cannot read route file: {error.strerror}") from None
    root = _parse(text, source)
    if root.tag != "routes":
        raise RouteFileError(f"{source}:{root.line}: the root element is <{root.tag}>, expected <routes>")
    return [_read_route(node, source) for node in root.children if node.tag == "route"]


def _fmt(value: float) -> str:
    return repr(float(value))


def _tag(name: str, values: dict[str, str]) -> str:
    body = " ".join(f"{k}={quoteattr(str(v))}" for k, v in values.items())
    return f"<{name} {body}/>" if body else f"<{name}/>"


def _route_lines(route: RouteSpec, weathers_last: bool) -> list[str]:
    head = {"id": route.id, "town": route.town, **{k: str(v) for k, v in route.extra.items()}}
    weathers = ["    <weathers>"] + [
        "      " + _tag("weather", {f: _fmt(getattr(w, f)) for f in _WEATHER_FIELDS}) for w in route.weathers
    ] + ["    </weathers>"]
    waypoints = ["    <waypoints>"] + [
        "      " + _tag("position", {"x": _fmt(p.x), "y": _fmt(p.y), "z": _fmt(p.z)}) for p in route.waypoints
    ] + ["    </waypoints>"]
    scenarios = ["    <scenarios>"]
    for s in route.scenarios:
        scenarios.append(f"      <scenario name={quoteattr(s.name)} type={quoteattr(s.type)}>")
        t = s.trigger
        scenarios.append("        " + _tag("trigger_point", {"x": _fmt(t.x), "y": _fmt(t.y), "z": _fmt(t.z), "yaw": _fmt(t.yaw)}))
        scenarios += ["        " + _tag(tag, values) for tag, values in s.params.items()]
        scenarios.append("      </scenario>")
    scenarios.append("    </scenarios>")
    body = waypoints + scenarios + weathers if weathers_last else weathers + waypoints + scenarios
    open_tag = _tag("route", head)[:-2] + ">"
    return ["  " + open_tag, *body, "  </route>"]


def write_routes(path: str | Path, routes: list[RouteSpec], *, weathers_last: bool = False) -> Path:
    """Writes ``routes`` as a route file (``weathers_last`` for Bench2Drive's element order)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<routes>"]
    for route in routes:
        lines += _route_lines(route, weathers_last)
    lines.append("</routes>")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target
