"""The run loop: run folder, resolved config, log, resume after a failure, skip complete stages."""

from __future__ import annotations

import json

import yaml

from lead_framework.testing import run_leadfw


def experiment(tmp_path, fail_at: str = "null", to: int = 4):
    path = tmp_path / "exp.yaml"
    marker = tmp_path / "fail-marker"
    path.write_text(
        f"name: resume\nseed: 7\noutput: {tmp_path / 'run'}\nstages:\n  - count: {{to: 2}}\n"
        f"  - count: {{name: second, to: {to}, fail_at: {fail_at}, fail_while: {marker}}}\n",
        encoding="utf-8",
    )
    return path


def test_run_writes_outputs_and_resumes_after_failure(toy_path, tmp_path):
    env = {"PYTHONPATH": str(toy_path)}
    (tmp_path / "fail-marker").write_text("")
    first = run_leadfw("run", str(experiment(tmp_path, fail_at="2")), env_extra=env)
    assert first.returncode == 1
    assert "stage 'second' (count) failed: RuntimeError: planned failure at 2" in first.stderr
    assert "Traceback" not in first.stderr
    run = tmp_path / "run"
    assert yaml.safe_load((run / "resolved.yaml").read_text())["stages"][1]["count"]["fail_at"] == 2
    assert "planned failure at 2" in (run / "run.log").read_text()  # the traceback goes to the log
    assert json.loads((run / "second" / "stage.json").read_text())["status"] == "failed"
    assert sorted(p.name for p in (run / "second").glob("item_*")) == ["item_0.json", "item_1.json"]

    # The cause goes away (a transient error); the same config resumes: the first stage is
    # skipped, the second keeps its finished items and does the rest.
    before = (run / "second" / "item_0.json").stat().st_mtime_ns
    (tmp_path / "fail-marker").unlink()
    second_path = experiment(tmp_path, fail_at="2")
    second = run_leadfw("run", str(second_path), env_extra=env)
    assert second.returncode == 0, second.stderr
    assert "count: complete, skipped" in second.stdout
    assert "second: resuming" in second.stdout
    assert (run / "second" / "item_0.json").stat().st_mtime_ns == before  # finished work kept
    assert sorted(p.name for p in (run / "second").glob("item_*")) == [f"item_{i}.json" for i in range(4)]
    assert "[second] item 4/4" in second.stdout  # one plain line per step when not on a terminal

    third = run_leadfw("run", str(second_path), env_extra=env)
    assert third.returncode == 0 and third.stdout.count("complete, skipped") == 2


def test_changed_config_moves_old_results_aside(toy_path, tmp_path):
    env = {"PYTHONPATH": str(toy_path)}
    assert run_leadfw("run", str(experiment(tmp_path, to=3)), env_extra=env).returncode == 0
    changed = run_leadfw("run", str(experiment(tmp_path, to=5)), env_extra=env)
    assert changed.returncode == 0, changed.stderr
    assert "second: config changed; old results moved to" in changed.stdout
    assert len(list((tmp_path / "run" / "second.stale-1").glob("item_*"))) == 3
    assert len(list((tmp_path / "run" / "second").glob("item_*"))) == 5


def test_several_files_run_in_order_and_bad_file_stops_before_running(toy_path, tmp_path):
    env = {"PYTHONPATH": str(toy_path)}
    good = tmp_path / "a.yaml"
    good.write_text(f"name: a\noutput: {tmp_path / 'a'}\nstages:\n  - count: {{to: 1}}\n")
    other = tmp_path / "b.yaml"
    other.write_text(f"name: b\noutput: {tmp_path / 'b'}\nstages:\n  - count: {{to: 1}}\n")
    result = run_leadfw("run", str(good), str(other), env_extra=env)
    assert result.returncode == 0 and (tmp_path / "a" / "count" / "item_0.json").exists() and (tmp_path / "b" / "count" / "item_0.json").exists()
    bad = tmp_path / "c.yaml"
    bad.write_text("name: c\nstages:\n  - count: {to: -1}\n")
    result = run_leadfw("run", str(good), str(bad), env_extra=env)
    assert result.returncode == 2 and "$.stages[0].count.to: must be > 0" in result.stderr


