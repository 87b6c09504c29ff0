"""Integrity check of a data set folder against its index (``leadfw data verify DIR``)."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import attrs

from lead_framework.data.errors import IndexFormatError
from lead_framework.data.index import (
    INDEX_FILE,
    TEMP_DIR,
    load_index,
    temp_file_owner,
    writer_alive,
)

_HASH_CHUNK = 1 << 20


@attrs.define(frozen=True)
class Problem:
    """One finding: the file concerned and what is wrong with it."""

    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _tar_keys(path: Path) -> list[str]:
    """Sample keys in tar order (the text before the first dot of each member name)."""
    keys: list[str] = []
    with tarfile.open(path, "r:") as archive:
        for info in archive.getmembers():
            key = info.name.partition(".")[0]
            if not keys or keys[-1] != key:
                keys.append(key)
    return keys


def verify(root: Path | str, *, check_hashes: bool = True) -> list[Problem]:
    """Every problem found in ``root``: missing, resized, altered or unparsable shards, index
    entries that disagree with the tar contents, unlisted shards and leftovers of dead writers.
    An empty list means the folder is sound."""
    root = Path(root)
    try:
        index = load_index(root)
    except IndexFormatError as error:
        return [Problem(INDEX_FILE, str(error))]
    problems: list[Problem] = []
    fix = "re-collect route {route} (remove it from the index and run collection again)"
    shard_keys: dict[str, list[str]] = {}
    for route_id, route in index["routes"].items():
        position = 0
        for shard in route["shards"]:
            if shard not in index["shards"]:
                problems.append(Problem(INDEX_FILE, f"route {route_id} lists shard {shard}, which the index does not describe"))
                continue
            count = index["shards"][shard]["samples"]
            shard_keys[shard] = route["keys"][position : position + count]
            position += count
        if position != route["samples"] or len(route["keys"]) != route["samples"]:
            problems.append(Problem(INDEX_FILE, f"route {route_id}: {route['samples']} samples listed, {position} in its shards, {len(route['keys'])} keys"))
    for shard, entry in index["shards"].items():
        path = root / shard
        again = fix.format(route=entry["route"])
        if not path.exists():
            problems.append(Problem(shard, f"missing; {again}"))
            continue
        size = path.stat().st_size
        if size != entry["bytes"]:
            problems.append(Problem(shard, f"{size} bytes, the index lists {entry['bytes']} (truncated or overwritten); {again}"))
            continue
        if check_hashes and _sha256(path) != entry["sha256"]:
            problems.append(Problem(shard, f"sha256 differs from the index (bytes altered); {again}"))
            continue
        try:
            keys = _tar_keys(path)
        except tarfile.TarError as error:
            problems.append(Problem(shard, f"not a readable tar file ({error}); {again}"))
            continue
        if keys != shard_keys.get(shard, keys):
            problems.append(Problem(shard, f"holds {len(keys)} samples that differ from the {len(shard_keys[shard])} the index lists; {again}"))
    for path in sorted(root.glob("shard-*.tar")):
        if path.name not in index["shards"]:
            problems.append(Problem(path.name, "not listed in the index (debris of a killed writer; the next DatasetWriter open removes it)"))
    temp_dir = root / TEMP_DIR
    for path in sorted(temp_dir.iterdir()) if temp_dir.is_dir() else []:
        if path.suffix != ".lock" and not writer_alive(temp_dir, temp_file_owner(path)):
            problems.append(Problem(f"{TEMP_DIR}/{path.name}", "temporary file of a dead writer (the next DatasetWriter open removes it)"))
    return problems
