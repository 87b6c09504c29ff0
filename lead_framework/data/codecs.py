"""Encoding and decoding of sample members by file extension.

A member name is ``<name>.<ext>`` (``rgb.jpg``, ``lidar.npy``). WebDataset splits a tar member
name at the first dot of its base name into sample key and member name, so neither the key nor
the part before the extension may contain a dot.
"""

from __future__ import annotations

import io
import json
from typing import Any

import cv2
import numpy as np

from lead_framework.data.errors import CodecError

ENCODED_EXTENSIONS: tuple[str, ...] = ("jpg", "png", "npy", "json", "txt")
#: Fast zlib level, no per-row filter and run-length matching: label images (semantics, BEV, depth) are flat
#: regions that compress as well unfiltered (libpng's adaptive filter search costs about 4x the encoding time),
#: and zlib's run-length strategy is faster on them and halves the size of semantics.
PNG_PARAMS = [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_NONE,
              cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE]


def extension_of(member: str) -> str:
    """The codec extension of a member name (the text after its last dot)."""
    _, dot, extension = member.rpartition(".")
    if not dot:
        raise CodecError(
            f"member {member!r} has no extension; name members like 'rgb.jpg' "
            f"(supported: {', '.join(ENCODED_EXTENSIONS)})"
        )
    return extension.lower()


def _swap_rgb_bgr(image: np.ndarray) -> np.ndarray:
    """OpenCV stores colour images as BGR(A); arrays in samples are RGB(A)."""
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA)
    return image


def _check_image(member: str, value: Any, dtypes: tuple[type, ...], channels: tuple[int, ...]) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise CodecError(f"member {member!r}: expected a numpy image array, got {type(value).__name__}")
    if value.dtype.type not in dtypes:
        names = "/".join(np.dtype(d).name for d in dtypes)
        raise CodecError(f"member {member!r}: dtype {value.dtype} cannot be stored as .{extension_of(member)}; convert to {names}")
    if value.ndim == 2 or (value.ndim == 3 and value.shape[2] in channels):
        return value
    raise CodecError(
        f"member {member!r}: shape {value.shape} is not an image (H, W) or (H, W, C) with C in {channels}"
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode_json(member: str, value: Any) -> bytes:
    """Compact JSON; numpy scalars and arrays become numbers and lists."""
    try:
        return json.dumps(value, separators=(",", ":"), default=_json_default).encode("utf-8")
    except (TypeError, ValueError) as error:
        raise CodecError(f"member {member!r}: cannot encode as JSON: {error}") from error


def encode_member(member: str, value: Any, *, jpeg_quality: int = 90) -> bytes:
    """Bytes of one member; the extension of ``member`` picks the codec."""
    extension = extension_of(member)
    if extension == "jpg":
        image = _check_image(member, value, (np.uint8,), (1, 3))
        ok, buffer = cv2.imencode(".jpg", _swap_rgb_bgr(image), [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
    elif extension == "png":
        image = _check_image(member, value, (np.uint8, np.uint16), (1, 3, 4))
        ok, buffer = cv2.imencode(".png", _swap_rgb_bgr(image), PNG_PARAMS)
    elif extension == "npy":
        stream = io.BytesIO()
        try:
            np.save(stream, np.asarray(value), allow_pickle=False)
        except ValueError as error:
            raise CodecError(f"member {member!r}: only plain numeric arrays go into .npy ({error})") from error
        return stream.getvalue()
    elif extension == "json":
        return encode_json(member, value)
    elif extension == "txt":
        if not isinstance(value, str):
            raise CodecError(f"member {member!r}: .txt takes a str, got {type(value).__name__}")
        return value.encode("utf-8")
    else:
        raise CodecError(f"member {member!r}: unknown extension .{extension}; supported: {', '.join(ENCODED_EXTENSIONS)}")
    if not ok:
        raise CodecError(f"member {member!r}: OpenCV failed to encode an array of shape {value.shape}")
    return buffer.tobytes()


def decode_member(member: str, data: bytes) -> Any:
    """The value of one member from its bytes (images as RGB arrays, JSON as dicts)."""
    extension = extension_of(member)
    if extension in ("jpg", "png"):
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise CodecError(f"member {member!r}: {len(data)} bytes are not a valid .{extension} image")
        return _swap_rgb_bgr(image)
    if extension == "npy":
        return np.load(io.BytesIO(data), allow_pickle=False)
    if extension == "json":
        return json.loads(data)
    if extension == "txt":
        return data.decode("utf-8")
    raise CodecError(f"member {member!r}: unknown extension .{extension}; supported: {', '.join(ENCODED_EXTENSIONS)}")