def test_a_stage_with_items_left_is_partial_and_resumed_while_later_stages_run(toy_path, tmp_path):
    env = {"PYTHONPATH": str(toy_path)}
    marker = tmp_path / "flaky-marker"
    marker.write_text("")
    path = tmp_path / "exp.yaml"
    path.write_text(
        f"name: partial\nseed: 1\noutput: {tmp_path / 'run'}\nstages:\n"
        f"  - count: {{name: flaky, to: 3, flaky_at: 1, fail_while: {marker}}}\n  - count: {{name: after, to: 2}}\n",
        encoding="utf-8",
    )
    first = run_leadfw("run", str(path), env_extra=env)
    assert first.returncode == 0, first.stderr
    assert "flaky: done" in first.stdout and "1 item(s) left to retry" in first.stdout
    run = tmp_path / "run"
    assert json.loads((run / "flaky" / "stage.json").read_text())["status"] == "partial"
    assert len(list((run / "after").glob("item_*"))) == 2  # later stages still ran

    marker.unlink()
    second = run_leadfw("run", str(path), env_extra=env)
    assert second.returncode == 0, second.stderr
    assert "flaky: resuming" in second.stdout
    assert sorted(p.name for p in (run / "flaky").glob("item_*")) == [f"item_{i}.json" for i in range(3)]
    assert json.loads((run / "flaky" / "stage.json").read_text())["status"] == "complete"


def chain(tmp_path, seed: int = 7, first_to: int = 2):
    """Three count stages: ``second`` reads ``first``; ``alone`` reads nothing."""
    path = tmp_path / "chain.yaml"
    path.write_text(
        f"name: chain\nseed: {seed}\noutput: {tmp_path / 'run'}\nstages:\n"
        f"  - count: {{name: first, to: {first_to}}}\n"
        "  - count: {name: second, to: 1, after: first}\n"
        "  - count: {name: alone, to: 1}\n",
        encoding="utf-8",
    )
    return path


def rerun_stages(stdout: str) -> list[str]:
    return sorted(line.split("] ")[1].split(":")[0] for line in stdout.splitlines() if "old results moved to" in line)


def test_only_the_stages_that_read_a_changed_stage_run_again(toy_path, tmp_path):
    env = {"PYTHONPATH": str(toy_path)}
    assert run_leadfw("run", str(chain(tmp_path)), env_extra=env).returncode == 0
    item = json.loads((tmp_path / "run" / "second" / "item_0.json").read_text())
    assert item["after"] == str(tmp_path / "run" / "first")
    changed = run_leadfw("run", str(chain(tmp_path, first_to=3)), env_extra=env)
    assert changed.returncode == 0, changed.stderr
    assert rerun_stages(changed.stdout) == ["first", "second"]
    assert "alone: complete, skipped" in changed.stdout


def test_a_new_experiment_seed_runs_every_stage_again(toy_path, tmp_path):
    env = {"PYTHONPATH": str(toy_path)}
    assert run_leadfw("run", str(chain(tmp_path)), env_extra=env).returncode == 0
    reseeded = run_leadfw("run", str(chain(tmp_path, seed=8)), env_extra=env)
    assert reseeded.returncode == 0, reseeded.stderr
    assert rerun_stages(reseeded.stdout) == ["alone", "first", "second"]
    assert json.loads((tmp_path / "run" / "alone" / "item_0.json").read_text())["seed"] == 8


def test_a_new_component_revision_runs_the_stages_that_use_it_again(toy_path, tmp_path):
    env = {"PYTHONPATH": str(toy_path)}
    assert run_leadfw("run", str(chain(tmp_path)), env_extra=env).returncode == 0
    assert json.loads((tmp_path / "run" / "first" / "stage.json").read_text())["fingerprint"]["revisions"] == {"stages/count": 0}
    same = run_leadfw("run", str(chain(tmp_path)), env_extra={**env, "TOY_COUNT_REVISION": "0"})
    assert same.stdout.count("complete, skipped") == 3
    bumped = run_leadfw("run", str(chain(tmp_path)), env_extra={**env, "TOY_COUNT_REVISION": "1"})
    assert bumped.returncode == 0, bumped.stderr
    assert rerun_stages(bumped.stdout) == ["alone", "first", "second"]
    assert "first: component revision changed (stages/count 0 -> 1); old results moved to" in bumped.stdout
    assert (tmp_path / "run" / "first.stale-1" / "item_0.json").exists()


def test_results_recorded_without_world_seed_and_revisions_are_still_complete(toy_path, tmp_path):
    env = {"PYTHONPATH": str(toy_path)}
    assert run_leadfw("run", str(chain(tmp_path)), env_extra=env).returncode == 0
    # the layout of earlier versions: no "experiment" entry, every earlier stage under "upstream"
    run = tmp_path / "run"
    finished = {name: json.loads((run / name / "stage.json").read_text())["summary"]["finished_at"] for name in ("first", "second")}
    state_file = run / "alone" / "stage.json"
    state = json.loads(state_file.read_text())
    del state["fingerprint"]["experiment"], state["fingerprint"]["revisions"]
    state["fingerprint"]["upstream"] = finished
    state_file.write_text(json.dumps(state))
    again = run_leadfw("run", str(chain(tmp_path)), env_extra=env)
    assert again.returncode == 0 and again.stdout.count("complete, skipped") == 3
