"""What every command module shares: the consoles, the ``--case`` option, the one place
fatal errors become exit code 2, and outputs that appear only whole."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.markup import escape

from geotrace.errors import GeotraceError

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)
# Off a terminal (a pipe, a log, make demo) a line stays one line: Rich would cut it at 80
# columns, and a summary split in two no longer greps.
out.soft_wrap = not out.is_terminal
err.soft_wrap = not err.is_terminal

CaseOption = Annotated[Path, typer.Option("--case", help="The case file (SQLite).")]


@contextmanager
def fatal_errors() -> Iterator[None]:
    """Turn errors about the case itself, or about a layer or tile set the user named that
    cannot be used, into a message and exit code 2."""
    try:
        yield
    except (FileNotFoundError, GeotraceError, sqlite3.DatabaseError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)  # one line
        raise typer.Exit(2) from None


@contextmanager
def writing(output: Path) -> Iterator[TextIO]:
    """``output`` opened for text, written beside it and put in place only when the command
    succeeds: a failed map or export never leaves a half file under the name asked for."""
    part = output.with_name(f".{output.name}.part")
    try:
        with part.open("w", encoding="utf-8", newline="") as f:
            yield f
        part.replace(output)
    finally:
        part.unlink(missing_ok=True)
