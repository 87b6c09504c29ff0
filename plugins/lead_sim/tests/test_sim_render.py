"""``leadfw render`` writes a playable video and a PNG grid of every sensor."""

from __future__ import annotations

import cv2

from lead_framework.cli import main


def test_render_writes_video_and_grid(tmp_path, capsys):
    out = tmp_path / "render"
    code = main(["render", "--seconds", "1", "--every", "5", "--agent", "route_follower", "--vehicles", "3", "--walkers", "0", "--out", str(out)])
    assert code == 0, capsys.readouterr()
    grid = cv2.imread(str(out / "sensors.png"))
    assert grid is not None and grid.shape[0] >= 512 and grid.std() > 10  # not a blank picture
    video = next(out.glob("episode.*"))
    capture = cv2.VideoCapture(str(video))
    frames = 0
    while capture.read()[0]:
        frames += 1
    assert frames == 4  # 20 ticks, one frame every 5th


def test_render_rejects_bad_arguments(tmp_path):
    assert main(["render", "--seconds", "0", "--out", str(tmp_path)]) == 2
