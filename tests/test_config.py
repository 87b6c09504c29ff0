"""Experiment files: structure, two-phase validation and error messages with paths."""

from __future__ import annotations

import textwrap

import pytest

from lead_framework.config import ExperimentError, load_experiment
from lead_framework.testing import run_leadfw


def write(tmp_path, text: str, name: str = "x.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path) -> list[str]:
    with pytest.raises(ExperimentError) as info:
        load_experiment(path)
    return info.value.lines()


def test_valid_experiment_resolves_defaults_and_components(toy_path, tmp_path):
    path = write(tmp_path, """
        name: demo
        stages:
          - count: {to: 2, agent: {name: toy_agent, speed: 3}}
          - count: {to: 4}
          - count: {name: last, agent: toy_agent}
    """)
    experiment = load_experiment(path)
    assert [s.name for s in experiment.stages] == ["count", "count_2", "last"]
    assert experiment.stages[0].config.agent.config.speed == 3.0
    assert experiment.stages[2].config.agent.config.speed == 5.0  # the agent's default
    assert str(experiment.output) == "outputs/demo"
    resolved = experiment.resolved()
    assert resolved["stages"][1] == {"count": {"name": "count_2", "to": 4, "fail_at": None, "fail_while": None, "flaky_at": None, "lr": 0.1, "agent": None, "after": None}}


def test_all_four_problems_reported_with_paths(toy_path, tmp_path):
    path = write(tmp_path, """
        name: broken
        stages:
          - count: {too: 3}
          - count: {to: many}
          - count: {agent: toy_agnt}
          - count: {lr: -1}
    """)
    lines = problems(path)
    assert f"{path}: $.stages[0].count.too: unknown key; did you mean 'to'?" in lines
    assert any(line.startswith(f"{path}: $.stages[1].count.to: expected int") for line in lines)
    assert any(f"{path}: $.stages[2].count.agent: unknown agent 'toy_agnt'; did you mean 'toy_agent'?" in line for line in lines)
    assert f"{path}: $.stages[3].count.lr: must be > 0, got -1.0" in lines
    assert len(lines) == 4


def test_validate_cli_prints_all_problems_exit_2_no_traceback(toy_path, tmp_path):
    path = write(tmp_path, """
        name: broken
        stages:
          - count: {too: 3}
          - count: {to: many}
          - count: {agent: toy_agnt}
          - count: {lr: -1}
    """)
    result = run_leadfw("validate", str(path), env_extra={"PYTHONPATH": str(toy_path)})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for fragment in ("stages[0].count.too", "stages[1].count.to", "stages[2].count.agent", "stages[3].count.lr"):
        assert fragment in result.stderr
    ok = write(tmp_path, "name: fine\nstages:\n  - count: {}\n", "ok.yaml")
    result = run_leadfw("validate", str(ok), env_extra={"PYTHONPATH": str(toy_path)})
    assert result.returncode == 0 and "ok" in result.stdout


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: x\nstages: [\n  - a", "line 3"),
        ("", "file is empty"),
        ("name: x\nstages: {count: {}}\n", "$.stages: must be a list"),
        ("name: x\nstages:\n  - count: {name: a}\n  - count: {name: a}\n", "duplicate stage name 'a'"),
        ("- just a list\n", "must be a mapping"),
        ("stages: []\n", "$.name: is required"),
        ("name: x\nstages:\n  - cont: {}\n", "unknown stage kind 'cont'; did you mean 'count'"),
        ("name: x\nseed: abc\nstages:\n  - count: {}\n", "$.seed: expected int"),
        ("name: x\nworld: nowhere\nstages:\n  - count: {}\n", "$.world: unknown world 'nowhere'"),
        ("name: x\nstages:\n  - count: {agent: [toy_agent]}\n", "$.stages[0].count.agent: must be an agent name or a mapping"),
    ],
)
def test_bad_files_give_one_line_errors(toy_path, tmp_path, text, expected):
    path = write(tmp_path, text)
    lines = problems(path)
    assert any(expected in line for line in lines), lines
    assert all(line.startswith(str(path)) for line in lines)


def test_missing_file(tmp_path):
    lines = problems(tmp_path / "nope.yaml")
    assert lines == [f"{tmp_path / 'nope.yaml'}: file not found; check the path (experiments live in experiments/*.yaml)"]
