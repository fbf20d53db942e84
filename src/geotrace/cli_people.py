"""The commands of following people and reading their texts: each is its API function
(:mod:`geotrace.api_people`, :mod:`geotrace.api_text`), printed as asked; :mod:`geotrace.cli`
registers them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.markup import escape

from geotrace import api
from geotrace.api_text import TextsRead
from geotrace.cli_console import CaseOption, err, fatal_errors, out, writing
from geotrace.present.people import PeopleFormat

# Following people: each command is its API function, printed as asked.
AccountOption = Annotated[str | None, typer.Option(help="An account (platform:id) or subject.")]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="Answer as if it were then.")]


FormatOption = Annotated[PeopleFormat, typer.Option("--format", help="Output format.")]


def _people(function: Callable[..., object], given: dict[str, Any]) -> None:
    """A command of people: its API function with the command's options, printed."""
    options = dict(given)
    fmt, case = options.pop("fmt"), options.pop("case")
    with fatal_errors():
        function(case, format=fmt.value, **options)


def tracks(
    case: CaseOption,
    account: AccountOption = None,
    as_of: AsOfOption = None,
    impossible: Annotated[bool, typer.Option(help="Only legs flagged impossible.")] = False,
    fmt: FormatOption = PeopleFormat.text,
) -> None:
    """Legs between sightings, with the least speed each needs."""
    _people(api.tracks, locals())


def stays(
    case: CaseOption,
    account: AccountOption = None,
    as_of: AsOfOption = None,
    distance_m: Annotated[float, typer.Option(help="How far is leaving (m).")] = 100.0,
    duration_s: Annotated[float, typer.Option(help="How long is a stay (s).")] = 300.0,
    gap_s: Annotated[float | None, typer.Option(help="A gap that cuts a stay (s).")] = None,
    bases: Annotated[bool, typer.Option(help="Where each track returns, instead.")] = False,
    fmt: FormatOption = PeopleFormat.text,
) -> None:
    """Stays (trackintel's sliding staypoints), or bases."""
    _people(api.stays, locals())


def crossings(
    case: CaseOption,
    account: AccountOption = None,
    as_of: AsOfOption = None,
    fmt: FormatOption = PeopleFormat.text,
) -> None:
    """Border and region crossings, with their windows."""
    _people(api.crossings, locals())


def together(
    case: CaseOption,
    account: AccountOption = None,
    as_of: AsOfOption = None,
    space_m: Annotated[float | None, typer.Option(help="Space margin (m).")] = None,
    time_s: Annotated[float | None, typer.Option(help="Time margin (s).")] = None,
    fmt: FormatOption = PeopleFormat.text,
) -> None:
    """Who can have been together, with the evidence."""
    _people(api.together, locals())


def silence(
    case: CaseOption,
    account: AccountOption = None,
    as_of: AsOfOption = None,
    history: Annotated[bool, typer.Option(help="Score every past gap instead.")] = False,
    cohort: Annotated[
        list[str] | None, typer.Option(help="Accounts of one unit (repeat the option).")
    ] = None,
    fmt: FormatOption = PeopleFormat.text,
) -> None:
    """Whether each account's silence is unusual for it."""
    _people(api.silence, locals())


def links(
    case: CaseOption, account: AccountOption = None, fmt: FormatOption = PeopleFormat.text
) -> None:
    """Files of one camera, lens or capture."""
    _people(api.links, locals())


class MentionFormat(StrEnum):
    """Output formats of ``mentions``."""

    jsonl = "jsonl"
    csv = "csv"


def mentions(
    case: Annotated[Path | None, typer.Option("--case", help="The case file (SQLite).")] = None,
    account: AccountOption = None,
    jsonl: Annotated[
        Path | None, typer.Option("--jsonl", help='Your own texts: lines of {"id", "text"}.')
    ] = None,
    units: Annotated[bool, typer.Option(help="The units named, with who names each.")] = False,
    fmt: Annotated[MentionFormat, typer.Option("--format", help="Output format.")] = (
        MentionFormat.jsonl
    ),
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here (default stdout).")
    ] = None,
) -> None:
    """Places, units and casualty cues read out of the texts."""
    with fatal_errors(), _output(output) as stream:
        done = api.mentions(
            case, account=account, jsonl=jsonl, units=units, format=fmt.value, output=stream
        )
    if isinstance(done, TextsRead):
        for problem in done.problems:
            err.print(f"skipped {escape(str(jsonl))} {escape(problem)}")
        err.print(f"{done.written} texts read, {len(done.problems)} lines skipped")
        if done.problems:
            raise typer.Exit(1)


@contextmanager
def _output(path: Path | None) -> Iterator[TextIO | None]:
    """The file asked for, appearing only whole, or stdout."""
    if path is None:
        yield None
        return
    with writing(path) as stream:
        yield stream


subjects = typer.Typer(help="Subjects: a vehicle, a unit, seen by many; a route each.")


@subjects.command("add")
def subject_add(
    name: Annotated[str, typer.Argument(help="The subject's name.")],
    items: Annotated[list[str], typer.Argument(help="Files, SHA-256s or posts.")],
    case: CaseOption,
) -> None:
    """Assign files and posts to a subject: its route is then a track."""
    with fatal_errors():
        added = api.subject(name, items, case)
    out.print(f"{escape(name)}: {added} new of {len(items)} given")


#: The commands :mod:`geotrace.cli` registers, in the order ``--help`` lists them.
COMMANDS = (tracks, stays, crossings, together, silence, links, mentions)
