"""What a stage is: a named, versioned derived result with its own tables.

A stage lists the work that lacks a result of its current version, computes a page of it
with a pure function, and writes the page.  Everything else (paging, resume after a kill,
versions, progress, crash isolation, the executor) is the runner's
(:mod:`geotrace.pipeline.runner`), so that a new analysis is one module that subclasses
:class:`Stage` and writes four methods, as a movingpandas splitter writes one.

This module imports neither the store nor any stage: the layers below the store
(``evidence``, ``places``) define their stages against it, with plain ``sqlite3``.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from geotrace.sql import MigrationSet

#: One item of a stage's work, as its ``todo`` lists it; picklable (it crosses to workers).
W = TypeVar("W")
#: One item's result, as its ``compute`` returns it; picklable.
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Context:
    """What a stage's queries may know of the case besides its database."""

    #: The folder of the case's originals: work items carry absolute paths into it, so
    #: that a worker (another process, another machine on a shared filesystem) reads them.
    media_root: Path


@dataclass(frozen=True, slots=True)
class Progress:
    """The one progress event of every stage: after each committed page.  ``known`` is
    what is done plus what the last page listed: it grows as pages are listed, since a
    stage never lists a million items at once."""

    stage: str
    done: int
    failed: int
    known: int


@dataclass(slots=True)
class StageSummary:
    """What one run of a stage did: items done, items that failed (each also a problem
    in the case, by code in ``problems``)."""

    stage: str
    done: int = 0
    failed: int = 0
    problems: Counter[str] = field(default_factory=Counter)


class Stage(ABC, Generic[W, R]):
    """A derived result: subclass it, give ``name``, ``version``, ``migrations`` and
    ``compute``, and write ``todo``, ``key``, ``failed`` and ``write``.

    ``compute`` must be a module-level function (a staticmethod here) of a page of work
    alone: no case, no SQL, no globals, so that it pickles by reference and runs the same
    in this process, in a fork pool or on a Dask worker.
    """

    name: ClassVar[str]
    #: Results of another version are redone: change it whenever results would change.
    version: ClassVar[str]
    #: The stage's own tables (see :mod:`geotrace.store.migrations`).
    migrations: ClassVar[MigrationSet]
    #: The pure computation of a task: items in, one result per item out, in order.
    compute: Callable[[Sequence[Any]], list[Any]]
    #: Items committed in one transaction: a kill loses at most this many.
    page_size: ClassVar[int] = 1000
    #: Items handed to a worker in one task: enough to amortise the hand-off.
    chunk_size: ClassVar[int] = 64
    #: Whether its computation is cheaper than shipping its work and results to a worker,
    #: and safe in this process (NumPy over numbers, no decoder of hostile bytes): then
    #: the runner computes it here whatever the executor (bench/stages.py: places).
    in_process: ClassVar[bool] = False
    #: Whether every ingest runs it at its end (False: it runs on request, as the pixel
    #: checks of ``copies`` do).
    after_ingest: ClassVar[bool] = True

    @abstractmethod
    def todo(
        self,
        db: sqlite3.Connection,
        context: Context,
        after: Any,
        limit: int,
        request: Sequence[Any] | None = None,
    ) -> list[W]:
        """Up to ``limit`` items lacking a result of ``version``, in ``key`` order, after
        the key ``after`` (None: from the start).  ``request`` narrows the work to what a
        caller asked for (stage-specific; None: everything that lacks a current result)."""

    @abstractmethod
    def key(self, item: W) -> Any:
        """The item's place in ``todo``'s order: where the next page starts."""

    @abstractmethod
    def failed(self, item: W, reason: str) -> R:
        """The result to keep for an item whose computation raised or killed its worker,
        so that it is recorded (and not retried for ever)."""

    @abstractmethod
    def write(self, db: sqlite3.Connection, results: Sequence[R]) -> Counter[str]:
        """Store a page's results inside the runner's transaction, replacing older
        versions; return the problems recorded with them, by code."""

    def split(self, page: Sequence[W]) -> list[list[W]]:
        """The tasks of a page: runs of ``chunk_size`` items (a stage whose items share
        inputs groups them so that each task reads an input once)."""
        size = max(1, self.chunk_size)
        return [list(page[i : i + size]) for i in range(0, len(page), size)]

    def route(self, task: Sequence[W]) -> int | None:
        """Which tasks share inputs: tasks of one route may go to one worker, which then
        has them in memory (None: any worker; see ``executors.Processes``)."""
        return None
