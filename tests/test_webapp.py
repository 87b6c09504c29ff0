"""The infraction web app: JSON API, file serving with Range requests, path confinement, errors,
and the page itself in headless Chromium (skipped when ``chromium`` is not installed)."""

from __future__ import annotations

import base64
import http.client
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from lead_framework import cli
from lead_framework.evaluation import INFRACTIONS_FILE, RECORD_FILE, STEPS_FILE
from lead_framework.runner import write_json_atomic
from lead_framework.scoring import Infraction, RouteRecord
from lead_framework.video import annotate_frame, frames_to_video
from lead_framework.webapp import WebAppError, WebAppServer
from lead_framework.webapp.server import RangeNotSatisfiable, parse_range

FPS = 20
VIDEO_SECONDS = 8
COLLISION_S, RED_LIGHT_S = 5.0, 6.5
SEEK_LEAD_S = 2  # the page starts the video this long before a clicked infraction


def write_video(folder: Path, name: str, seconds: float, first_level: int) -> None:
    """Frame i is filled with grey level ``first_level + i`` (so a decoded frame tells its time)
    and shows its number and time as text."""
    frames = (
        annotate_frame(np.full((96, 128, 3), (first_level + i) % 256, np.uint8), [f"{name} frame {i}", f"t {i / FPS:.2f} s"])
        for i in range(int(seconds * FPS))
    )
    frames_to_video(frames, folder / name, fps=FPS)


