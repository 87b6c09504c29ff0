"""Errors of the train stage."""

from __future__ import annotations

from lead_framework.stages import StageError


class TrainConfigError(StageError):
    """A train stage that cannot start (bad model settings, missing data or init); the message says the fix."""


class ResumeError(StageError):
    """A checkpoint in the stage folder that does not fit the current run."""
