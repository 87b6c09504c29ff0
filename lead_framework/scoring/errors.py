"""Errors raised by the scoring package. Each message names the offending value and the fix."""

from __future__ import annotations


class ScoringError(ValueError):
    """Bad input to a scoring function (unknown key, missing percentage, inconsistent routes)."""


class ResultsFileError(ScoringError):
    """A results JSON file that cannot be read or does not have the leaderboard's layout."""
