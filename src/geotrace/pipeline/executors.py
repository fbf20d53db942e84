"""Where a stage's pages are computed: in this process, in a fork pool, or on Dask.

Each executor runs one function over a list of tasks and gives back, per task, either its
result or :class:`Failed` with the reason: an exception, or a worker that died (a decoder
that crashed on a hostile file).  The runner then retries a failed task's items one by one
(``alone``), each where a crash costs only itself, to keep every other item's result.  The
case is never touched here: results go back to the runner, which is the case's one writer.
"""

from __future__ import annotations

import ctypes
import os
import signal
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from importlib import import_module
from multiprocessing import get_context
from typing import Any, Literal, Protocol

from geotrace.errors import GeotraceError

#: The executors a user may name (``--executor``).
ExecutorName = Literal["local", "processes", "dask"]
EXECUTORS: tuple[ExecutorName, ...] = ("local", "processes", "dask")

Task = Callable[[Sequence[Any]], list[Any]]


class ExecutorError(GeotraceError):
    """An executor that cannot start: Dask not installed, a scheduler out of reach."""


@dataclass(frozen=True, slots=True)
class Failed:
    """A task that gave no result, and why."""

    reason: str


class Executor(Protocol):
    """Runs ``fn`` over tasks; one outcome per task, in order.  ``routes`` (one per task,
    or None) say which tasks share inputs: an executor may send tasks of one route to one
    worker, and may ignore them."""

    def map(
        self,
        fn: Task,
        tasks: Sequence[Sequence[Any]],
        routes: Sequence[int | None] | None = None,
    ) -> list[list[Any] | Failed]: ...

    def alone(self, fn: Task, items: Sequence[Any]) -> list[list[Any] | Failed]:
        """Each item as a task of its own, where a crash costs only that item."""
        ...

    def start(self) -> None:
        """Start the workers now, from the calling thread (see ``Processes.start``)."""
        ...

    def close(self) -> None: ...


