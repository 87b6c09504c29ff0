"""Route videos that a browser can play, written with OpenCV's bundled FFmpeg.

The wheel of ``opencv-python`` ships FFmpeg with libvpx but without a software H.264 encoder
(``avc1`` only reaches for a hardware encoder that is absent on most machines), and its
``mp4v`` (MPEG-4 Part 2) output is not played by Chromium or Firefox. VP8 in WebM is both
available and played by every current browser, and it encodes several times faster than VP9,
so it is tried first; VP9 in WebM and H.264 in MP4 follow for builds where VP8 is missing.
FFmpeg's WebM muxer writes a cue index, so browsers can seek in the file.

OpenCV checks the FourCC against the container's tag table, which WebM lacks, and prints "tag ...
is not supported ... format 'webm / WebM'" straight to the process's standard error for every
WebM it opens, then writes the file fine; :func:`_quiet_native_stderr` keeps that line out of
the output of every evaluation with videos.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np

#: (container suffix, FourCC) in order of preference; see the module docstring for why.
CODECS: tuple[tuple[str, str], ...] = (("webm", "VP80"), ("webm", "VP90"), ("mp4", "avc1"))
#: Suffixes of the videos a route folder may hold, as the web app serves them.
VIDEO_SUFFIXES: tuple[str, ...] = tuple(dict.fromkeys(suffix for suffix, _ in CODECS))


class VideoError(Exception):
    """A video cannot be written: no working codec, a bad frame or a bad argument."""


class VideoWriter:
    """Writes BGR ``uint8`` frames of one size to a browser-playable video.

    ``path`` may name a suffix (``.webm`` or ``.mp4``) to pin the container, or have none, in
    which case the first working entry of :data:`CODECS` decides it; the chosen file is
    :attr:`path` after opening. Use it as a context manager::

        with VideoWriter(route_dir / "video", fps=20, size=(640, 360)) as video:
            video.write(frame)
    """

    def __init__(self, path: str | Path, fps: float = 20.0, size: tuple[int, int] | None = None):
        if fps <= 0:
            raise VideoError(f"{path}: fps must be > 0, got {fps}")
        if size is not None:
            _check_size(path, size)
        self.requested = Path(path)
        self.fps = float(fps)
        self.size = size  # (width, height); taken from the first frame when None
        self.path: Path | None = None
        self.codec: str | None = None
        self.frames = 0
        self._writer: cv2.VideoWriter | None = None

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()

    def write(self, frame: np.ndarray) -> None:
        """Append one frame (``H x W x 3`` BGR ``uint8``; grayscale ``H x W`` is accepted)."""
        frame = np.asarray(frame)
        if frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise VideoError(f"{self.requested}: frames must be HxWx3 uint8 BGR images, got shape {frame.shape} dtype {frame.dtype}")
        height, width = frame.shape[:2]
        if self._writer is None:
            if self.size is None:
                _check_size(self.requested, (width, height))
                self.size = (width, height)
            self._open()
        if (width, height) != self.size:
            raise VideoError(f"{self.path}: frame {self.frames} is {width}x{height} but the video is {self.size[0]}x{self.size[1]}; resize frames to one size")
        self._writer.write(np.ascontiguousarray(frame))
        self.frames += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def _open(self) -> None:
        suffix = self.requested.suffix.lstrip(".").lower()
        candidates = [(s, c) for s, c in CODECS if not suffix or s == suffix]
        if not candidates:
            raise VideoError(f"{self.requested}: unsupported video suffix {self.requested.suffix!r}; use one of {', '.join('.' + s for s in VIDEO_SUFFIXES)} or none")
        base = self.requested.with_suffix("") if suffix else self.requested
        base.parent.mkdir(parents=True, exist_ok=True)
        tried = []
        for container, fourcc in candidates:
            path = base.with_name(f"{base.name}.{container}")
            with _quiet_native_stderr():
                writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), self.fps, self.size)
            if writer.isOpened():
                self._writer, self.path, self.codec = writer, path, fourcc
                return
            writer.release()
            path.unlink(missing_ok=True)
            tried.append(f"{fourcc} in .{container}")
        raise VideoError(
            f"{self.requested}: this OpenCV build ({cv2.__version__}) cannot encode a browser-playable video "
            f"(tried {', '.join(tried)}); install the opencv-python wheel, whose FFmpeg includes libvpx"
        )


@contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Point file descriptor 2 at the null device for the block, where native code (OpenCV's
    FFmpeg backend) writes; Python's ``sys.stderr`` is flushed before and used as usual after.
    A failed open is still reported, by :class:`VideoError`."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _check_size(path: str | Path, size: tuple[int, int]) -> None:
    width, height = size
    if width < 2 or height < 2 or width % 2 or height % 2:
        raise VideoError(f"{path}: frame size {width}x{height} must be even and at least 2x2 (video encoders subsample colour by 2); crop or pad the frames")


def frames_to_video(frames: Iterable[np.ndarray], path: str | Path, fps: float = 20.0) -> Path:
    """Write all ``frames`` to one video and return the file written (its suffix tells the codec)."""
    with VideoWriter(path, fps=fps) as video:
        for frame in frames:
            video.write(frame)
    if video.path is None:
        raise VideoError(f"{path}: no frames to write")
    return video.path


def annotate_frame(image: np.ndarray, lines: Sequence[str], *, origin: tuple[int, int] = (8, 8), scale: float = 0.5) -> np.ndarray:
    """A copy of ``image`` with ``lines`` of text drawn top-left on a dark box, readable on any scene."""
    out = np.array(image, dtype=np.uint8, copy=True)
    if not lines:
        return out
    font, thickness = cv2.FONT_HERSHEY_SIMPLEX, 1
    sizes = [cv2.getTextSize(line, font, scale, thickness) for line in lines]
    line_height = max(h + base for (_, h), base in sizes) + 4
    width = max(w for (w, _), _ in sizes)
    x, y = origin
    box_end = (min(out.shape[1] - 1, x + width + 8), min(out.shape[0] - 1, y + line_height * len(lines) + 4))
    region = out[y : box_end[1], x : box_end[0]]
    region[:] = (region * 0.4).astype(np.uint8)  # darken rather than cover, so the scene stays visible
    for i, line in enumerate(lines):
        baseline_y = y + 4 + line_height * (i + 1) - 4
        cv2.putText(out, line, (x + 4, baseline_y), font, scale, (255, 255, 255), thickness, cv2.LINE_AA)
    return out
