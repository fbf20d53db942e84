"""The commands of the audit side: ``audit`` (what a file, post or account gives away) and
``scrub`` (cleaned copies, read back); each is its API function (:mod:`geotrace.api_audit`),
printed as asked; :mod:`geotrace.cli` registers them."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from geotrace import api
from geotrace.cli_console import err, fatal_errors, out
from geotrace.sources import Refusal

if TYPE_CHECKING:
    from geotrace.audit.findings import Finding
    from geotrace.audit.scrub import Scrubbed


class AuditFormat(StrEnum):
    """Output formats of ``audit`` and ``scrub``."""

    text = "text"
    jsonl = "jsonl"


_COLOUR = {"high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}
FormatOption = Annotated[AuditFormat, typer.Option("--format", help="Output format.")]


def audit(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (recursive).")
    ] = None,
    case: Annotated[
        Path | None, typer.Option("--case", help="Also audit this case's posts and accounts.")
    ] = None,
    account: Annotated[
        str | None, typer.Option(help="Only this account of the case (platform:id or handle).")
    ] = None,
    ocr: Annotated[
        bool, typer.Option(help="Read the words each picture shows (needs Tesseract).")
    ] = True,
    fmt: FormatOption = AuditFormat.text,
) -> None:
    """What each file, post and account gives away."""
    skipped = shown = 0
    subject = None
    with fatal_errors():
        for found in api.audit(paths or [], case, account=account, ocr=ocr):
            if isinstance(found, Refusal):
                err.print(f"skipped {escape(found.path)}: {escape(found.message)}")
                skipped += 1
                continue
            shown += 1
            if fmt is AuditFormat.jsonl:
                sys.stdout.write(json.dumps(found.json(), ensure_ascii=False) + "\n")
                continue
            if found.subject != subject:
                subject = found.subject
                out.print(f"[bold]{escape(subject)}[/bold]")
            out.print(_finding_line(found))
    err.print(f"{shown} findings, {skipped} inputs skipped")
    if skipped:
        raise typer.Exit(1)


def _finding_line(found: Finding) -> str:
    colour = _COLOUR[found.severity]
    fate = {True: " [dim](scrub removes it)[/dim]", False: " [dim](scrub keeps it)[/dim]"}
    said = fate.get(found.removable, "") if found.removable is not None else ""
    return (
        f"  [{colour}]{found.severity:<6}[/{colour}] {found.kind:<18} "
        f"{escape(found.evidence)}{said}"
    )


def scrub(
    inputs: Annotated[list[Path], typer.Argument(help="Files or folders (recursive).")],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="The folder the cleaned copies go to.")
    ],
    keep: Annotated[str, typer.Option(help="Keep these, comma-separated: orientation, icc.")] = "",
    reencode: Annotated[
        bool,
        typer.Option(help="Re-encode (lossy) what cannot be cleaned losslessly, not refuse it."),
    ] = False,
    exiftool: Annotated[
        bool, typer.Option(help="Also read every copy back with exiftool, where installed.")
    ] = True,
    workers: Annotated[
        int | None, typer.Option(help="Cleaning processes (default: one per core).")
    ] = None,
    fmt: FormatOption = AuditFormat.text,
) -> None:
    """Clean copies, pixels untouched, each read back."""

    def shown(done: Scrubbed) -> None:
        if fmt is AuditFormat.jsonl:
            sys.stdout.write(json.dumps(done.json(), ensure_ascii=False) + "\n")
        else:
            out.print(_scrub_line(done))

    with fatal_errors():
        summary = api.scrub(
            inputs,
            output,
            keep=keep,
            reencode=reencode,
            exiftool=exiftool,
            workers=workers,
            progress=shown,
        )
    checked = "geotrace" + (f" and {summary.exiftool}" if summary.exiftool else "")
    if exiftool and summary.exiftool is None:
        checked += " (exiftool is not installed: its read-back did not run)"
    err.print(
        f"{summary.cleaned} cleaned, {summary.refused} refused, {summary.failed} failed;"
        f" copies read back by {checked}"
    )
    if summary.refused or summary.failed:
        raise typer.Exit(1)


def _scrub_line(done: Scrubbed) -> str:
    source = escape(done.source)
    if done.status == "refused":
        return f"[yellow]refused[/yellow] {source}: {escape(done.reason)}"
    if done.status == "failed":
        left = "; ".join(done.residuals[:6])
        return f"[red]FAILED[/red]  {source}: {escape(left)} (no copy kept)"
    kinds = sorted({r.split(":", 1)[0] for r in done.removed})
    removed = f"removed {', '.join(kinds)}" if kinds else "nothing to remove"
    notes = "".join(f"; {escape(n)}" for n in done.notes)
    lossy = " [red](re-encoded)[/red]" if done.reencoded else ""
    return f"[green]cleaned[/green] {source} -> {escape(str(done.output))}: {removed}{notes}{lossy}"


#: The commands :mod:`geotrace.cli` registers, in the order ``--help`` lists them.
COMMANDS = (audit, scrub)
