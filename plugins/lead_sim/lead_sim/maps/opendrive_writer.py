"""Writes a :class:`TownDef` as OpenDRIVE 1.4 text that ``carla.Map`` parses."""

from __future__ import annotations

import math
from xml.sax.saxutils import quoteattr

from lead_sim.maps.opendrive_model import LaneDef, RoadDef, RoadLink, TownDef


def _f(value: float) -> str:
    return f"{value:.10g}"


def _attrs(**values: object) -> str:
    parts = []
    for key, value in values.items():
        text = _f(value) if isinstance(value, float) else str(value)
        parts.append(f"{key}={quoteattr(text)}")
    return " ".join(parts)


def _link_xml(tag: str, link: RoadLink | None) -> list[str]:
    if link is None:
        return []
    fields = {"elementType": link.element_type, "elementId": link.element_id}
    if link.contact_point is not None:
        fields["contactPoint"] = link.contact_point
    return [f"      <{tag} {_attrs(**fields)}/>"]


def _lane_xml(lane_id: int, lane: LaneDef, links: tuple[int | None, int | None] | None) -> list[str]:
    lines = [f'          <lane {_attrs(id=lane_id, type=lane.type, level="false")}>']
    if links is not None and any(v is not None for v in links):
        lines.append("            <link>")
        if links[0] is not None:
            lines.append(f"              <predecessor id=\"{links[0]}\"/>")
        if links[1] is not None:
            lines.append(f"              <successor id=\"{links[1]}\"/>")
        lines.append("            </link>")
    lines.append(f'            <width {_attrs(sOffset=0.0, a=lane.width, b=0.0, c=0.0, d=0.0)}/>')
    lines.append(
        f'            <roadMark {_attrs(sOffset=0.0, type=lane.mark, weight="standard", color=lane.mark_color, width=0.15 if lane.mark != "none" else 0.0, laneChange=_lane_change(lane.mark))}/>'
    )
    if lane.type == "sidewalk":
        lines.append(f'            <height {_attrs(sOffset=0.0, inner=0.15, outer=0.15)}/>')
    lines.append("          </lane>")
    return lines


def _lane_change(mark: str) -> str:
    return {"broken": "both", "solid": "none", "none": "both"}.get(mark, "none")


def _road_xml(road: RoadDef) -> list[str]:
    lines = [f"  <road {_attrs(name=f'Road {road.id}', length=road.length, id=road.id, junction=road.junction)}>"]
    lines.append("    <link>")
    lines += _link_xml("predecessor", road.predecessor)
    lines += _link_xml("successor", road.successor)
    lines.append("    </link>")
    lines.append(f'    <type {_attrs(s=0.0, type=road.road_type)}>')
    lines.append(f'      <speed {_attrs(max=_f(road.speed_kmh), unit="km/h")}/>')
    lines.append("    </type>")
    lines.append("    <planView>")
    s = 0.0
    for seg in road.segments:
        lines.append(f"      <geometry {_attrs(s=s, x=seg.x, y=seg.y, hdg=seg.hdg, length=seg.length)}>")
        if abs(seg.curvature) < 1e-12:
            lines.append("        <line/>")
        else:
            lines.append(f"        <arc {_attrs(curvature=seg.curvature)}/>")
        lines.append("      </geometry>")
        s += seg.length
    lines.append("    </planView>")
    lines.append("    <elevationProfile>")
    lines.append(f'      <elevation {_attrs(s=0.0, a=0.0, b=0.0, c=0.0, d=0.0)}/>')
    lines.append("    </elevationProfile>")
    lines.append("    <lateralProfile/>")
    lines.append("    <lanes>")
    lines.append("      <laneSection s=\"0\">")
    if road.left:
        lines.append("        <left>")
        for index in range(len(road.left), 0, -1):
            lines += _lane_xml(index, road.left[index - 1], road.lane_links.get(index))
        lines.append("        </left>")
    lines.append("        <center>")
    lines.append('          <lane id="0" type="none" level="false">')
    lines.append(
        f'            <roadMark {_attrs(sOffset=0.0, type=road.center_mark, weight="standard", color=road.center_mark_color, width=0.15 if road.center_mark != "none" else 0.0, laneChange=_lane_change(road.center_mark))}/>'
    )
    lines.append("          </lane>")
    lines.append("        </center>")
    if road.right:
        lines.append("        <right>")
        for index in range(1, len(road.right) + 1):
            lines += _lane_xml(-index, road.right[index - 1], road.lane_links.get(-index))
        lines.append("        </right>")
    lines.append("      </laneSection>")
    lines.append("    </lanes>")
    lines += _objects_xml(road)
    lines += _signals_xml(road)
    lines.append("  </road>")
    return lines