#: Linux's prctl option: the signal a process gets when its parent dies.
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """prctl(PR_SET_PDEATHSIG, SIGKILL) on Linux: a worker forked by a run that is killed
    (``kill -9``) goes with it instead of waiting for work for ever (forked workers hold
    their own copy of the pipe's write end, so they never see it close)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _fork_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=get_context("fork"), initializer=die_with_parent)


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class Local:
    """In this process: no start-up, no pickling; an exception costs its task, but a
    crash in native code (a decoder's segfault) ends the run.  For small cases, debugging,
    and where forking is not possible."""

    def map(
        self,
        fn: Task,
        tasks: Sequence[Sequence[Any]],
        routes: Sequence[int | None] | None = None,
    ) -> list[list[Any] | Failed]:
        out: list[list[Any] | Failed] = []
        for task in tasks:
            try:
                out.append(fn(task))
            except Exception as exc:  # one bad task must not cost the page
                out.append(Failed(_reason(exc)))
        return out

    def alone(self, fn: Task, items: Sequence[Any]) -> list[list[Any] | Failed]:
        return self.map(fn, [[item] for item in items])

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass


class Processes:
    """``workers`` forked worker processes, started at the first task and kept for the
    whole run: decoders parse hostile bytes, and a crash inside one must cost that file,
    not the run (a re-run would die on the same file).

    Each worker is a pool of one, fed by this process: a task with a route goes to the
    worker its route names while that worker has work, so that a stage whose tasks share
    inputs (the pixel checks' pictures) finds them in that worker's memory; a task with
    none goes to whichever worker is free first.  A worker with nothing of its own left
    takes another's, so that no core idles at the end of a page.
    """

    #: Tasks given to a worker ahead of its current one: it never waits for the next.
    AHEAD = 2

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._pools: list[ProcessPoolExecutor | None] = [None] * self.workers

    def map(
        self,
        fn: Task,
        tasks: Sequence[Sequence[Any]],
        routes: Sequence[int | None] | None = None,
    ) -> list[list[Any] | Failed]:
        """Every task, each in one worker; when a worker dies, every task it held is given
        back as failed, and the worker is started again for the next."""
        out: list[list[Any] | Failed] = [Failed("not run")] * len(tasks)
        own: list[deque[int]] = [deque() for _ in range(self.workers)]
        free: deque[int] = deque()
        for i, route in enumerate(routes or [None] * len(tasks)):
            (free if route is None else own[route % self.workers]).append(i)
        running: dict[Future[list[Any]], tuple[int, int]] = {}

        def feed(worker: int) -> None:
            queue = own[worker] or free or max(own, key=len)
            if not queue:
                return
            i = queue.popleft()
            pool = self._pools[worker]
            if pool is None:
                pool = self._pools[worker] = _fork_pool(1)
            try:
                running[pool.submit(fn, tasks[i])] = (i, worker)
            except BrokenProcessPool:  # it died on a task given just before
                out[i] = Failed("a worker process died")
                self._stop(worker)

        for worker in range(self.workers):
            for _ in range(self.AHEAD):
                feed(worker)
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                i, worker = running.pop(future)
                try:
                    out[i] = future.result()
                except BrokenProcessPool:
                    out[i] = Failed("a worker process died")
                    self._stop(worker)
                except Exception as exc:
                    out[i] = Failed(_reason(exc))
                feed(worker)
        return out

    def _stop(self, worker: int) -> None:
        pool, self._pools[worker] = self._pools[worker], None
        if pool is not None:
            pool.shutdown(cancel_futures=True)

    def alone(self, fn: Task, items: Sequence[Any]) -> list[list[Any] | Failed]:
        """Each item in a fresh process of its own: only a worker that dies on it fails."""
        out: list[list[Any] | Failed] = []
        for item in items:
            try:
                with _fork_pool(1) as pool:
                    out.append(pool.submit(fn, [item]).result())
            except BrokenProcessPool:
                out.append(Failed("the worker process died on it"))
            except Exception as exc:
                out.append(Failed(_reason(exc)))
        return out

    def start(self) -> None:
        """Fork every worker now, from the calling thread.  A worker otherwise forks at its
        first task, from whichever thread gives it: ingest gives its reading from a thread
        of its own while the main thread copies and writes, and a process forked beside a
        busy thread inherits the locks that thread held (the scrub's pool hung so, before
        it was forked first), and dies with the thread that forked it (PR_SET_PDEATHSIG
        is per thread).  A worker restarted after a crash still forks where it is asked."""
        for worker in range(self.workers):
            if self._pools[worker] is None:
                pool = self._pools[worker] = _fork_pool(1)
                pool.submit(int).result()  # its process is forked by this submit

    def close(self) -> None:
        for worker in range(self.workers):
            self._stop(worker)


class Dask:
    """Tasks on a Dask cluster: a ``LocalCluster`` of ``workers`` single-threaded worker
    processes by default, or the scheduler at ``scheduler`` (``tcp://host:8786``).  Work
    items name the case's originals by absolute path: on a cluster of several machines the
    case folder must be on a filesystem every worker sees (see README, "Running on a Dask
    cluster").  A worker that dies is restarted by its nanny; a task that kills workers
    ``distributed.scheduler.allowed-failures`` times fails with ``KilledWorker`` (on the
    local cluster, the first time: see ``__init__``), which the runner treats as a dead
    fork worker: the task's items are retried one by one.

    What it costs, and why it is shaped so (bench/dask_workers.py re-measures): a task costs
    ~3-14 ms of scheduling on this shared 2-core machine (1,000 no-op tasks of 16 items,
    load 6-18), against ~0.1 ms in a fork pool, so tasks are a stage's batches
    (``chunk_size`` items, tens of ms to seconds of work), never single files. A page's
    tasks go out in one ``client.map`` (``pure=False``: two tasks of equal items are still
    two runs, and no hashing of the items), and come back through ``as_completed`` in
    batches, not one ``result()`` round trip per task. Each future
    is released as soon as its result is here, so that a worker does not keep a page's
    results while the runner writes them. Stages marked ``in_process`` (places, links) stay
    in the client whatever the executor: a vectorised NumPy pass over numbers is cheaper
    than pickling its inputs and answers to a worker (bench/dask_workers.py: places over
    10,000 sightings, 0.77-0.92 CPU-s in the client, 1.44-1.72 on a warmed worker, pickling
    included; wall 1.1-1.4 s against 2.2-2.5 s). Tasks with a route (the pixel checks of one
    piece) are asked of one worker, as ``Processes`` does, with ``allow_other_workers`` so
    that an idle worker may still take them: that worker then has the piece's features in
    memory.
    """

    def __init__(self, workers: int | None = None, scheduler: str | None = None) -> None:
        try:
            distributed: Any = import_module("distributed")  # untyped: checked here
        except ImportError as exc:
            raise ExecutorError(
                "the dask executor needs Dask: pip install 'geotrace[dask]'"
            ) from exc
        self._distributed = distributed
        self._cluster: Any = None
        try:
            if scheduler:
                self.client = distributed.Client(scheduler, timeout="30s")
                # Tasks carry functions by name and results by pickle: a worker on another
                # Python or Dask would fail them one by one, or worse, answer differently.
                self.client.get_versions(check=True)
            else:
                # A task that kills a worker fails at once, as in a fork pool: the runner
                # then retries its items alone, which is where a crash is isolated (Dask's
                # default, 3 retries, would let one hostile file kill 4 workers first).
                with import_module("dask").config.set({ALLOWED_FAILURES: 0}):
                    self._cluster = distributed.LocalCluster(
                        n_workers=max(1, workers or os.cpu_count() or 1),
                        threads_per_worker=1,
                        processes=True,
                        # Its status pages on a free port of this machine only (None
                        # still takes :8787, and warns when another cluster holds it).
                        dashboard_address="127.0.0.1:0",
                    )
                self.client = distributed.Client(self._cluster)
        except (OSError, TimeoutError) as exc:
            self.close()
            where = scheduler or "a local cluster"
            raise ExecutorError(f"cannot reach the Dask scheduler ({where}): {exc}") from exc
        except ValueError as exc:  # get_versions: a mismatch between client and workers
            self.close()
            raise ExecutorError(f"the Dask workers differ from this machine: {exc}") from exc

    @property
    def workers(self) -> int:
        """The threads of the cluster's workers now: a stage that plans its routes for
        so many workers (the copy search's pieces) reads it, as it reads ``Processes``'s;
        without it, every check went to one route and the second worker stole tasks whose
        features it then computed again (bench/dask_workers.py: 1.6x the CPU)."""
        return max(1, int(sum(self.client.nthreads().values())))

    def map(
        self,
        fn: Task,
        tasks: Sequence[Sequence[Any]],
        routes: Sequence[int | None] | None = None,
    ) -> list[list[Any] | Failed]:
        """Every task on the cluster, one outcome per task in order; a future is dropped
        as soon as its outcome is kept."""
        out: list[list[Any] | Failed] = [Failed("not run")] * len(tasks)
        futures = self._submit(fn, tasks, routes)
        where = {future.key: i for i, future in enumerate(futures)}
        finished = self._distributed.as_completed(futures, with_results=True, raise_errors=False)
        del futures  # as_completed holds each future until it hands it over
        for future, result in finished:
            i = where[future.key]
            if future.status == "error":  # result: (type, exception, traceback)
                killed = isinstance(result[1], self._distributed.KilledWorker)
                out[i] = Failed(KILLED if killed else _reason(result[1]))
            else:
                out[i] = result
            future.release()
        return out

    def _submit(
        self, fn: Task, tasks: Sequence[Sequence[Any]], routes: Sequence[int | None] | None
    ) -> list[Any]:
        """The futures of ``tasks``, in order: those of one route asked of one worker."""
        if not routes or all(route is None for route in routes):
            return list(self.client.map(fn, [list(t) for t in tasks], pure=False))
        workers = sorted(self.client.nthreads())
        groups: dict[str | None, list[int]] = {}
        for i, route in enumerate(routes):
            where = None if route is None or not workers else workers[route % len(workers)]
            groups.setdefault(where, []).append(i)
        futures: list[Any] = [None] * len(tasks)
        for where, members in groups.items():
            placed = self.client.map(
                fn,
                [list(tasks[i]) for i in members],
                pure=False,
                workers=None if where is None else [where],
                allow_other_workers=where is not None,
            )
            for i, future in zip(members, placed, strict=True):
                futures[i] = future
        return futures

    def alone(self, fn: Task, items: Sequence[Any]) -> list[list[Any] | Failed]:
        """Each item as a task of its own; an item whose worker died (perhaps for a
        neighbour's crash on the same worker) is run once more with nothing beside it,
        so that only the item at fault is failed."""
        out = self.map(fn, [[item] for item in items])
        for i, outcome in enumerate(out):
            if isinstance(outcome, Failed) and outcome.reason == KILLED:
                (out[i],) = self.map(fn, [[items[i]]])
        return out

    def start(self) -> None:
        """The cluster's workers are started with it."""

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self._cluster is not None:
            self._cluster.close()


#: The Dask setting of how often a task may take its worker down before it fails.
ALLOWED_FAILURES = "distributed.scheduler.allowed-failures"
#: A Dask task's reason when its worker died under it.
KILLED = "a Dask worker died (KilledWorker)"


def executor(
    name: ExecutorName | str = "processes",
    *,
    workers: int | None = None,
    scheduler: str | None = None,
) -> Executor:
    """The executor a user named; a scheduler address implies Dask."""
    if scheduler and name != "dask":
        raise ExecutorError(f"--scheduler is for the dask executor, not {name!r}")
    if name == "local":
        return Local()
    if name == "processes":
        return Processes(workers)
    if name == "dask":
        return Dask(workers, scheduler)
    raise ExecutorError(f"unknown executor {name!r}; one of {', '.join(EXECUTORS)}")
