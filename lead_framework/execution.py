"""Route-level execution: a process pool (``workers: N``) or a Ray cluster (``executor: ray``).

Each route runs in isolation: an exception in one route is caught in the worker and returned as
that route's failure; the other routes go on. Routes whose output already exists are skipped by
the caller, so an interrupted stage resumes.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import attrs

T = TypeVar("T")
EXECUTORS = ("local", "ray")


@attrs.define
class RouteOutcome:
    """What a worker returns for one task: its result, or the error that ended it."""

    index: int
    result: Any = None
    error: str | None = None
    traceback: str | None = None


def _guarded(func: Callable[[T], Any], index: int, task: T) -> RouteOutcome:
    try:
        return RouteOutcome(index, result=func(task))
    except Exception as exc:  # noqa: BLE001 - isolate the failure to this route
        return RouteOutcome(index, error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())


#: How often (seconds) a worker process checks that the process that started it is still alive.
PARENT_CHECK_S = 0.5


def _exit_when_orphaned(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)


def _init_worker(parent_pid: int) -> None:
    """Worker processes share the cores: numeric libraries get one thread each (set before they
    load). A worker also ends itself once its parent is gone (killed, or stopped by a signal that
    the pool never saw), instead of driving the rest of its routes for nobody."""
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    threading.Thread(target=_exit_when_orphaned, args=(parent_pid,), daemon=True).start()


def map_routes(func: Callable[[T], Any], tasks: Sequence[T], *, workers: int = 1, executor: str = "local") -> Iterator[RouteOutcome]:
    """Run ``func(task)`` for every task and yield outcomes as they finish.

    ``func`` must be a module-level function (it is pickled for worker processes). With one
    worker the tasks run in this process, in order.
    """
    if executor == "ray":
        yield from _map_ray(func, tasks, workers)
        return
    if executor != "local":
        raise ValueError(f"unknown executor {executor!r}; use one of {', '.join(EXECUTORS)}")
    if workers <= 1 or len(tasks) <= 1:
        for index, task in enumerate(tasks):
            yield _guarded(func, index, task)
        return
    context = multiprocessing.get_context("spawn")
    earlier_children = set(multiprocessing.active_children())
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(os.getpid(),))
    try:
        futures = {pool.submit(_guarded, func, index, task): index for index, task in enumerate(tasks)}
        for future in cf.as_completed(futures):
            try:
                yield future.result()
            except Exception as exc:  # noqa: BLE001 - a worker process died (e.g. killed, segfault)
                yield RouteOutcome(futures[future], error=f"worker process died: {type(exc).__name__}: {exc}")
    except BaseException:  # interrupted (Ctrl-C, SIGTERM) or the caller stopped early
        _abandon(pool, earlier_children)
        raise
    pool.shutdown(wait=True)


def _abandon(pool: cf.ProcessPoolExecutor, earlier_children: set[multiprocessing.process.BaseProcess]) -> None:
    """Drop the queued routes and stop the running ones at once: nobody would record their results
    (a resumed run drives them again), and waiting for them could take minutes before exiting.

    The pool's workers are the child processes started since the pool was made. The pool's own
    record of them is private (no public way to stop them before Python 3.14) and lags behind a
    worker that was started the moment the interrupt came.
    """
    pool.shutdown(wait=False, cancel_futures=True)
    for process in multiprocessing.active_children():
        if process not in earlier_children:
            process.terminate()


def _map_ray(func: Callable[[T], Any], tasks: Sequence[T], workers: int) -> Iterator[RouteOutcome]:
    try:
        import ray
    except ImportError:
        raise ImportError("executor: ray needs Ray; install it with `pip install 'lead-framework[ray]'`") from None
    if not ray.is_initialized():
        ray.init(num_cpus=max(1, workers), include_dashboard=False, log_to_driver=False)
    remote = ray.remote(num_cpus=1, max_retries=0)(_guarded)
    pending = {remote.remote(func, index, task): index for index, task in enumerate(tasks)}
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        for ref in done:
            index = pending.pop(ref)
            try:
                yield ray.get(ref)
            except Exception as exc:  # noqa: BLE001 - the Ray task or its worker died
                yield RouteOutcome(index, error=f"ray task failed: {type(exc).__name__}: {exc}")
