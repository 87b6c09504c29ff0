"""The route process pool: worker processes do not outlive the process that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and process ids")

SLEEPER = '''
import os, time
from pathlib import Path

def sleep_long(folder):
    Path(folder, str(os.getpid())).touch()
    time.sleep(120)
'''

PARENT = '''
import signal
import sys
from lead_framework.execution import map_routes
import sleeper

if __name__ == "__main__":
    # Ctrl-C as in a terminal, also when the tests run as a background job (which ignores SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for outcome in map_routes(sleeper.sleep_long, [sys.argv[1]] * 4, workers=2):
        print(outcome)
'''


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_workers_end_when_their_parent_is_killed(tmp_path, stop):
    """SIGKILL and SIGTERM end the parent at once; SIGINT (Ctrl-C) raises KeyboardInterrupt in it,
    which must stop the running routes instead of waiting the two minutes they would take."""
    (tmp_path / "sleeper.py").write_text(textwrap.dedent(SLEEPER))
    (tmp_path / "parent.py").write_text(textwrap.dedent(PARENT))
    pids = tmp_path / "pids"
    pids.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    parent = subprocess.Popen([sys.executable, str(tmp_path / "parent.py"), str(pids)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _wait_for(lambda: len(list(pids.iterdir())) == 2, 60), "the two workers did not start"
        workers = [int(path.name) for path in pids.iterdir()]
        parent.send_signal(stop)
        parent.wait(timeout=30)
        assert _wait_for(lambda: not any(_alive(pid) for pid in workers), 10), "a worker outlived its parent"
        assert len(list(pids.iterdir())) == 2  # the queued routes were not started
    finally:
        parent.kill()
