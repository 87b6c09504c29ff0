"""Exceptions of the data layer; each message names the file or value at fault and the fix."""

from __future__ import annotations


class DataError(Exception):
    """Base class of every data-layer error."""


class CodecError(DataError, ValueError):
    """A sample member that cannot be encoded or decoded (unknown extension, wrong dtype or shape)."""


class InvalidKeyError(DataError, ValueError):
    """A route id or member name that would break WebDataset's key/extension split."""


class RouteExistsError(DataError):
    """A route that the data set's index already lists."""


class WriterInUseError(DataError):
    """Another live process writes to the same data set with the same writer id."""


class IndexFormatError(DataError):
    """A missing or unreadable ``index.json``."""


class BucketSpecError(DataError, ValueError):
    """A malformed bucket specification."""


class CorruptShardError(DataError):
    """A shard whose bytes do not match the index or that cannot be parsed as a tar file."""

    def __init__(self, shard: str, reason: str, *, key: str | None = None, route: str | None = None):
        self.shard, self.reason, self.key, self.route = shard, reason, key, route
        where = f"shard {shard}" + (f" (after sample {key})" if key else "")
        fix = "run `leadfw data verify <data set folder>` to list every damaged shard"
        if route:
            fix += f", then re-collect route {route}"
        super().__init__(f"{where}: {reason}; {fix}")
