"""What the analyses of people add to the map and the report: flagged legs, stays and bases,
crossings, meetings and silences, handed in as rows (the API brings the stages up to date
and reads them; ``present`` does not run stages).

The map gets them as column arrays, like its sightings: a case of a million fixes has
thousands of stays and legs, and a dict per row would cost ten times the bytes.  Only the
*flagged* legs are drawn: every other leg is already the account's track line.  The report
gets one timeline per account, every entry with its evidence (links to the sightings it
rests on, the instants, the scores), in a stable order so that the same case gives the
same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from geotrace.geo import format_duration
from geotrace.present.markup import Markup, el, join
from geotrace.present.packing import epoch, number

Row = Mapping[str, Any]
Key = tuple[str, str]
#: Sighting links shown per timeline entry: a stay of a dense GPS track rests on hundreds
#: of fixes; the first few locate it in the sightings table and the count says the rest.
LINKS_SHOWN = 8
#: Timeline entries per account: a noisy dense track can flag thousands of legs; past this
#: the report says how many were left out and which command lists them all.
TIMELINE_CAP = 500
LEVELS = {
    "country_de_jure": "country, de jure",
    "country_de_facto": "country, de facto",
    "admin1": "oblast / region",
}


@dataclass(frozen=True, slots=True)
class PeopleLayers:
    """The rows of the people commands for one case (``geotrace.api_people``): ``legs``
    (those flagged are drawn and listed), ``stays`` (stays and bases), ``crossings``,
    ``meetings`` (``together``), ``silences`` (current and past gaps) as of ``as_of_utc``,
    which ``as_of_basis`` explains; ``stay_params`` as the stays were asked."""

    legs: Sequence[Row] = ()
    stays: Sequence[Row] = ()
    crossings: Sequence[Row] = ()
    meetings: Sequence[Row] = ()
    silences: Sequence[Row] = ()
    as_of_utc: str | None = None
    as_of_basis: str = ""
    stay_params: Mapping[str, float] = field(default_factory=dict)

    def flagged(self) -> list[Row]:
        return [r for r in self.legs if r.get("flag")]

    def silent(self) -> list[Row]:
        """Current silences the scorer calls unusual (the map's markers)."""
        return [r for r in self.silences if r["kind"] == "current" and r["verdict"] == "silent"]


def key_of(row: Row, prefix: str = "") -> Key:
    return (str(row.get(f"{prefix}platform") or ""), str(row.get(f"{prefix}account_id") or ""))


def _ids(value: Any) -> list[int]:
    """A row's sighting ids: a list, or the JSON text the stays table keeps."""
    if isinstance(value, str):
        value = json.loads(value) if value else []
    return [int(v) for v in value or ()]


class _Pack:
    """Columns of one layer: each ``add`` appends one value to every named column."""

    def __init__(self, names: Iterable[str]) -> None:
        self.cols: dict[str, list[Any]] = {name: [] for name in names}

    def add(self, **values: Any) -> None:
        for name, column in self.cols.items():
            column.append(values[name])


def map_layers(
    layers: PeopleLayers,
    accounts: Mapping[Key, int],
    last_seen: Mapping[Key, tuple[float, float]],
) -> dict[str, Any]:
    """The layers as the page's column arrays.  ``accounts`` maps (platform, account_id) to
    the page's account index (for colour and the account filter; -1: none, e.g. a subject);
    ``last_seen`` an account's last dated sighting, where its silence marker goes."""
    who: dict[Key, int] = {}
    texts: dict[str, int] = {}

    def w(key: Key) -> int:
        return who.setdefault(key, len(who))

    def code(text: Any) -> int:
        return texts.setdefault(str(text or ""), len(texts))

    legs = _Pack(("w", "lat", "lon", "lat2", "lon2", "t", "t2", "flag", "kmh", "km", "s", "s2"))
    for r in layers.flagged():
        legs.add(
            w=w(key_of(r)),
            lat=number(r["from_lat"]),
            lon=number(r["from_lon"]),
            lat2=number(r["to_lat"]),
            lon2=number(r["to_lon"]),
            t=epoch(r["from_utc"]),
            t2=epoch(r["to_utc"]),
            flag=code(r["flag"]),
            kmh=number(r["min_speed_kmh"], 1),
            km=number(float(r["distance_m"]) / 1000, 2),
            s=r["from_sighting"],
            s2=r["to_sighting"],
        )
    stays = _Pack(("w", "lat", "lon", "r", "t", "t2", "base", "n", "open", "days"))
    for r in layers.stays:
        stays.add(
            w=w(key_of(r)),
            lat=number(r["lat"]),
            lon=number(r["lon"]),
            r=number(r["radius_m"], 1),
            t=epoch(r["first_utc"]),
            t2=epoch(r["last_utc"]),
            base=int(r["kind"] == "base"),
            n=r.get("sightings"),
            open=int(bool(r.get("open"))),
            days=r.get("days"),
        )
    crossings = _Pack(
        ("w", "lat", "lon", "lat2", "lon2", "t", "t2", "level", "left", "entered", "conf")
    )
    for r in layers.crossings:
        crossings.add(
            w=w(key_of(r)),
            lat=number(r["last_lat"]),
            lon=number(r["last_lon"]),
            lat2=number(r["first_lat"]),
            lon2=number(r["first_lon"]),
            t=epoch(r["after_utc"]),
            t2=epoch(r["before_utc"]),
            level=code(LEVELS.get(r["level"], r["level"])),
            left=code(r["left_code"]),
            entered=code(r["entered_code"]),
            conf=code(r["confidence"]),
        )
    meetings = _Pack(("w", "w2", "lat", "lon", "lat2", "lon2", "t", "t2", "m", "score", "co", "n"))
    for r in layers.meetings:
        at = list(r["at_utc"])
        meetings.add(
            w=w(key_of(r)),
            w2=w(key_of(r, "other_")),
            lat=number(r["lat"]),
            lon=number(r["lon"]),
            lat2=number(r["other_lat"]),
            lon2=number(r["other_lon"]),
            t=epoch(min(at)),
            t2=epoch(max(at)),
            m=number(r["distance_m"], 1),
            score=number(r.get("score"), 3),
            co=number(r.get("co_travel"), 3),
            n=r.get("encounters"),
        )
    silences = _Pack(("w", "lat", "lon", "last", "gap", "p"))
    unplaced = 0
    for r in layers.silent():
        where = last_seen.get(key_of(r))
        if where is None:  # time-only posts: a silence with no place to mark
            unplaced += 1
            continue
        silences.add(
            w=w(key_of(r)),
            lat=number(where[0]),
            lon=number(where[1]),
            last=epoch(r["last_post_utc"]),
            gap=number(r["gap_s"], 0),
            p=None if r["p"] is None else float(f"{r['p']:.3g}"),
        )
    return {
        "who": [f"{p}:{a}" for p, a in who],
        "account": [accounts.get(k, -1) for k in who],
        "texts": list(texts),
        "legs": legs.cols,
        "stays": stays.cols,
        "crossings": crossings.cols,
        "meetings": meetings.cols,
        "silences": silences.cols,
        "as_of": layers.as_of_utc,
        "unplaced_silences": unplaced,
    }


# -- the report's timelines -------------------------------------------------------------

TIMELINE_HEADERS = ("when (UTC)", "what", "where", "evidence")
#: Order of entries that start at one instant: a place before what happened there.
_ORDER = {"stay": 0, "base": 0, "crossing": 1, "leg": 2, "meeting": 3, "silence": 4}


def _links(ids: Sequence[int]) -> Markup:
    """Links to the sightings (their rows carry ``id="s<id>"``), the first few and a count."""
    shown = [el("a", f"#{i}", href=f"#s{i}") for i in ids[:LINKS_SHOWN]]
    more = len(ids) - len(shown)
    tail = f" and {more} more" if more > 0 else ""
    noun = "sighting" if len(ids) == 1 else "sightings"
    return join([f"{len(ids)} {noun}: ", Markup(" ".join(shown)), tail])


def _at(lat: Any, lon: Any) -> str:
    return f"{float(lat):.6f}, {float(lon):.6f}"


Entry = tuple[tuple[str, int, str], Markup]


def _entry(kind: str, start: str | None, cells: Sequence[object]) -> Entry:
    row = el("tr", *(el("td", c) for c in cells), cls=f"event {kind}")
    return (start or "~", _ORDER[kind], str(row)), row


def _stay(r: Row) -> Entry:
    if r["kind"] == "base":
        nights = "" if r.get("nights") is None else f", {r['nights']} night(s)"
        what = f"base: seen here on {r.get('days')} day(s){nights}"
    else:
        what = "stay (open: the last place seen)" if r.get("open") else "stay"
    return _entry(
        r["kind"],
        r["first_utc"],
        [
            f"{r['first_utc']} to {r['last_utc']}",
            what,
            f"{_at(r['lat'], r['lon'])} ±{float(r['radius_m']):.0f} m",
            _links(_ids(r.get("sighting_ids"))),
        ],
    )


def _crossing(r: Row) -> Entry:
    level = LEVELS.get(r["level"], r["level"])
    return _entry(
        "crossing",
        r["after_utc"],
        [
            f"between {r['after_utc']} and {r['before_utc']}",
            f"left {r['left_code'] or '(none)'}, entered {r['entered_code'] or '(none)'} ({level})",
            f"last {_at(r['last_lat'], r['last_lon'])};"
            f" first {_at(r['first_lat'], r['first_lon'])}",
            join(
                [
                    f"border confidence {r['confidence']}; last on one side ",
                    _links([int(r["last_sighting"])]),
                    "; first on the other ",
                    _links([int(r["first_sighting"])]),
                ]
            ),
        ],
    )


def _speed(kmh: Any) -> str:
    """The least speed a leg needs; none where its two sightings share one instant (the
    tracks table holds NULL: the division by zero time)."""
    if kmh is None:
        return "both at the same instant"
    return f"at least {float(kmh):.0f} km/h"


def _leg(r: Row) -> Entry:
    witnesses = ""
    if r.get("from_witness") and r.get("from_witness") != r.get("to_witness"):
        witnesses = f"; witnesses {r['from_witness']}, {r['to_witness']}"
    return _entry(
        "leg",
        r["from_utc"],
        [
            f"{r['from_utc']} to {r['to_utc']}",
            f"impossible leg ({r['flag']}): {_speed(r.get('min_speed_kmh'))}",
            f"{float(r['distance_m']) / 1000:.1f} km, {_at(r['from_lat'], r['from_lon'])} to "
            f"{_at(r['to_lat'], r['to_lon'])}",
            join([_links([int(r["from_sighting"]), int(r["to_sighting"])]), witnesses]),
        ],
    )


def _meeting(r: Row, mine: bool) -> Entry:
    """A meeting as one side sees it: its own instant and sighting first."""
    at = list(r["at_utc"])
    side, other = ("", "other_") if mine else ("other_", "")
    if not mine:
        at.reverse()
    peer = ":".join(key_of(r, other))
    return _entry(
        "meeting",
        min(at),
        [
            f"{at[0]} (here), {at[1]} (other)",
            f"with {peer}: {r.get('encounters')} encounter(s), score {float(r['score']):.2f},"
            f" co-travel {float(r.get('co_travel') or 0.0):.2f}",
            f"{float(r['distance_m']):.0f} m apart at {_at(r[side + 'lat'], r[side + 'lon'])}",
            _links([int(r[side + "sighting"]), int(r[other + "sighting"])]),
        ],
    )


def _silence(r: Row) -> Entry:
    p = "p not scored" if r["p"] is None else f"p {float(r['p']):.2g}"
    gap = format_duration(float(r["gap_s"]))
    if r["kind"] == "current":
        when = f"since {r['last_post_utc']} (as of {r['as_of_utc']})"
        what = f"silence now: {r['verdict'].replace('_', ' ')}, {gap}, {p}"
        rate = r.get("rate_per_day")
        basis = f"{r.get('posts')} posts before it" + (
            "" if rate is None else f", {float(rate):.2f} active days a day recently"
        )
    else:
        when = f"{r['start_utc']} to {r['end_utc']}"
        what = f"past silence: {r['verdict'].replace('_', ' ')}, {gap}, {p}"
        basis = "scored with only the posts before it"
    return _entry(
        "silence", r["start_utc"], [when, what, "", f"last post {r['last_post_utc']}; {basis}"]
    )


def timelines(layers: PeopleLayers) -> dict[Key, list[Markup]]:
    """Each account's (or subject's) timeline rows, in time order."""
    entries: dict[Key, list[Entry]] = {}

    def put(key: Key, entry: Entry) -> None:
        entries.setdefault(key, []).append(entry)

    for r in layers.stays:
        put(key_of(r), _stay(r))
    for r in layers.crossings:
        put(key_of(r), _crossing(r))
    for r in layers.flagged():
        put(key_of(r), _leg(r))
    for r in layers.meetings:
        put(key_of(r), _meeting(r, True))
        put(key_of(r, "other_"), _meeting(r, False))
    for r in layers.silences:
        if r["kind"] == "current" or r["verdict"] == "silent":
            put(key_of(r), _silence(r))
    return {k: [row for _, row in sorted(v)] for k, v in entries.items()}


def timeline_table(rows: Sequence[Markup]) -> Markup:
    """An account's timeline, cut at ``TIMELINE_CAP`` entries with a note saying so."""
    shown = rows[:TIMELINE_CAP]
    cut = len(rows) - len(shown)
    note = (
        el(
            "p",
            f"{cut} later entries left out; geotrace tracks|stays|crossings|together|silence"
            " --account lists them all.",
            cls="note",
        )
        if cut
        else ""
    )
    return join(
        [
            el("h4", "Timeline"),
            el(
                "table",
                el("thead", el("tr", *(el("th", h) for h in TIMELINE_HEADERS))),
                el("tbody", join(shown)),
                cls="timeline",
            ),
            note,
        ]
    )


def timeline_note(layers: PeopleLayers) -> str:
    """How the timelines were asked: stay thresholds and the instant of the silences."""
    p = layers.stay_params
    stays = (
        f"stays within {p['distance_m']:g} m for {format_duration(p['duration_s'])} or more"
        if p
        else "stays"
    )
    silence = (
        f"silence as of {layers.as_of_utc} ({layers.as_of_basis})"
        if layers.as_of_utc
        else "no silence (the case has no instant to measure it from)"
    )
    return (
        f"Each account's timeline lists its {stays} and bases, its border and region"
        f" crossings, its impossible legs, its meetings with other accounts, and its {silence};"
        " past silences are listed when the scorer found them unusual. Every entry links to"
        " the sightings it rests on."
    )