def write_route(stage_dir: Path, index: int, record: RouteRecord, *, video_seconds: float | None) -> Path:
    """A route folder as the evaluate stage writes it, plus a video (see :func:`write_video`)."""
    folder = stage_dir / "routes" / f"{index:03d}_{record.route_id}"
    folder.mkdir(parents=True)
    record.index = index
    write_json_atomic(folder / RECORD_FILE, record.to_json())
    write_json_atomic(folder / INFRACTIONS_FILE, record.infraction_events())
    ticks = int(record.duration_game_s * FPS)
    with (folder / STEPS_FILE).open("w", encoding="utf-8") as steps:
        for tick in range(ticks):
            agent = {"p_stop": tick / 100, "hazard": "red_light" if tick % 2 == 0 else "", "guard": tick % 2 == 0, "creeping": False}  # an agent's debug_values
            steps.write(json.dumps({"tick": tick, "t": tick / FPS, "throttle": 0.5, "steer": 0.0, "brake": 0.0, "speed": tick / 10, "agent": agent}) + "\n")
    if video_seconds is not None:
        write_video(folder, "video", video_seconds, first_level=40)
    return folder


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A run with two evaluate stages, a crashed route, a route without video and a train stage."""
    run = tmp_path_factory.mktemp("run")
    evaluate = run / "evaluate"
    write_route(evaluate, 0, RouteRecord("r0", status="Perfect", score_route=100.0, score_composed=100.0, duration_game_s=4.0), video_seconds=4)
    collisions = [
        Infraction("collisions_vehicle", "Agent collided against object with type=vehicle.x and id=7 at (x=10.0, y=2.0, z=0.0)", tick=int(COLLISION_S * FPS), time_s=COLLISION_S, location=(10.0, 2.0, 0.0), metres_driven=41.5),
        Infraction("red_light", "Agent ran a red light 12 at (x=30.0, y=2.0, z=0.0)", tick=int(RED_LIGHT_S * FPS), time_s=RED_LIGHT_S, location=(30.0, 2.0, 0.0), metres_driven=55.0),
    ]
    r1 = write_route(
        evaluate, 1,
        RouteRecord("r1", status="Completed", score_route=100.0, score_penalty=0.6 * 0.7, score_composed=42.0, infractions=collisions, duration_game_s=VIDEO_SECONDS),
        video_seconds=VIDEO_SECONDS,
    )
    write_video(r1, "demo", VIDEO_SECONDS, first_level=60)
    crashed = evaluate / "routes" / "002_r2"
    crashed.mkdir()
    write_json_atomic(crashed / "crash.json", {"error": "RuntimeError: boom", "traceback": "..."})
    write_route(run / "eval_town13", 0, RouteRecord("t0", status="Failed - Agent got blocked", score_route=30.0, score_composed=30.0, duration_game_s=2.0), video_seconds=None)
    (run / "train").mkdir()
    (run / "train" / "state.json").write_text("{}")
    (run / "secret.txt").write_text("inside the run")
    return run


@pytest.fixture(scope="module")
def server(run_dir):
    app = WebAppServer(run_dir, port=0).start()
    yield app
    app.stop()


def request(server: WebAppServer, path: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.request(method, path, headers=headers or {})  # sent as given: no client-side path normalisation
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def get_json(server, path):
    status, headers, body = request(server, path)
    assert headers["content-type"] == "application/json"
    return status, json.loads(body)


# ---- JSON API -------------------------------------------------------------------------------


def test_routes_lists_every_route_of_every_evaluate_stage(server, run_dir):
    status, data = get_json(server, "/api/routes")
    assert status == 200 and data["run_dir"] == str(run_dir.resolve())
    rows = {row["key"]: row for row in data["routes"]}
    assert sorted(rows) == ["eval_town13/000_t0", "evaluate/000_r0", "evaluate/001_r1", "evaluate/002_r2"]
    r1 = rows["evaluate/001_r1"]
    assert (r1["route_id"], r1["status"], r1["DS"], r1["RC"], r1["IS"], r1["infractions"]) == ("r1", "Completed", 42.0, 100.0, pytest.approx(0.42), 2)
    assert list(r1["videos"].items()) == [("video", "/files/evaluate/routes/001_r1/video.webm"), ("demo", "/files/evaluate/routes/001_r1/demo.webm")]
    assert rows["evaluate/002_r2"]["status"] == "Failed - Simulation crashed" and "boom" in rows["evaluate/002_r2"]["error"]
    assert rows["eval_town13/000_t0"]["videos"] == {} and rows["eval_town13/000_t0"]["DS"] == 30.0


def test_route_detail_has_record_events_and_ticks(server):
    status, data = get_json(server, "/api/routes/evaluate/001_r1")
    assert status == 200
    assert data["record"]["route_id"] == "r1" and data["record"]["scores"]["score_composed"] == 42.0
    assert [(e["key"], e["time_s"], e["metres_driven"]) for e in data["events"]] == [("collisions_vehicle", COLLISION_S, 41.5), ("red_light", RED_LIGHT_S, 55.0)]
    assert data["ticks"] == VIDEO_SECONDS * FPS


def test_unknown_route_and_page_are_404_with_a_message(server):
    status, data = get_json(server, "/api/routes/evaluate/999_nope")
    assert status == 404 and "no evaluated route evaluate/999_nope" in data["error"]
    status, data = get_json(server, "/api/routes/evaluate")
    assert status == 404 and "/api/routes/<stage>/<folder>" in data["error"]
    assert request(server, "/nothing-here")[0] == 404
    assert request(server, "/files/evaluate/routes/001_r1/missing.webm")[0] == 404


def test_page_and_static_files_are_served(server):
    status, headers, body = request(server, "/")
    assert status == 200 and headers["content-type"].startswith("text/html") and b"/static/app.js" in body
    status, headers, body = request(server, "/static/app.js")
    assert status == 200 and headers["content-type"].startswith("text/javascript") and b"SEEK_LEAD_S = 2" in body


# ---- files and Range requests ---------------------------------------------------------------


def test_video_is_served_whole_and_by_range(server, run_dir):
    data = (run_dir / "evaluate/routes/001_r1/video.webm").read_bytes()
    status, headers, body = request(server, "/files/evaluate/routes/001_r1/video.webm")
    assert status == 200 and body == data
    assert headers["content-type"] == "video/webm" and headers["accept-ranges"] == "bytes" and int(headers["content-length"]) == len(data)
    status, headers, body = request(server, "/files/evaluate/routes/001_r1/video.webm", headers={"Range": "bytes=100-199"})
    assert status == 206 and body == data[100:200] and headers["content-range"] == f"bytes 100-199/{len(data)}"
    status, headers, body = request(server, "/files/evaluate/routes/001_r1/video.webm", headers={"Range": "bytes=-50"})
    assert status == 206 and body == data[-50:]
    status, headers, body = request(server, "/files/evaluate/routes/001_r1/video.webm", headers={"Range": "bytes=1000-"})
    assert status == 206 and body == data[1000:]
    status, headers, body = request(server, "/files/evaluate/routes/001_r1/video.webm", headers={"Range": f"bytes={len(data)}-"})
    assert status == 416 and headers["content-range"] == f"bytes */{len(data)}" and body == b""
    status, headers, body = request(server, "/files/evaluate/routes/001_r1/video.webm", method="HEAD", headers={"Range": "bytes=0-9"})
    assert status == 206 and headers["content-length"] == "10" and body == b""


@pytest.mark.parametrize(
    ("header", "size", "span"),
    [(None, 10, None), ("bytes=0-0", 10, (0, 0)), ("bytes=2-", 10, (2, 9)), ("bytes=5-100", 10, (5, 9)), ("bytes=-3", 10, (7, 9)), ("bytes=-30", 10, (0, 9)), ("bytes=0-1,4-5", 10, None), ("items=0-1", 10, None)],
)
def test_parse_range(header, size, span):
    assert parse_range(header, size) == span


@pytest.mark.parametrize(("header", "size"), [("bytes=10-", 10), ("bytes=5-2", 10), ("bytes=-0", 10), ("bytes=0-", 0)])
def test_parse_range_refuses_spans_outside_the_file(header, size):
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, size)


@pytest.mark.parametrize(
    "path",
    ["/files/../outside.txt", "/files/evaluate/../../outside.txt", "/files/%2e%2e/outside.txt", "/files/evaluate%2f..%2f..%2foutside.txt", "/api/routes/../evaluate", "/api/routes/evaluate/..", "/static/../server.py", "/files/.hidden"],
)
def test_paths_cannot_leave_the_run_folder(server, run_dir, path):
    (run_dir.parent / "outside.txt").write_text("outside the run")
    status, headers, body = request(server, path)
    assert status in (403, 404)
    assert b"outside the run" not in body and b"import" not in body
    assert "error" in json.loads(body)


def test_symlink_out_of_the_run_folder_is_refused(server, run_dir, tmp_path):
    (tmp_path / "elsewhere.txt").write_text("elsewhere")
    link = run_dir / "evaluate" / "routes" / "001_r1" / "link.txt"
    link.symlink_to(tmp_path / "elsewhere.txt")
    try:
        status, _, body = request(server, "/files/evaluate/routes/001_r1/link.txt")
        assert status == 403 and "outside the run folder" in json.loads(body)["error"]
    finally:
        link.unlink()


def test_files_inside_the_run_folder_are_served(server):
    status, headers, body = request(server, "/files/secret.txt")
    assert status == 200 and body == b"inside the run" and headers["content-type"].startswith("text/plain")


# ---- errors for folders it cannot show ------------------------------------------------------


def test_missing_or_empty_run_folder_is_a_clear_error(tmp_path):
    with pytest.raises(WebAppError, match=r"missing: no such folder"):
        WebAppServer(tmp_path / "missing")
    (tmp_path / "empty" / "train").mkdir(parents=True)
    with pytest.raises(WebAppError, match=r"empty: no evaluate results found; expected <stage>/routes/<NNN>_<route id>/record.json"):
        WebAppServer(tmp_path / "empty")


def test_unreadable_record_is_listed_with_its_error(tmp_path):
    folder = tmp_path / "evaluate" / "routes" / "000_bad"
    folder.mkdir(parents=True)
    (folder / RECORD_FILE).write_text("{not json")
    app = WebAppServer(tmp_path).start()
    try:
        _, data = get_json(app, "/api/routes")
        assert [row["key"] for row in data["routes"]] == ["evaluate/000_bad"]
        assert "000_bad: unreadable record" in data["routes"][0]["error"]
        status, data = get_json(app, "/api/routes/evaluate/000_bad")
        assert status == 500 and "/api/routes/evaluate/000_bad" in data["error"]
    finally:
        app.stop()


def test_cli_reports_the_error_and_exits_with_usage(tmp_path, capsys):
    assert cli.main(["webapp", str(tmp_path), "--no-browser"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path}: no evaluate results found")


def test_cli_reports_a_port_in_use(run_dir, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["webapp", str(run_dir), "--port", str(port), "--no-browser"]) == cli.EXIT_FAILED
    assert f"error: cannot serve on 127.0.0.1:{port}" in capsys.readouterr().err


def test_cli_serves_and_prints_the_url(run_dir):
    process = subprocess.Popen(
        [sys.executable, "-m", "lead_framework.cli", "webapp", str(run_dir), "--no-browser"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith(f"serving {run_dir.resolve()} at http://127.0.0.1:")
        url = line.split(" at ")[1].split()[0]
        host, port = url.removeprefix("http://").rstrip("/").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", "/api/routes")
        assert len(json.loads(connection.getresponse().read())["routes"]) == 4
        connection.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


# ---- the page in headless Chromium ----------------------------------------------------------

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--mute-audio", "--autoplay-policy=no-user-gesture-required", "--window-size=1280,760",
]


class DevTools:
    """Chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``):
    JSON messages ending in a NUL byte, commands on the browser's fd 3, replies on its fd 4."""

    def __init__(self, binary: str, profile: Path):
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        # a small trampoline puts the pipe ends on fds 3 and 4, where the browser expects them
        remap = f"import os, sys; os.dup2({to_browser_read}, 3); os.dup2({from_browser_write}, 4); os.execv(sys.argv[1], sys.argv[1:])"
        self.process = subprocess.Popen(
            [sys.executable, "-c", remap, binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            pass_fds=(to_browser_read, from_browser_write), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._next_id = 0
        self._replies: dict[int, queue.Queue] = {}
        self._lock = threading.Lock()
        threading.Thread(target=self._read_replies, daemon=True).start()

    def _read_replies(self) -> None:
        buffer = b""
        while chunk := os.read(self._from_browser, 1 << 16):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                if "id" in message and message["id"] in self._replies:
                    self._replies[message["id"]].put(message)

    def send(self, method: str, session: str | None = None, timeout: float = 20, **params):
        with self._lock:
            self._next_id += 1
            message_id = self._next_id
            self._replies[message_id] = queue.Queue()
        message = {"id": message_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        reply = self._replies[message_id].get(timeout=timeout)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def open_tab(self, url: str) -> str:
        target = self.send("Target.createTarget", url=url)["targetId"]
        return self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]

    def evaluate(self, session: str, expression: str):
        result = self.send("Runtime.evaluate", session, expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, session: str, expression: str, timeout: float = 10.0):
        """Poll ``expression`` until it is truthy; returns its value. Errors count as not yet
        (the tab may still show about:blank while the page loads)."""
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(session, expression)
            except RuntimeError as error:
                value, last_error = None, error
            if value:
                return value
            time.sleep(0.05)
        try:
            page = self.evaluate(session, PAGE_STATE)
        except RuntimeError as error:
            page = error
        raise AssertionError(f"timed out after {timeout} s waiting for {expression}; last error: {last_error}; page state: {page}")

    def click(self, session: str, selector: str) -> None:
        """A real mouse click in the middle of the element (as a person would click)."""
        box = self.evaluate(session, f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", session, type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except Exception:  # noqa: BLE001 - closing a browser that already went away is fine
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)


PAGE_STATE = "({hash: location.hash, t: document.getElementById('video').currentTime, ready: document.getElementById('video').readyState, error: document.getElementById('error').textContent})"


# mean grey level of the bottom-right corner of the frame the video shows, away from the drawn text
DECODED_LEVEL = """(() => {
  const v = document.getElementById('video'), c = document.createElement('canvas');
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext('2d'); g.drawImage(v, 0, 0);
  const d = g.getImageData(c.width - 24, c.height - 16, 16, 8).data;
  let sum = 0; for (let i = 0; i < d.length; i += 4) sum += d[i];
  return sum / (d.length / 4);
})()"""


def hash_params(session_hash: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in session_hash.lstrip("#").split("&") if part)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium); the page test needs a real browser")
    devtools = DevTools(CHROMIUM, tmp_path_factory.mktemp("chromium-profile"))
    yield devtools
    devtools.close()


def test_page_lists_routes_and_seeks_to_a_clicked_infraction(browser, server):
    tab = browser.open_tab(server.url)
    browser.wait_for(tab, "document.querySelectorAll('#routes tbody tr').length === 4")
    listed = browser.evaluate(tab, "[...document.querySelectorAll('#routes tbody tr')].map(tr => [tr.dataset.routeKey, tr.cells[5].textContent, tr.cells[6].textContent])")
    assert ["evaluate/001_r1", "0.420", "2"] in listed and {row[0] for row in listed} == {"eval_town13/000_t0", "evaluate/000_r0", "evaluate/001_r1", "evaluate/002_r2"}

    browser.click(tab, "#routes tr[data-route-key='evaluate/001_r1']")
    browser.wait_for(tab, "document.getElementById('video').readyState >= 1 && document.querySelectorAll('#infractions tbody tr').length === 2")
    assert browser.evaluate(tab, "document.getElementById('video').duration") == pytest.approx(VIDEO_SECONDS, abs=0.1)
    assert hash_params(browser.evaluate(tab, "location.hash"))["route"] == "evaluate/001_r1"

    browser.click(tab, "#infractions tr[data-infraction-index='1']")  # red light
    expected = RED_LIGHT_S - SEEK_LEAD_S
    browser.wait_for(tab, f"Math.abs(document.getElementById('video').currentTime - {expected}) < 1.0 && !document.getElementById('video').seeking")
    state = browser.evaluate(tab, PAGE_STATE)
    assert expected - 0.05 <= state["t"] <= expected + 1.0 and state["error"] == ""
    params = hash_params(state["hash"])
    assert params["route"] == "evaluate/001_r1" and float(params["t"]) == pytest.approx(state["t"], abs=0.3)

    # the time in the URL follows playback
    browser.evaluate(tab, "document.getElementById('video').play()")
    browser.wait_for(tab, f"parseFloat(new URLSearchParams(location.hash.slice(1)).get('t')) >= {expected + 0.8}")

    # the marker on the timeline jumps as well
    browser.click(tab, "#timeline .mark")
    browser.wait_for(tab, f"Math.abs(document.getElementById('video').currentTime - {COLLISION_S - SEEK_LEAD_S}) < 1.0")

    if os.environ.get("LEADFW_WEBAPP_SCREENSHOT"):
        browser.evaluate(tab, "(() => { const v = document.getElementById('video'); v.pause(); v.currentTime = 5.2; document.getElementById('detail-panel').scrollTop = 0; })()")
        time.sleep(0.5)
        png = base64.b64decode(browser.send("Page.captureScreenshot", tab, format="png")["data"])
        Path(os.environ["LEADFW_WEBAPP_SCREENSHOT"]).write_bytes(png)


def test_bookmarked_url_reopens_the_same_route_and_time(browser, server):
    tab = browser.open_tab(f"{server.url}#route=evaluate/001_r1&t=3.5")
    browser.wait_for(tab, "document.getElementById('video').readyState >= 1 && !document.getElementById('video').seeking && document.getElementById('video').currentTime > 0")
    state = browser.evaluate(tab, PAGE_STATE)
    assert state["t"] == pytest.approx(3.5, abs=0.05)
    assert browser.evaluate(tab, "document.querySelector('#routes tr.selected').dataset.routeKey") == "evaluate/001_r1"
    assert browser.evaluate(tab, "document.getElementById('route-title').textContent").startswith("r1")
    assert hash_params(state["hash"]) == {"route": "evaluate/001_r1", "t": "3.5"}
    # the logged step at 3.5 s (tick 70) is shown under the video
    step = "tick 70 · throttle 0.50 · steer 0.00 · brake 0.00 · speed 7.00 · p_stop 0.70 · hazard red_light · guard"  # the agent's values last
    assert browser.wait_for(tab, "document.getElementById('step').textContent") == step
    # the browser decodes the frame shown: frame i is filled with grey level 40 + i (see write_route)
    browser.wait_for(tab, "document.getElementById('video').readyState >= 2")
    level = browser.evaluate(tab, DECODED_LEVEL)
    assert abs(level - (40 + 3.5 * FPS)) <= 6


def test_route_without_video_shows_its_infractions_and_a_note(browser, server):
    tab = browser.open_tab(f"{server.url}#route=eval_town13/000_t0")
    browser.wait_for(tab, "!document.getElementById('detail').hidden")
    assert browser.evaluate(tab, "document.getElementById('no-video').hidden") is False
    assert browser.evaluate(tab, "document.getElementById('no-infractions').hidden") is False
    assert browser.evaluate(tab, "location.hash") == "#route=eval_town13/000_t0"


def test_filter_and_sort_the_route_list(browser, server):
    tab = browser.open_tab(server.url)
    browser.wait_for(tab, "document.querySelectorAll('#routes tbody tr').length === 4")
    browser.evaluate(tab, "(() => { const f = document.getElementById('filter'); f.value = 'town13'; f.dispatchEvent(new Event('input')); })()")
    assert browser.evaluate(tab, "[...document.querySelectorAll('#routes tbody tr')].map(tr => tr.dataset.routeKey)") == ["eval_town13/000_t0"]
    browser.evaluate(tab, "(() => { const f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input')); })()")
    browser.click(tab, "#routes th[data-sort='DS']")
    browser.click(tab, "#routes th[data-sort='DS']")  # second click: descending
    order = browser.evaluate(tab, "[...document.querySelectorAll('#routes tbody tr')].map(tr => tr.dataset.routeKey)")
    assert order == ["evaluate/000_r0", "evaluate/001_r1", "eval_town13/000_t0", "evaluate/002_r2"]  # no score last


def test_back_button_returns_to_the_previous_route(browser, server):
    tab = browser.open_tab(server.url)
    browser.wait_for(tab, "document.querySelectorAll('#routes tbody tr').length === 4")
    browser.click(tab, "#routes tr[data-route-key='evaluate/000_r0']")
    browser.wait_for(tab, "location.hash.startsWith('#route=evaluate/000_r0')")
    browser.click(tab, "#routes tr[data-route-key='evaluate/001_r1']")
    browser.wait_for(tab, "document.querySelector('#routes tr.selected')?.dataset.routeKey === 'evaluate/001_r1'")
    browser.evaluate(tab, "history.back()")
    browser.wait_for(tab, "document.querySelector('#routes tr.selected')?.dataset.routeKey === 'evaluate/000_r0'")
    assert browser.evaluate(tab, "document.getElementById('route-title').textContent").startswith("r0")


def test_view_buttons_switch_videos_and_the_url_keeps_the_view(browser, server):
    tab = browser.open_tab(f"{server.url}#route=evaluate/001_r1&t=2.0&view=demo")
    browser.wait_for(tab, "document.getElementById('video').readyState >= 2 && !document.getElementById('video').seeking && document.getElementById('video').currentTime > 0")
    assert browser.evaluate(tab, "document.querySelector('#views button.active').dataset.view") == "demo"
    assert abs(browser.evaluate(tab, DECODED_LEVEL) - (60 + 2.0 * FPS)) <= 6  # the demo video's frame at 2 s
    browser.click(tab, "#views button[data-view='video']")
    browser.wait_for(tab, "document.getElementById('video').src.endsWith('/video.webm') && document.getElementById('video').readyState >= 2 && !document.getElementById('video').seeking")
    assert browser.evaluate(tab, "document.getElementById('video').currentTime") == pytest.approx(2.0, abs=0.1)  # same moment, other view
    assert abs(browser.evaluate(tab, DECODED_LEVEL) - (40 + 2.0 * FPS)) <= 6
    assert hash_params(browser.evaluate(tab, "location.hash")) == {"route": "evaluate/001_r1", "t": "2.0"}
