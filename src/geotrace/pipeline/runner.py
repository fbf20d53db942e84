"""The one runner of every stage: page, compute on an executor, commit, repeat.

Why it survives ``kill -9`` and a new version alike: a stage's ``todo`` lists only what
lacks a result of its current version, and each page's results are committed in one
transaction of the case's single writer (this process).  A kill loses at most the page
being computed; a re-run lists it again; a stage whose version changed lists everything
its older version made.  A task that raises, or whose worker dies, is retried one item at
a time where a crash costs only that item, which is then kept as the stage's own
"failed" result with its reason (and a problem): one hostile file never stops a page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from geotrace.pipeline.executors import Executor, Failed, Local
from geotrace.pipeline.registry import stages
from geotrace.pipeline.stage import Context, Progress, Stage, StageSummary
from geotrace.store.case import Case, is_case

ProgressCallback = Callable[[Progress], None]


def open_case(path: Path, *, write: bool = False, create: bool = False) -> Case:
    """A case as the commands open it: for writing, with every registered stage's tables
    made (a stage's queries then find its table even before the stage has run).  A case
    that is not there is made only when ``create`` is given."""
    if write and not create and not is_case(path):
        raise FileNotFoundError(f"no case at {path}")
    case = Case(path, write=write)
    if write:
        try:
            for stage in stages().values():
                prepare(case, stage)
        except BaseException:
            case.close()
            raise
    return case


def prepare(case: Case, stage: Stage[Any, Any]) -> None:
    """Give the case the stage's tables (a no-op once they are there)."""
    case.migrate(stage.migrations)


def run(
    case: Case,
    stage: Stage[Any, Any],
    executor: Executor,
    progress: ProgressCallback | None = None,
    request: Sequence[Any] | None = None,
) -> StageSummary:
    """Bring ``stage``'s results up to date in ``case`` (only those ``request`` names,
    when given: see :meth:`Stage.todo`).  A stage marked ``in_process`` is computed in
    this process whatever the executor, Dask included: places over 10,000 sightings took
    0.8-0.9 CPU-s here and 1.4-1.7 as one task on a warmed Dask worker, the pickling of
    sightings and answers costing more than the vectorised pass (bench/dask_workers.py)."""
    prepare(case, stage)
    if stage.in_process:
        executor = Local()
    context = Context(case.media.root)
    summary = StageSummary(stage.name)
    page = stage.todo(case.db, context, None, stage.page_size, request)
    while page:
        results = compute(stage, page, executor)
        with case.transaction():
            problems = stage.write(case.db, results)
        summary.done += len(results)
        summary.failed += sum(problems.values())
        summary.problems.update(problems)
        page = stage.todo(case.db, context, stage.key(page[-1]), stage.page_size, request)
        if progress is not None:
            progress(Progress(stage.name, summary.done, summary.failed, summary.done + len(page)))
    return summary


def compute(stage: Stage[Any, Any], page: Sequence[Any], executor: Executor) -> list[Any]:
    """A page's results, in the page's order."""
    tasks = stage.split(page)
    results: list[Any] = []
    routes = [stage.route(task) for task in tasks]
    for task, outcome in zip(tasks, executor.map(stage.compute, tasks, routes), strict=True):
        if not isinstance(outcome, Failed) and len(outcome) == len(task):
            results.extend(outcome)
            continue  # (a result list of another length would pair results with wrong items)
        for item, single in zip(task, executor.alone(stage.compute, task), strict=True):
            if isinstance(single, Failed) or len(single) != 1:
                reason = single.reason if isinstance(single, Failed) else "no single result"
                results.append(stage.failed(item, reason))
            else:
                results.extend(single)
    return results


def run_after_ingest(
    case: Case, executor: Executor, progress: ProgressCallback | None = None
) -> list[StageSummary]:
    """Every registered stage that an ingest ends with, in registration order; every
    registered stage's tables are made first, so that a stage run on request (and the
    queries of one) find its tables in any case an ingest wrote."""
    known = stages().values()
    for stage in known:
        prepare(case, stage)
    return run_named(case, [s for s in known if s.after_ingest], executor, progress)


def run_named(
    case: Case,
    chosen: Iterable[Stage[Any, Any]],
    executor: Executor,
    progress: ProgressCallback | None = None,
) -> list[StageSummary]:
    """Run each of ``chosen`` in turn."""
    return [run(case, stage, executor, progress) for stage in chosen]
