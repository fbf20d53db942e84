"""The ``text`` stage: what every post's text names, and the sightings it supports.

Per post: the language, the places named (with the relation the grammar gives them and an
honest radius), the units and the casualty cues, kept in ``text_readings`` and one row per
finding in ``mentions``.  A place named "at" or "near" also becomes a sighting of the post
(method ``text_toponym``), so that tracks, stays and silence use it with its radius and
confidence like any other; a place one comes "from" or goes "to" stays a mention.

A name with several places (hundreds of Победа, Мирный) is resolved first by its own
text; where that leaves it uncertain, by the admin-1 units the same author named with
confidence within a month of the post, among the posts of the same page (pages follow the
case's order of posts, which keeps an export's posts of one account together).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from geotrace.evidence.text.mention import PlaceMention, TextReading
from geotrace.evidence.text.places import PlaceContext
from geotrace.evidence.text.reading import read_text
from geotrace.geo import epoch
from geotrace.geodata.names import names
from geotrace.pipeline.stage import Context, Stage
from geotrace.sql import MigrationSet, Step

#: Bump whenever the finders, the gazetteer or the sightings' rules change a result.
VERSION = "1"
METHOD = "text_toponym"

MIGRATIONS = MigrationSet(
    "text",
    (
        Step(
            "0001_mentions",
            """
    CREATE TABLE text_readings (
        post     INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
        version  TEXT NOT NULL,
        lang     TEXT,
        casualty TEXT NOT NULL
    );
    CREATE TABLE mentions (
        post       INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
        n          INTEGER NOT NULL,
        what       TEXT NOT NULL,
        start      INTEGER NOT NULL,
        "end"      INTEGER NOT NULL,
        text       TEXT NOT NULL,
        kind       TEXT NOT NULL,
        relation   TEXT,
        confidence REAL,
        geonameid  INTEGER,
        admin1     TEXT,
        country    TEXT,
        region     TEXT,
        lat        REAL,
        lon        REAL,
        radius_m   REAL,
        key        TEXT NOT NULL,
        detail     TEXT NOT NULL,
        PRIMARY KEY (post, n)
    );
    CREATE INDEX mentions_key ON mentions(what, key);
    -- A post re-read with another text (a header replaced by its full copy) is read again.
    CREATE TRIGGER text_forget_changed AFTER UPDATE OF text ON posts
    WHEN OLD.text IS NOT NEW.text BEGIN
        DELETE FROM text_readings WHERE post = NEW.id;
        DELETE FROM mentions WHERE post = NEW.id;
        DELETE FROM sightings WHERE post = NEW.id AND method = 'text_toponym';
    END;