def _objects_xml(road: RoadDef) -> list[str]:
    if not road.crosswalks:
        return ["    <objects/>"]
    lines = ["    <objects>"]
    for cw in road.crosswalks:
        half_u, half_v = cw.across_m / 2.0, cw.along_m / 2.0
        lines.append(
            f"      <object {_attrs(id=cw.id, name='Crosswalk', s=cw.s, t=cw.t, zOffset=0.0, hdg=math.pi / 2, roll=0.0, pitch=0.0, orientation='+', type='crosswalk', width=cw.along_m, length=cw.across_m)}>"
        )
        lines.append("        <outline>")
        for u, v in ((half_u, half_v), (half_u, -half_v), (-half_u, -half_v), (-half_u, half_v), (half_u, half_v)):
            lines.append(f"          <cornerLocal {_attrs(u=u, v=v, z=0.0)}/>")
        lines.append("        </outline>")
        lines.append("      </object>")
    lines.append("    </objects>")
    return lines


def _signals_xml(road: RoadDef) -> list[str]:
    if not road.signals:
        return ["    <signals/>"]
    lines = ["    <signals>"]
    for sig in road.signals:
        lines.append(
            f"      <signal {_attrs(name=sig.name or f'Signal_{sig.id}', id=sig.id, s=sig.s, t=sig.t, zOffset=0.0, hOffset=0.0, roll=0.0, pitch=0.0, orientation=sig.orientation, dynamic='yes' if sig.dynamic else 'no', country='OpenDRIVE', type=sig.type, subtype=sig.subtype, value=-1.0, text='', height=sig.height, width=0.5)}>"
        )
        lines.append(f"        <validity {_attrs(fromLane=sig.valid_from, toLane=sig.valid_to)}/>")
        lines.append("      </signal>")
    lines.append("    </signals>")
    return lines


def _bounds(town: TownDef) -> tuple[float, float, float, float]:
    xs, ys = [], []
    for road in town.roads.values():
        for seg in road.segments:
            xs += [seg.x, seg.end_pose()[0]]
            ys += [seg.y, seg.end_pose()[1]]
    return max(ys), min(ys), max(xs), min(xs)


def to_xodr(town: TownDef) -> str:
    """OpenDRIVE 1.4 text of ``town`` (deterministic: same town, same bytes)."""
    north, south, east, west = _bounds(town)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<OpenDRIVE>"]
    lines.append(
        f"  <header {_attrs(revMajor=1, revMinor=4, name=town.name, version='1.00', date='2026-01-01T00:00:00', north=north, south=south, east=east, west=west, vendor='lead_sim')}>"
    )
    lines.append(
        f"    <geoReference><![CDATA[+proj=tmerc +lat_0={_f(town.lat0)} +lon_0={_f(town.lon0)} +k=1 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs ]]></geoReference>"
    )
    lines.append("  </header>")
    for road_id in sorted(town.roads):
        lines += _road_xml(town.roads[road_id])
    for junction_id in sorted(town.junctions):
        junction = town.junctions[junction_id]
        lines.append(f"  <junction {_attrs(id=junction.id, name=f'Junction {junction.id}')}>")
        for index, conn in enumerate(junction.connections):
            lines.append(
                f"    <connection {_attrs(id=index, incomingRoad=conn.incoming_road, connectingRoad=conn.connecting_road, contactPoint=conn.contact_point)}>"
            )
            for lane_from, lane_to in conn.lane_links:
                lines.append(f"      <laneLink {_attrs(**{'from': lane_from, 'to': lane_to})}/>")
            lines.append("    </connection>")
        lines.append("  </junction>")
    lines.append("</OpenDRIVE>")
    return "\n".join(lines) + "\n"
