"""Progress output: a live bar on a terminal, one plain line per step in logs and CI."""

from __future__ import annotations

import logging
import sys
from typing import Any

from tqdm import tqdm

log = logging.getLogger("lead_framework")


class Progress:
    """Counts the steps of a stage (routes, epochs, ...). Use as a context manager."""

    def __init__(self, total: int | None, description: str, *, unit: str = "step", interactive: bool | None = None):
        self.total, self.description, self.unit, self.done = total, description, unit, 0
        self.interactive = sys.stderr.isatty() if interactive is None else interactive
        self._bar = tqdm(total=total, desc=description, unit=unit, dynamic_ncols=True) if self.interactive else None

    def update(self, n: int = 1, message: str = "", **postfix: Any) -> None:
        self.done += n
        if self._bar is not None:
            if postfix:
                self._bar.set_postfix(postfix, refresh=False)
            self._bar.update(n)
            return
        total = f"/{self.total}" if self.total else ""
        fields = " ".join(f"{key}={_fmt(value)}" for key, value in postfix.items())
        line = f"[{self.description}] {self.unit} {self.done}{total}" + (f" {message}" if message else "") + (f" {fields}" if fields else "")
        print(line, flush=True)
        log.info(line)

    def write(self, message: str) -> None:
        """Print a line without breaking the bar."""
        if self._bar is not None:
            self._bar.write(message)
        else:
            print(message, flush=True)
        log.info(message)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
