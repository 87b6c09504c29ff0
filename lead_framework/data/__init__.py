"""The data layer: WebDataset shards with crash-safe writing, an index, buckets and a reader.

A data set is one folder: ``shard-<writer id>-<number>.tar`` files, ``index.json`` (shards,
routes, per-sample bucket attributes), ``index.lock`` and a ``.tmp/`` folder for routes being
written. See :mod:`lead_framework.data.writer` for the crash-safety guarantees.
"""

from lead_framework.data.buckets import Bucket, parse_buckets
from lead_framework.data.codecs import decode_member, encode_member
from lead_framework.data.errors import (
    BucketSpecError,
    CodecError,
    CorruptShardError,
    DataError,
    IndexFormatError,
    InvalidKeyError,
    RouteExistsError,
    WriterInUseError,
)
from lead_framework.data.index import load_index
from lead_framework.data.reader import ShardDataset
from lead_framework.data.verify import Problem, verify
from lead_framework.data.writer import DatasetWriter, RouteWriter, sample_key

__all__ = [
    "Bucket",
    "BucketSpecError",
    "CodecError",
    "CorruptShardError",
    "DataError",
    "DatasetWriter",
    "IndexFormatError",
    "InvalidKeyError",
    "Problem",
    "RouteExistsError",
    "RouteWriter",
    "ShardDataset",
    "WriterInUseError",
    "decode_member",
    "encode_member",
    "load_index",
    "parse_buckets",
    "sample_key",
    "verify",
]
