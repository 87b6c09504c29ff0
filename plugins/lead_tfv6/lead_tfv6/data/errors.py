"""Errors of the TFv6 data pipeline."""

from __future__ import annotations


class SampleFormatError(ValueError):
    """A shard sample that lacks a member or field the TFv6 pipeline needs, or has it malformed."""

    def __init__(self, key: str, problem: str):
        self.key = key
        super().__init__(f"sample {key}: {problem}; see docs/data-format.md for the sample format")