""",
        ),
    ),
)

#: One post to read: (id, account, posted_utc, posted_local, time_basis,
#: time_uncertainty_s, text).
Item = tuple[int, int | None, str | None, str | None, str, float | None, str]
#: Its reading as rows: (post id, its ``text_readings`` row or None, its ``mentions`` rows,
#: its ``sightings`` rows, the reason it failed or None).  Rows, not the reading: made
#: where it is computed, so that the one writer only inserts (bench/text.py: the stage on
#: Dask).
Read = tuple[int, tuple[Any, ...] | None, list[tuple[Any, ...]], list[tuple[Any, ...]], str | None]

#: Half-width of the window a text sighting claims around its post: a post says where its
#: writer is, was today or just came to ("мы под Дебальцево", "вчера в Донецке"), not at
#: which minute; a day either side keeps tracks from reading a text as a fix in time.
TEXT_WINDOW_S = 86_400.0
#: A text sighting's confidence before its resolution's: a place named is weaker evidence
#: of presence than any geotag (``platform_geotag`` areas are 0.4): news and hearsay name
#: places the writer never saw.  "near" is wider and vaguer still.
RELATION_CONFIDENCE = {"at": 0.5, "near": 0.4}
#: Places whose meaning comes from context: below this confidence the author's other
#: posts are asked.
UNSURE = 0.7
#: How far (seconds) another post of the author counts as context: a month.
CONTEXT_S = 30 * 86_400.0
#: The widest admin-1 unit that becomes a sighting: its disc, from a point inside to its
#: farthest vertex, still says which country the post is about (Buryatia: 740 km, Donetsk
#: oblast ~180 km).  Beyond it (Yakutia 1,500 km, Arkhangelsk with its Arctic islands
#: 2,100 km, Hawaii 2,500 km) a disc says nothing a track can use, and costs the places
#: stage more than every other sighting of a case together (bench/text.py).
MAX_AREA_RADIUS_M = 1_000_000.0
#: The problem of a post whose text could not be read.
TEXT_FAILED = "text_failed"


def read_page(page: Sequence[Item]) -> list[Read]:
    """The stage's pure computation: each post read alone, then unsure names read again
    with the admin-1 units its author named surely within a month."""
    readings = [read_text(item[6]) for item in page]
    sure: dict[int | None, list[tuple[float, str]]] = defaultdict(list)
    times = [epoch(item[2]) for item in page]
    for item, when, reading in zip(page, times, readings, strict=True):
        if when is None:
            continue
        for place in reading.places:
            if place.admin1 and place.confidence >= UNSURE:
                sure[item[1]].append((when, place.admin1))
    out: list[Read] = []
    for item, when, reading in zip(page, times, readings, strict=True):
        if when is not None and any(_unsure(p) for p in reading.places):
            weights = Counter(
                code
                for other, code in sure[item[1]]
                if other != when and abs(other - when) <= CONTEXT_S
            )
            if weights:
                total = sum(weights.values())
                context = PlaceContext(admin1={k: v / total for k, v in weights.items()})
                reading = read_text(item[6], context)
        row = (item[0], VERSION, reading.lang, json.dumps(reading.casualty))
        out.append(
            (item[0], row, mention_rows(item[0], reading), sighting_rows(item, reading), None)
        )
    return out


def _unsure(place: PlaceMention) -> bool:
    return place.candidates > 1 and place.confidence < UNSURE


def sighting_rows(item: Item, reading: TextReading) -> list[tuple[Any, ...]]:
    """The sightings a post's "at" and "near" places support, as ``sightings`` rows after
    the id.  A settlement is its point and radius; an admin-1 unit is a point inside it
    with the radius that covers its polygon (never a centre claimed as a position).  A
    country or a multi-oblast region stays a mention: a disc thousands of kilometres wide
    would be placed in whichever oblast holds its centre, and tell tracks nothing."""
    post, _, utc, local, basis, uncertainty, _ = item
    rows = []
    for n, place in enumerate(reading.places):
        base = RELATION_CONFIDENCE.get(place.relation)
        where = _position(place)
        if base is None or where is None:
            continue
        lat, lon, radius = where
        evidence = {
            "mention": n,
            "named": place.text,
            "start": place.start,
            "end": place.end,
            "relation": place.relation,
            "cue": place.cue,
            "kind": place.kind,
            **{
                k: v
                for k in ("geonameid", "admin1", "country", "region")
                if (v := getattr(place, k))
            },
        }
        rows.append(
            (
                post,
                METHOD,
                lat,
                lon,
                radius,
                utc,
                local,
                basis,
                max(uncertainty or 0.0, TEXT_WINDOW_S),
                round(base * place.confidence, 3),
                json.dumps(evidence, ensure_ascii=False),
            )
        )
    return rows


def _position(place: PlaceMention) -> tuple[float, float, float] | None:
    if place.kind == "settlement" and place.lat is not None and place.lon is not None:
        return place.lat, place.lon, float(place.radius_m or 0.0)
    if place.kind not in ("admin1", "region") or not place.admin1:
        return None
    found = names().admin1(place.admin1)
    if found is None or not 0 < found.radius_m <= MAX_AREA_RADIUS_M:
        return None
    return found.lat, found.lon, found.radius_m


def mention_rows(post: int, reading: TextReading) -> list[tuple[Any, ...]]:
    """Every finding of a post as ``mentions`` rows, numbered in the order the JSON has
    them (places, units, casualty cues)."""
    rows: list[tuple[Any, ...]] = []
    for p in reading.places:
        key = p.geonameid or p.admin1 or p.country or p.region or p.text
        resolved = (p.geonameid, p.admin1, p.country, p.region, p.lat, p.lon, p.radius_m)
        detail = json.dumps(p.json(), ensure_ascii=False)
        rows.append(
            (
                "place",
                p.start,
                p.end,
                p.text,
                p.kind,
                p.relation,
                p.confidence,
                *resolved,
                str(key),
                detail,
            )
        )
    nothing = (None,) * 9
    for unit in reading.units:
        detail = json.dumps(unit.json(), ensure_ascii=False)
        rows.append(
            ("unit", unit.start, unit.end, unit.text, "unit", *nothing, unit_key(unit.text), detail)
        )
    for cue in reading.casualty_cues:
        detail = json.dumps(cue.json(), ensure_ascii=False)
        rows.append(
            ("casualty", cue.start, cue.end, cue.text, cue.kind, *nothing, cue.kind, detail)
        )
    return [(post, n, *row) for n, row in enumerate(rows)]


def unit_key(text: str) -> str:
    """What two mentions of one unit share: the words lower-cased, quotes and dashes
    dropped ("64-я ОМСБр" and "64 омсбр" meet; a full name and an abbreviation do not)."""
    kept = "".join(c if c.isalnum() else " " for c in text.lower().replace("ё", "е"))
    return " ".join(w for w in kept.split() if w not in _ORDINAL_ENDINGS)


#: Ordinal endings written apart from their number once dashes are dropped ("64-я").
_ORDINAL_ENDINGS = frozenset({"я", "й", "го", "ї", "та", "ий", "ая", "ой", "ої", "ого", "му"})


class Text(Stage[Item, Read]):
    """Language, places, units and casualty cues of every post's text."""

    name = "text"
    version = VERSION
    migrations = MIGRATIONS
    compute = staticmethod(read_page)
    #: Posts per transaction.
    page_size = 2000
    #: Posts per task: ~0.1-0.5 s of reading, enough to amortise a task's hand-off
    #: (bench/text.py).
    chunk_size = 500

    def todo(
        self,
        db: sqlite3.Connection,
        context: Context,
        after: Any,
        limit: int,
        request: Sequence[Any] | None = None,
    ) -> list[Item]:
        """Posts with text lacking a reading of this version, in id order (``request``:
        post ids to narrow to)."""
        narrow = ""
        args: list[Any] = [self.version, -1 if after is None else after]
        if request is not None:
            narrow = f" AND p.id IN ({','.join('?' * len(request))})"
            args += list(request)
        rows = db.execute(
            "SELECT p.id, p.account, p.posted_utc, p.posted_local, p.time_basis,"
            " p.time_uncertainty_s, p.text FROM posts p"
            " LEFT JOIN text_readings r ON r.post = p.id"
            f" WHERE p.text != '' AND r.version IS NOT ? AND p.id > ?{narrow}"
            " ORDER BY p.id LIMIT ?",
            [*args, limit],
        )
        return [(int(r[0]), r[1], r[2], r[3], str(r[4]), r[5], str(r[6])) for r in rows]

    def key(self, item: Item) -> int:
        return item[0]

    def split(self, page: Sequence[Item]) -> list[list[Item]]:
        """Tasks of one author's posts each (in runs of ``chunk_size``), so that an unsure
        name meets the author's other posts of the page."""
        by_author: dict[int | None, list[Item]] = defaultdict(list)
        for item in page:
            by_author[item[1]].append(item)
        size = self.chunk_size
        return [
            posts[i : i + size] for posts in by_author.values() for i in range(0, len(posts), size)
        ]

    def failed(self, item: Item, reason: str) -> Read:
        return (item[0], None, [], [], reason)

    def write(self, db: sqlite3.Connection, results: Sequence[Read]) -> Counter[str]:
        """Replace each post's reading, mentions and text sightings; a post that could not
        be read gets a problem (once) and no reading, so that a later run tries it again:
        a reader that fails on every post (a broken install) must not leave the case
        believing its posts were read."""
        posts = [(r[0],) for r in results]
        db.executemany("DELETE FROM mentions WHERE post = ?", posts)
        db.executemany(f"DELETE FROM sightings WHERE post = ? AND method = '{METHOD}'", posts)
        readings: list[tuple[Any, ...]] = []
        mentions: list[tuple[Any, ...]] = []
        sightings: list[tuple[Any, ...]] = []
        failures: list[tuple[Any, ...]] = []
        for post, reading, found, placed, reason in results:
            if reading is None:  # no reading kept: the next run tries the post again
                failures.append((TEXT_FAILED, reason, post))
                continue
            readings.append(reading)
            mentions += found
            sightings += placed
        db.executemany("INSERT OR REPLACE INTO text_readings VALUES (?, ?, ?, ?)", readings)
        db.executemany(f"INSERT INTO mentions VALUES ({', '.join('?' * 18)})", mentions)
        db.executemany(
            "INSERT OR IGNORE INTO sightings (post, method, lat, lon, radius_m, at_utc,"
            " at_local, time_basis, time_uncertainty_s, confidence, evidence)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            sightings,
        )
        db.executemany(
            "INSERT OR IGNORE INTO problems (sha256, path, code, message)"
            " SELECT source_sha256, 'post ' || platform || ':' || post_id, ?, ? FROM posts"
            " WHERE id = ?",
            failures,
        )
        return Counter({TEXT_FAILED: len(failures)}) if failures else Counter()


STAGE = Text()
