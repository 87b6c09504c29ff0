"""``python -m lead_sim.maps``: list the procedural town presets or save one as an ``.xodr`` file."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from lead_sim.maps.opendrive_gen import write_town
from lead_sim.maps.presets import PRESET_BUILDERS


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lead_sim.maps", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="print the preset names")
    write = commands.add_parser("write", help="save a preset as OpenDRIVE")
    write.add_argument("preset", choices=sorted(PRESET_BUILDERS))
    write.add_argument("path", help="output file, e.g. grid_small.xodr")
    args = parser.parse_args(argv)
    if args.command == "list":
        print("\n".join(sorted(PRESET_BUILDERS)))
    else:
        print(write_town(args.preset, args.path))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
