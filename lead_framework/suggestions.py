"""The "did you mean ...?" hint that error messages give for a misspelt name."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence


def close_names(name: str, known: Iterable[str], *, n: int = 3, cutoff: float = 0.5) -> list[str]:
    """Up to ``n`` entries of ``known`` that look like ``name``, closest first."""
    return difflib.get_close_matches(name, list(known), n=n, cutoff=cutoff)


def did_you_mean(close: Sequence[str], otherwise: str) -> str:
    """``did you mean 'a' or 'b'?`` for the ``close`` names, or ``otherwise`` when there are none."""
    return f"did you mean {' or '.join(repr(name) for name in close)}?" if close else otherwise
