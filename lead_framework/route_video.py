"""Route videos of an evaluation: the agent's debug picture (or its cameras) with a caption.

Video time equals route time (frames every ``every`` ticks at 20 / every fps), so the infraction
web app can seek to an infraction's ``time_s``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from lead_framework.agent import Agent
from lead_framework.video import VideoWriter, annotate_frame
from lead_framework.world import TICK_RATE_HZ, Observer, TickInfo

#: Frames wider than this are scaled down (keeps files small and encoding fast).
MAX_WIDTH = 1152


def camera_strip(input_data: dict[str, tuple[int, Any]]) -> np.ndarray | None:
    """The RGB camera images of a tick (BGRA arrays, ordered by sensor id) side by side, as BGR."""
    images = [data[..., :3] for _, (_, data) in sorted(input_data.items())
              if isinstance(data, np.ndarray) and data.ndim == 3 and data.shape[2] == 4 and data.dtype == np.uint8]
    if not images:
        return None
    height = min(image.shape[0] for image in images)
    return np.hstack([cv2.resize(image, (image.shape[1] * height // image.shape[0], height)) for image in images])


def _even(frame: np.ndarray) -> np.ndarray:
    height, width = frame.shape[:2]
    if width > MAX_WIDTH:
        frame = cv2.resize(frame, (MAX_WIDTH, int(height * MAX_WIDTH / width)))
        height, width = frame.shape[:2]
    return np.ascontiguousarray(frame[: height - height % 2, : width - width % 2])


class RouteVideo(Observer):
    """Writes ``<path>.<ext>``: one frame every ``every`` ticks; nothing when there is no picture."""

    def __init__(self, path: Path, agent: Agent, every: int = 2):
        self.path, self.agent, self.every = path, agent, every
        self.writer: VideoWriter | None = None

    def on_tick(self, info: TickInfo) -> None:
        if info.tick % self.every:
            return
        frame = self.agent.debug_image(info.input_data)
        if frame is None:
            frame = camera_strip(info.input_data)
        if frame is None:
            return
        control = info.control
        caption = [f"t {info.timestamp:6.2f} s  tick {info.tick}",
                   f"throttle {control.throttle:.2f}  steer {control.steer:+.2f}  brake {control.brake:.2f}"]
        speed = info.extra.get("ego", {}).get("speed")
        if speed is not None:
            caption.append(f"speed {speed:.1f} m/s")
        frame = _even(annotate_frame(frame, caption))
        if self.writer is None:
            self.writer = VideoWriter(self.path, fps=TICK_RATE_HZ / self.every)
        self.writer.write(frame)

    def on_route_end(self, record) -> None:
        if self.writer is not None:
            self.writer.close()
