"""What every command module shares: the consoles, the ``--case`` option, the one place
fatal errors become exit code 2, outputs that appear only whole, and tables off a
terminal."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Annotated, TextIO

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.text import Text

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


#: What Rich lays out itself: line breaks, tabs, any control character (Unicode's Cc).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def plain_cells(rows: Sequence[Sequence[str]]) -> list[list[str]] | None:
    """The cells' text without markup, or None where one needs Rich's layout (a line
    break, a tab, any control character)."""
    found = []
    for row in rows:
        cells = [Text.from_markup(c).plain if "[" in c or "\\" in c else c for c in row]
        if _CONTROL.search("".join(cells)):
            return None
        found.append(cells)
    return found


def write_table(header: Sequence[str], rows: Sequence[Sequence[str]], file: IO[str]) -> None:
    """A table as Rich prints it off a terminal at its natural width (box HEAVY_HEAD, every
    cell whole on one line), written directly.  Why not Rich: it measures and renders
    ~0.75 ms a row, 78 s for the accounts of a 100,000-account case
    (``bench/analytics.py``); this writes the same characters in a fraction of a second."""

    def width(text: str) -> int:
        return len(text) if text.isascii() else cell_len(text)

    widths = [width(h) for h in header]
    for row in rows:
        widths = [max(w, width(c)) for w, c in zip(widths, row, strict=True)]

    def line(cells: Sequence[str], edge: str) -> str:
        padded = (" " + c + " " * (w - width(c) + 1) for c, w in zip(cells, widths, strict=True))
        return edge + edge.join(padded) + edge + "\n"

    bar = ["━" * (w + 2) for w in widths]
    file.write("┏" + "┳".join(bar) + "┓\n")
    file.write(line(header, "┃"))
    file.write("┡" + "╇".join(bar) + "┩\n")
    file.writelines(line(row, "│") for row in rows)
    file.write("└" + "┴".join("─" * (w + 2) for w in widths) + "┘\n")
