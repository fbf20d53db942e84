"""Following people over time: the API of ``tracks``, ``stays``, ``crossings``,
``together``, ``silence``, ``links`` and ``subject`` (re-exported by :mod:`geotrace.api`,
one function per command, same names).

Each function brings its stage up to date for what it was asked (parameters, ``as_of``,
an account), then reads the stage's answer: asking twice computes once.  ``as_of``
answers as if it were that instant: nothing after it is seen.  Without ``format`` a
function returns the rows; with one it writes them (text, jsonl, csv, geojson) to
``output`` (default stdout) and returns how many.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from geotrace.errors import InputError
from geotrace.geo import parse_iso

# Start-up: the runner and the case are imported by the functions that open one, as in
# geotrace.api (``--help`` stays light).
if TYPE_CHECKING:
    from geotrace.present.people_layers import PeopleLayers
    from geotrace.store.case import Case

#: What a function returns: the rows, or how many it wrote.
Rows = list[dict[str, Any]] | int


def _instant(text: str | None) -> float | None:
    """``--as-of`` as seconds since 1970: ISO 8601, a date alone meaning its first second
    UTC; a wall time with no zone is refused (it would silently be hours off)."""
    if text is None:
        return None
    try:
        when = parse_iso(text if "T" in text or " " in text else f"{text}T00:00:00Z")
    except ValueError:
        raise InputError(f"--as-of: {text!r} is not an ISO 8601 date or instant") from None
    if when.tzinfo is None:
        raise InputError(f"--as-of: {text!r} has no zone; add Z or an offset (+03:00)")
    return when.timestamp()


def _tracks(case: Case, account: str | None) -> tuple[tuple[str, str], ...] | None:
    """The tracks ``account`` names: ``platform:id``, an id, a handle or name, a subject."""
    if account is None:
        return None
    found = case.db.execute(
        "SELECT DISTINCT a.platform, a.account_id FROM accounts a"
        " LEFT JOIN account_names n ON n.account = a.id"
        " WHERE a.account_id = ? OR a.platform || ':' || a.account_id = ?"
        " OR n.handle = ? OR n.name = ?",
        (account, account, account, account),
    ).fetchall()
    found += case.db.execute("SELECT 'subject', name FROM subjects WHERE name = ?", (account,))
    if not found:
        raise InputError(f"no account or subject {account!r} in the case")
    return tuple((str(p), str(a)) for p, a in found)


def _stage_rows(opened: Case, stage_name: str, ask: Any, where: str = "") -> list[dict[str, Any]]:
    """Bring one stage up to date for ``ask`` in an open case and read its answer."""
    from geotrace.pipeline.executors import Local
    from geotrace.pipeline.registry import stage
    from geotrace.pipeline.runner import run

    chosen = stage(stage_name)
    run(opened, chosen, Local(), request=[ask])
    rows: list[dict[str, Any]] = chosen.rows(opened.db, ask, where)  # type: ignore[attr-defined]
    return rows


def _answer(
    case: str | Path,
    stage_name: str,
    *,
    account: str | None,
    as_of: str | None,
    params: dict[str, Any],
    format: str | None,
    output: TextIO | None,
    keep: Any = None,
    where: str = "",
) -> Rows:
    """Bring one stage up to date for the question, read its answer, filter, write."""
    from geotrace.analysis.track_stage import Ask
    from geotrace.pipeline.runner import open_case

    with open_case(Path(case), write=True) as opened:
        ask = Ask(tuple(sorted(params.items())), _instant(as_of), _tracks(opened, account))
        rows = _stage_rows(opened, stage_name, ask, where)
    rows = [r for r in rows if keep is None or keep(r)]
    return _written(rows, format, output)


def layers(case: str | Path) -> PeopleLayers:
    """What the map and the report show of people, every stage brought up to date once, at
    its defaults (stays: trackintel's 100 m and 5 min): impossible legs, stays and bases,
    crossings, meetings, and each account's silence and past silences.  Silence is measured
    as of the case's latest chain-of-custody entry (when material last entered it), never
    the clock: the same case gives the same answer, and an archive collected years ago is
    judged as of its collection."""
    from geotrace.analysis.stays_stage import DEFAULTS as STAYS
    from geotrace.analysis.track_stage import Ask
    from geotrace.pipeline.runner import open_case
    from geotrace.present.people_layers import PeopleLayers

    with open_case(Path(case), write=True) as opened:
        (latest,) = opened.db.execute("SELECT max(at) FROM custody_log").fetchone()
        silences = _stage_rows(opened, "silence", Ask(as_of=_instant(latest))) if latest else []
        return PeopleLayers(
            legs=_stage_rows(opened, "tracks", Ask(), where="flag != ''"),
            stays=_stage_rows(opened, "stays", Ask()),
            crossings=_stage_rows(opened, "crossings", Ask()),
            meetings=_stage_rows(opened, "together", Ask()),
            silences=silences,
            as_of_utc=silences[0]["as_of_utc"] if silences else latest,
            as_of_basis="the latest entry of the chain of custody:"
            " when material last entered the case",
            stay_params={k: float(v) for k, v in STAYS.items() if v is not None},
        )


def _written(rows: list[dict[str, Any]], format: str | None, output: TextIO | None) -> Rows:
    if format is None:
        return rows
    from geotrace.present.people import FORMATS, write_rows

    if format not in FORMATS:
        raise InputError(f"unknown format {format!r}; one of {', '.join(FORMATS)}")
    return write_rows(rows, format, sys.stdout if output is None else output)


def tracks(
    case: str | Path,
    *,
    account: str | None = None,
    as_of: str | None = None,
    impossible: bool = False,
    format: str | None = None,
    output: TextIO | None = None,
) -> Rows:
    """Every track's legs in time order: distance, time, the least speed consistent with
    both radii and windows, and a flag where even that is impossible by road or by air;
    with ``impossible``, only the flagged legs."""
    return _answer(
        case,
        "tracks",
        account=account,
        as_of=as_of,
        params={},
        format=format,
        output=output,
        where="flag != ''" if impossible else "",
    )


def stays(
    case: str | Path,
    *,
    account: str | None = None,
    as_of: str | None = None,
    distance_m: float = 100.0,
    duration_s: float = 300.0,
    gap_s: float | None = None,
    bases: bool = False,
    format: str | None = None,
    output: TextIO | None = None,
) -> Rows:
    """Stays: consecutive sightings that can be one place for at least ``duration_s``
    (trackintel's sliding staypoints on exact points; widened by each sighting's radius);
    with ``bases``, the places each track returns to instead."""
    params = {"distance_m": float(distance_m), "duration_s": float(duration_s), "gap_s": gap_s}
    kind = "base" if bases else "stay"
    return _answer(
        case,
        "stays",
        account=account,
        as_of=as_of,
        params=params,
        format=format,
        output=output,
        keep=lambda row: row["kind"] == kind,
    )


def crossings(
    case: str | Path,
    *,
    account: str | None = None,
    as_of: str | None = None,
    format: str | None = None,
    output: TextIO | None = None,
) -> Rows:
    """Border and region crossings (de jure, de facto, admin-1), each with the window in
    which it happened and the border confidence."""
    return _answer(
        case, "crossings", account=account, as_of=as_of, params={}, format=format, output=output
    )


def together(
    case: str | Path,
    *,
    account: str | None = None,
    as_of: str | None = None,
    space_m: float | None = None,
    time_s: float | None = None,
    format: str | None = None,
    output: TextIO | None = None,
) -> Rows:
    """Meetings: pairs of accounts (or subjects) whose discs and time windows overlap,
    with margins, scored, with the best evidence pair and a co-travel score."""
    params: dict[str, Any] = {}
    if space_m is not None:
        params["space_margin_m"] = float(space_m)
    if time_s is not None:
        params["time_margin_s"] = float(time_s)
    return _answer(
        case, "together", account=account, as_of=as_of, params=params, format=format, output=output
    )


def silence(
    case: str | Path,
    *,
    account: str | None = None,
    as_of: str | None = None,
    history: bool = False,
    cohort: Sequence[str] | None = None,
    format: str | None = None,
    output: TextIO | None = None,
) -> Rows:
    """Each account's silence as of ``as_of`` (default now) against its own rhythm:
    ``p``, ``verdict`` (silent, ordinary, insufficient_history); with ``history``, every
    past gap scored with only the history before it; with ``cohort`` (accounts of one
    unit), their joint silence against the cohort's own co-silence history."""
    moment = as_of or datetime.now(UTC).isoformat(timespec="seconds")
    kind = "past_gap" if history else "current"
    rows = _answer(
        case,
        "silence",
        account=account,
        as_of=moment,
        params={},
        format=None,
        output=None,
        keep=lambda row: row["kind"] == kind,
    )
    assert isinstance(rows, list)
    if cohort:
        rows.append(_cohort(case, cohort, _instant(moment) or 0.0))
    return _written(rows, format, output)


def _cohort(case: str | Path, names: Sequence[str], as_of: float) -> dict[str, Any]:
    """The cohort's joint silence as one row (``platform`` '' and ``account_id``
    "cohort")."""
    from geotrace.analysis import point_queries
    from geotrace.analysis import silence as scorer
    from geotrace.analysis.track_stage import utc_text
    from geotrace.pipeline.runner import open_case

    with open_case(Path(case)) as opened:
        keys = [k for name in names for k in _tracks(opened, name) or ()]
        times = point_queries.post_times(opened.db, None, len(keys), as_of=as_of, only=keys)
    joint = scorer.cohort([(t.t, t.u) for t in times], as_of)
    return {
        "platform": "",
        "account_id": "cohort",
        "kind": "cohort",
        "accounts": [f"{t.key[0]}:{t.key[1]}" for t in times],
        "silent": [f"{times[i].key[0]}:{times[i].key[1]}" for i in joint.members],
        "start_utc": utc_text(joint.start_utc),
        "as_of_utc": utc_text(joint.as_of),
        "p": joint.p,
        "verdict": joint.verdict,
    }


def links(
    case: str | Path,
    *,
    account: str | None = None,
    format: str | None = None,
    output: TextIO | None = None,
) -> Rows:
    """Files from one camera, lens or capture (serials, Apple's ContentIdentifier), or
    consistent with one model and firmware; with the accounts that posted them."""
    from geotrace.analysis.links_stage import STAGE, links
    from geotrace.pipeline.executors import Local
    from geotrace.pipeline.runner import open_case, run

    with open_case(Path(case), write=True) as opened:
        run(opened, STAGE, Local())
        wanted = _tracks(opened, account)
        rows = links(opened.db, None if wanted is None else set(wanted))
    return _written(rows, format, output)


def subject(name: str, items: Sequence[str], case: str | Path) -> int:
    """Assign files (by path or SHA-256) and posts (``platform:id``, URL or id) to the
    subject ``name``; its route is then a track like an account's.  Returns how many
    were new to it."""
    from geotrace.analysis import subjects
    from geotrace.pipeline.runner import open_case

    with open_case(Path(case), write=True) as opened, opened.transaction():
        return subjects.add(opened.db, name, items)
