"""The third-party plugin template: installed from its folder, found, tested, used; and
``leadfw plugin new`` writes the same files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lead_framework.scaffold import ScaffoldError, new_plugin, plugin_files
from lead_framework.testing import run_leadfw

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "plugins" / "examples" / "lead_example_benchmark"


def pip_install_to(target: Path, folder: Path) -> None:
    """Install a plugin from its folder into ``target`` (dependencies are already in this env)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--target", str(target), str(folder)],
        check=True,
        capture_output=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    pip_install_to(target, EXAMPLE)
    return target


def test_installed_example_is_listed(installed_example):
    result = run_leadfw("plugins", "--json", env_extra={"PYTHONPATH": str(installed_example)})
    assert result.returncode == 0, result.stderr
    listing = {entry["name"]: entry for entry in json.loads(result.stdout)}
    entry = listing["example_benchmark"]
    assert entry["status"] == "ok"
    assert entry["distribution"] == "lead-example-benchmark"
    assert entry["components"] == {"benchmarks": ["example_benchmark"]}


def test_installed_example_passes_its_own_tests(installed_example, tmp_path):
    env = {"PYTHONPATH": str(installed_example)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests")],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, env={**os.environ, **env},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_scaffold_writes_exactly_the_example():
    for relative, text in plugin_files("example_benchmark", "benchmark").items():
        assert (EXAMPLE / relative).read_text(encoding="utf-8") == text, f"{relative} differs from the template"


def test_new_agent_plugin_installs_and_passes_its_tests(tmp_path):
    result = run_leadfw("plugin", "new", "my_driver", "--kind", "agent", "--directory", str(tmp_path))
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "lead_my_driver"
    target = tmp_path / "site"
    pip_install_to(target, folder)
    listing = json.loads(run_leadfw("plugins", "--json", env_extra={"PYTHONPATH": str(target)}).stdout)
    entry = next(e for e in listing if e["name"] == "my_driver")
    assert entry["status"] == "ok" and entry["components"] == {"agents": ["my_driver"]}
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder / "tests")],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, env={**os.environ, "PYTHONPATH": str(target)},
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr


@pytest.mark.parametrize(("name", "kind", "message"), [("Bad-Name", "agent", "lower-case"), ("ok", "hovercraft", "no template"), ("class", "agent", "lower-case")])
def test_scaffold_rejects_bad_input(tmp_path, name, kind, message):
    with pytest.raises(ScaffoldError, match=message):
        new_plugin(name, kind, tmp_path)


def test_scaffold_refuses_to_overwrite(tmp_path):
    new_plugin("twice", "agent", tmp_path)
    with pytest.raises(ScaffoldError, match="already exists"):
        new_plugin("twice", "agent", tmp_path)


def test_installed_example_is_used_in_an_experiment(installed_example, tmp_path):
    pytest.importorskip("lead_sim", reason="the experiment drives on the embedded world (lead-sim plugin)")
    experiment = tmp_path / "example.yaml"
    experiment.write_text(
        f"name: example\noutput: {tmp_path / 'run'}\nworld: {{name: leadsim, town: grid_small, vehicles: 2, walkers: 0}}\n"
        "stages:\n  - evaluate:\n      agent: {name: route_follower, speed: 8}\n"
        "      benchmark: {name: example_benchmark, routes: 1, length_m: [60, 90]}\n",
        encoding="utf-8",
    )
    env = {"PYTHONPATH": str(installed_example)}
    assert run_leadfw("validate", str(experiment), env_extra=env).returncode == 0
    result = run_leadfw("run", str(experiment), env_extra=env)
    assert result.returncode == 0, result.stderr
    table = json.loads((tmp_path / "run" / "evaluate" / "table.json").read_text())
    assert "finished_routes" in json.dumps(table)  # the plugin's own metric reached the table
    assert (tmp_path / "run" / "evaluate" / "results.json").is_file()
