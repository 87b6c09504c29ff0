"""Route videos: written with OpenCV's FFmpeg, read back frame by frame."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest

from lead_framework.video import VideoError, VideoWriter, annotate_frame, frames_to_video


def level_frame(level: int, size=(64, 48)) -> np.ndarray:
    return np.full((size[1], size[0], 3), level, np.uint8)


def read_frames(path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames


def test_frames_come_back_in_order_with_the_fps(tmp_path):
    levels = [20 + 10 * i for i in range(20)]
    path = frames_to_video((level_frame(v) for v in levels), tmp_path / "route" / "video", fps=10)
    assert path.parent == tmp_path / "route" and path.stem == "video" and path.suffix == ".webm"
    frames = read_frames(path)
    assert len(frames) == len(levels)
    assert [round(float(f.mean())) for f in frames] == pytest.approx(levels, abs=5)  # lossy, but far below the step of 10
    assert cv2.VideoCapture(str(path)).get(cv2.CAP_PROP_FPS) == pytest.approx(10)


def test_writer_picks_vp8_webm_and_keeps_colour_order(tmp_path):
    frame = np.zeros((48, 64, 3), np.uint8)
    frame[:, :, 0] = 200  # blue in BGR
    with VideoWriter(tmp_path / "clip", fps=20, size=(64, 48)) as video:
        for _ in range(5):
            video.write(frame)
    assert video.codec == "VP80" and video.path == tmp_path / "clip.webm" and video.frames == 5
    decoded = read_frames(video.path)[0]
    blue, green, red = decoded.reshape(-1, 3).mean(axis=0)
    assert blue > 150 and green < 50 and red < 50


def test_grayscale_frames_are_accepted(tmp_path):
    path = frames_to_video([np.full((32, 32), 128, np.uint8)] * 3, tmp_path / "gray.webm")
    assert len(read_frames(path)) == 3


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (np.zeros((48, 64, 3), np.float32), "uint8"),
        (np.zeros((48, 64, 4), np.uint8), "HxWx3"),
        (np.zeros((40, 64, 3), np.uint8), "64x40 but the video is 64x48"),
    ],
)
def test_bad_frames_are_refused_with_the_reason(tmp_path, frame, message):
    with VideoWriter(tmp_path / "clip.webm", size=(64, 48)) as video:
        with pytest.raises(VideoError, match=message):
            video.write(frame)


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(VideoError, match="even"):
        VideoWriter(tmp_path / "a.webm", size=(63, 48))
    with pytest.raises(VideoError, match="fps must be > 0"):
        VideoWriter(tmp_path / "a.webm", fps=0)
    with pytest.raises(VideoError, match="unsupported video suffix '.avi'"):
        frames_to_video([level_frame(0)], tmp_path / "a.avi")
    with pytest.raises(VideoError, match="no frames"):
        frames_to_video([], tmp_path / "empty")


def test_annotate_frame_draws_text_without_touching_the_input():
    image = np.full((60, 120, 3), 200, np.uint8)
    out = annotate_frame(image, ["t 1.0 s", "DS 100"])
    assert (image == 200).all()
    box = out[8:40, 8:80]
    assert (box == 255).any(axis=-1).any() and (box < 100).any()  # white text on a darkened box
    assert (out[50:, 100:] == 200).all()  # outside the box nothing changes
    assert (annotate_frame(image, []) == image).all()


def test_writing_a_video_prints_nothing_and_leaves_stderr_working(tmp_path):
    # OpenCV's FFmpeg backend prints a tag warning for every WebM it opens; the writer keeps it out
    script = (
        "import sys, numpy as np\n"
        "from lead_framework.video import frames_to_video\n"
        f"path = frames_to_video([np.zeros((48, 64, 3), np.uint8)] * 3, {str(tmp_path / 'video')!r})\n"
        "print('after', path.suffix, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "after .webm\n"
