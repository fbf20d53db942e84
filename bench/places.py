"""geotrace.places against reverse_geocoder and a plain Shapely loop, on the same points.

Issue 4's target: **``geotrace.places.resolve`` as called by default at least as fast as
reverse_geocoder in the same run, and zero wrong answers flagged ``high``.**  The first half
is throughput on land points; the second is honesty near borders, where the nearest-city
answer today's OSINT scripts use goes wrong (issue 4: 48 % within 2 km).

Why these three candidates:

- ``reverse_geocoder`` (PyPI, LGPL: a bench-only dependency, never one of geotrace's) is
  what investigators run now: ``rg.search(list_of_tuples, mode=2)`` (its default, one
  process per CPU) and ``mode=1`` (one process).  Its ``RGeocoder`` is a singleton that
  keeps the mode of the *first* call, so each mode runs in its own freshly forked process;
  in the same process the second mode would silently reuse the first one's tree.
- the plain per-point Shapely loop (``for p in points: for poly in countries: if
  poly.contains(p)``) is what one writes without an index; it runs on a ``--loop-n``
  subsample (it is slow) and is extrapolated, unprepared and with prepared geometries.
- geotrace: ``geotrace.places.resolve(lat, lon)``, every layer, as called by default.
  While it is being written the script falls back to
  ``geotrace.places.borders.countries(lat, lon)`` (countries only; the verdict then stays
  PENDING) when ``resolve`` does not import or raises, and skips geotrace with the reason
  when neither works.

Points: ``--n`` (default 1,000,000) land points, drawn uniformly by area (longitude
uniform, sine of latitude uniform, latitude -60° to 90°) and kept when they fall inside a
Natural Earth 10m admin-0 polygon (German point of view, the de jure layer geotrace ships),
Antarctica excluded; the polygon each point was drawn in is its label.  Deterministic for a
given ``--seed``.  Uniform by area means Russia, Canada, the US, China and Brazil hold 40 %
of the points, like a random sample of the land, not of the places investigators look at;
the border set below covers those.

Timed spans: only the call and the attribute reads that give the per-point country (and,
for geotrace, the confidence), with the input already in the shape each library takes
(NumPy arrays for geotrace, a list of ``(lat, lon)`` tuples for reverse_geocoder), after a
first call that loads each library's data (reported separately).  Median of ``--runs``.

Border set (``--csv``, default ``../shared/geodata/border_points_dev.csv``): 4,000 points
0-20 km from land borders labelled with their NE 10m de jure country; wrong-country rates by
distance band for each tool, geotrace's confidence per band, and its wrong answers
flagged ``high`` (target: none).  reverse_geocoder's GeoNames country codes are mapped to
Natural Earth's where GeoNames splits off a territory NE keeps in its country
(``RG_TO_NE``).

Exit status: 0 target met, 1 missed, 2 not measurable (geotrace's resolve not ready).

Run:  python bench/places.py [--n 1000000] [--seed 4] [--runs 3] [--loop-n 10000]
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import multiprocessing.connection
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapefile
import shapely

from scoring import dist_version, markdown_table

GEODATA = Path(__file__).resolve().parents[2] / "shared" / "geodata"
SHP = GEODATA / "naturalearth" / "ne_10m_admin_0_countries_deu.shp"
BORDER_CSV = GEODATA / "border_points_dev.csv"
BANDS = ("0-2", "2-5", "5-10", "10-20")
#: The border pairs issue 4 names; every other land border is "other".
PAIRS = ("RU|UA", "BY|UA", "BY|RU")
CONFIDENCES = ("low", "medium", "high")
#: GeoNames (reverse_geocoder's ``cc``) codes for territories that NE 10m admin-0 keeps
#: inside a country (French overseas departments, Svalbard, Caribbean Netherlands, ...).
RG_TO_NE = {
    "GF": "FR",
    "GP": "FR",
    "MQ": "FR",
    "RE": "FR",
    "YT": "FR",
    "BQ": "NL",
    "SJ": "NO",
    "CC": "AU",
    "CX": "AU",
    "TK": "NZ",
}
#: Southernmost latitude drawn: Antarctica is left out (no investigator's point, and a
#: tenth of the land area), and nothing else NE calls land lies south of it.
SOUTH = -60.0

Answer = tuple[Sequence[str], Sequence[str] | None]


@dataclass(frozen=True, slots=True)
class Countries:
    """NE admin-0 polygons in file order, with their ISO_A2_EH codes."""

    codes: list[str]
    geoms: np.ndarray  # of shapely geometries

    @classmethod
    def read(cls, shp: Path) -> Countries:
        reader = shapefile.Reader(str(shp), encoding="utf-8")
        names = [f[0] for f in reader.fields[1:]]
        iso = names.index("ISO_A2_EH")  # ISO_A2 is -99 for France, Norway, Kosovo
        codes = [rec[iso] for rec in reader.records()]
        geoms = np.array(
            [shapely.geometry.shape(s.__geo_interface__) for s in reader.shapes()], dtype=object
        )
        reader.close()
        return cls(codes, geoms)

    def copy(self) -> Countries:
        """Fresh, unprepared geometries (``shapely.prepare`` works in place)."""
        return Countries(list(self.codes), shapely.from_wkb(shapely.to_wkb(self.geoms)))


@dataclass(frozen=True, slots=True)
class Points:
    lat: np.ndarray
    lon: np.ndarray
    label: np.ndarray  # ISO2 of the NE polygon the point lies in


def sample_land(countries: Countries, n: int, seed: int) -> tuple[Points, int, int]:
    """``n`` points uniform by area over NE land (Antarctica aside), with their country.

    Candidates are uniform on the sphere north of ``SOUTH``; each country tests the ones in
    its bounding box with ``contains_xy`` on its prepared polygon; points in no polygon
    (sea, the Caspian) are dropped.  A point in two polygons (NE has a few overlaps) keeps
    the first in file order.  Returns the points, the candidates drawn and the overlaps.
    """
    rng = np.random.default_rng(seed)
    geoms = countries.copy().geoms
    shapely.prepare(geoms)
    bounds = shapely.bounds(geoms)
    keep = [i for i, code in enumerate(countries.codes) if code != "AQ"]
    lats: list[np.ndarray] = []
    lons: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    have = drawn = overlaps = 0
    while have < n:
        size = max(4 * (n - have), 100_000)  # about 27 % of the candidates are land
        lon = rng.uniform(-180.0, 180.0, size)
        lat = np.degrees(np.arcsin(rng.uniform(np.sin(np.radians(SOUTH)), 1.0, size)))
        drawn += size
        owner = np.full(size, -1, dtype=np.int32)
        for i in keep:
            x0, y0, x1, y1 = bounds[i]
            cand = np.flatnonzero((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
            if not len(cand):
                continue
            inside = cand[shapely.contains_xy(geoms[i], lon[cand], lat[cand])]
            taken = owner[inside] >= 0
            overlaps += int(taken.sum())
            owner[inside[~taken]] = i
        hit = np.flatnonzero(owner >= 0)
        lats.append(lat[hit])
        lons.append(lon[hit])
        labels.append(np.array(countries.codes, dtype="<U3")[owner[hit]])
        have += len(hit)
    return (
        Points(np.concatenate(lats)[:n], np.concatenate(lons)[:n], np.concatenate(labels)[:n]),
        drawn,
        overlaps,
    )


@dataclass(frozen=True, slots=True)
class BorderSet:
    lat: np.ndarray
    lon: np.ndarray
    truth: np.ndarray
    band: np.ndarray
    pair: np.ndarray  # one of PAIRS or "other"

    @classmethod
    def read(cls, path: Path) -> BorderSet:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        return cls(
            np.array([float(r["lat"]) for r in rows]),
            np.array([float(r["lon"]) for r in rows]),
            np.array([r["true_iso2"] for r in rows]),
            np.array([r["band"] for r in rows]),
            np.array([r["border"] if r["border"] in PAIRS else "other" for r in rows]),
        )


@dataclass(slots=True)
class Timing:
    """Throughput of one candidate on the big point set, and its answers."""

    name: str
    points: int
    load_s: float
    seconds: list[float]
    countries: np.ndarray
    confidence: np.ndarray | None = None
    extrapolated: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)

    @property
    def per_s(self) -> float:
        return self.points / self.median_s


# --- geotrace -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GeotraceApi:
    """Whichever geotrace entry point imports: ``resolve`` (the target) or the fallback."""

    name: str
    is_resolve: bool
    call: Callable[[np.ndarray, np.ndarray], Answer]


def geotrace_candidates() -> tuple[list[GeotraceApi], list[str]]:
    """The entry points that import, ``resolve`` first, and why the others do not.

    While ``geotrace.places`` is being written, ``resolve`` may import but fail when
    called; ``main`` then tries ``borders.countries``, so the country layer can be
    measured before the whole stage is wired up.
    """
    apis: list[GeotraceApi] = []
    problems: list[str] = []
    try:
        from geotrace.places import resolve  # type: ignore[attr-defined,unused-ignore]
    except Exception as exc:  # ImportError, or a half-written module failing at import
        problems.append(f"geotrace.places.resolve: {type(exc).__name__}: {exc}")
    else:

        def call_resolve(lat: np.ndarray, lon: np.ndarray) -> Answer:
            result = resolve(lat, lon)  # as called by default: radius_m=None
            return result.country_de_jure, result.border_confidence

        apis.append(GeotraceApi("geotrace resolve", True, call_resolve))
    try:
        from geotrace.places.borders import (  # type: ignore[import-not-found,unused-ignore]
            countries,
        )
    except Exception as exc:
        problems.append(f"geotrace.places.borders.countries: {type(exc).__name__}: {exc}")
    else:

        def call_countries(lat: np.ndarray, lon: np.ndarray) -> Answer:
            hits = countries(lat, lon)
            return hits.de_jure, hits.confidence

        apis.append(GeotraceApi("geotrace borders.countries", False, call_countries))
    return apis, problems


def as_strings(values: Sequence[Any] | None, n: int) -> np.ndarray | None:
    """Per-point answers as a NumPy string array (None and NaN as "")."""
    if values is None:
        return None
    out = np.array(["" if v is None or v != v else str(v) for v in values], dtype=object)
    if len(out) != n:
        raise ValueError(f"{len(out)} answers for {n} points")
    return out.astype(str)


def time_geotrace(api: GeotraceApi, points: Points, runs: int) -> Timing:
    """First call on 1,000 points (lazy data loading), then ``runs`` calls on all points."""
    start = time.perf_counter()
    api.call(points.lat[:1000], points.lon[:1000])
    load = time.perf_counter() - start
    seconds = []
    answer: Answer = ([], None)
    for _ in range(runs):
        start = time.perf_counter()
        answer = api.call(points.lat, points.lon)
        seconds.append(time.perf_counter() - start)
    n = len(points.lat)
    countries = as_strings(answer[0], n)
    assert countries is not None
    return Timing(api.name, n, load, seconds, countries, as_strings(answer[1], n))


# --- reverse_geocoder -----------------------------------------------------------------


def _rg_child(
    conn: multiprocessing.connection.Connection,
    mode: int,
    lat: np.ndarray,
    lon: np.ndarray,
    border: tuple[np.ndarray, np.ndarray],
    runs: int,
) -> None:
    """In a fresh process (the singleton keeps the first call's mode): load, time, answer."""
    try:
        import reverse_geocoder as rg

        start = time.perf_counter()
        rg.search([(0.0, 0.0)], mode=mode, verbose=False)  # reads its CSV, builds the tree
        load = time.perf_counter() - start
        coords = list(zip(lat.tolist(), lon.tolist(), strict=True))
        seconds = []
        found: list[dict[str, str]] = []
        for _ in range(runs):
            start = time.perf_counter()
            found = rg.search(coords, mode=mode, verbose=False)
            cc = [r["cc"] for r in found]
            seconds.append(time.perf_counter() - start)
        cc_border = [
            r["cc"]
            for r in rg.search(
                list(zip(border[0].tolist(), border[1].tolist(), strict=True)),
                mode=mode,
                verbose=False,
            )
        ]
        conn.send(("ok", load, seconds, np.array(cc), np.array(cc_border)))
    except BaseException as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def time_reverse_geocoder(
    mode: int, points: Points, border: BorderSet, runs: int
) -> tuple[Timing, np.ndarray] | str:
    """reverse_geocoder in ``mode``, in a forked child; its timing and border-set answers."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(
        target=_rg_child,
        args=(child, mode, points.lat, points.lon, (border.lat, border.lon), runs),
    )
    process.start()
    child.close()
    try:
        message = parent.recv()
    except EOFError:
        message = ("error", "child died without an answer")
    process.join()
    if message[0] != "ok":
        return str(message[1])
    _, load, seconds, cc, cc_border = message
    timing = Timing(f"reverse_geocoder mode={mode}", len(points.lat), load, seconds, to_ne(cc))
    return timing, to_ne(cc_border)


def to_ne(cc: np.ndarray) -> np.ndarray:
    """GeoNames country codes to Natural Earth's (``RG_TO_NE``), ISO2 otherwise unchanged."""
    return np.array([RG_TO_NE.get(c, c) for c in cc.tolist()], dtype=str)


# --- the plain Shapely loop -----------------------------------------------------------


def shapely_loop(countries: Countries, points: Points, count: int, prepared: bool) -> Timing:
    """``for p in points: for poly in countries: if poly.contains(p)`` on ``count`` points.

    Extrapolated to all points (the loop is linear in them).  The prepared variant
    prepares every polygon first; that one-off cost is its load time.
    """
    fresh = countries.copy()
    start = time.perf_counter()
    if prepared:
        shapely.prepare(fresh.geoms)
    load = time.perf_counter() - start
    pairs = list(zip(fresh.codes, fresh.geoms.tolist(), strict=True))
    pts = shapely.points(points.lon[:count], points.lat[:count]).tolist()
    answers = []
    start = time.perf_counter()
    for p in pts:
        found = ""
        for code, poly in pairs:
            if poly.contains(p):
                found = code
                break
        answers.append(found)
    elapsed = time.perf_counter() - start
    name = "Shapely loop, prepared" if prepared else "Shapely loop, plain"
    total = len(points.lat)
    return Timing(
        name,
        total,
        load,
        [elapsed * total / count],
        np.array(answers, dtype=str),
        extrapolated=True,
        notes=[f"{count:,} points in {elapsed:.2f} s"],
    )


# --- reporting ------------------------------------------------------------------------


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


def wrong_by(
    answer: np.ndarray, border: BorderSet, key: np.ndarray, keys: Sequence[str]
) -> list[str]:
    wrong = answer != border.truth
    return [pct(int(wrong[key == k].sum()), int((key == k).sum())) for k in keys]


def versions() -> str:
    geos = ".".join(map(str, shapely.geos_version))
    return (
        f"Python {platform.python_version()}; numpy {np.__version__}; shapely "
        f"{shapely.__version__} (GEOS {geos}); pyshp {dist_version('pyshp')}; scipy "
        f"{dist_version('scipy')}; reverse_geocoder {dist_version('reverse_geocoder')}; "
        f"geotrace {dist_version('geotrace')}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1_000_000, help="land points (default 1e6)")
    parser.add_argument("--seed", type=int, default=4, help="sampling seed (default 4)")
    parser.add_argument(
        "--csv", type=Path, default=BORDER_CSV, help=f"labelled border set (default {BORDER_CSV})"
    )
    parser.add_argument("--shp", type=Path, default=SHP, help="NE admin-0 DEU shapefile")
    parser.add_argument(
        "--runs", type=int, default=3, help="timed calls per tool; median (default 3)"
    )
    parser.add_argument(
        "--loop-n",
        type=int,
        default=10_000,
        help="subsample for the per-point Shapely loop (default 10000)",
    )
    args = parser.parse_args(argv)
    if args.n < 1000 or not 0 < args.loop_n <= args.n or args.runs < 1:
        parser.error("need --n >= 1000, 0 < --loop-n <= --n, --runs >= 1")

    print(versions())
    print(f"CPUs: {multiprocessing.cpu_count()} (timings on a shared machine are noisy)")
    start = time.perf_counter()
    countries = Countries.read(args.shp)
    points, drawn, overlaps = sample_land(countries, args.n, args.seed)
    border = BorderSet.read(args.csv)
    top = ", ".join(f"{c} {pct(k, args.n)}" for c, k in Counter(points.label).most_common(5))
    print(
        f"{args.n:,} land points (seed {args.seed}) from {drawn:,} candidates uniform on the "
        f"sphere north of {SOUTH:g}°, {overlaps} in two polygons, in "
        f"{time.perf_counter() - start:.1f} s; {len(set(points.label))} countries; "
        f"largest: {top}"
    )
    print(f"border set: {len(border.lat):,} points from {args.csv}")

    timings: list[Timing] = []
    rg_border: dict[str, np.ndarray] = {}
    for mode in (2, 1):
        print(f"timing reverse_geocoder mode={mode} ...", file=sys.stderr)
        outcome = time_reverse_geocoder(mode, points, border, args.runs)
        if isinstance(outcome, str):
            print(f"reverse_geocoder mode={mode}: failed ({outcome})")
            continue
        timings.append(outcome[0])
        rg_border[outcome[0].name] = outcome[1]

    apis, problems = geotrace_candidates()
    api: GeotraceApi | None = None
    gt: Timing | None = None
    gt_border: tuple[np.ndarray, np.ndarray | None] | None = None
    for candidate in apis:
        print(f"timing {candidate.name} ...", file=sys.stderr)
        try:
            gt = time_geotrace(candidate, points, args.runs)
            answer = candidate.call(border.lat, border.lon)
            found = as_strings(answer[0], len(border.lat))
            assert found is not None
            gt_border = (found, as_strings(answer[1], len(border.lat)))
        except Exception as exc:
            problems.append(f"{candidate.name} raised {type(exc).__name__}: {exc}")
            gt = gt_border = None
        else:
            api = candidate
            timings.insert(0, gt)
            break
    for problem in problems:
        print(f"geotrace: {problem}")

    for prepared in (False, True):
        print(f"timing the Shapely loop (prepared={prepared}) ...", file=sys.stderr)
        timings.append(shapely_loop(countries, points, args.loop_n, prepared))

    # Throughput.
    fastest_rg = max(
        (t for t in timings if t.name.startswith("reverse_geocoder")),
        key=lambda t: t.per_s,
        default=None,
    )
    rows = []
    for t in timings:
        sample = points.label[: len(t.countries)]
        rows.append(
            [
                t.name,
                f"{t.per_s:,.0f}" + (" (extrapolated)" if t.extrapolated else ""),
                f"{t.median_s:.2f}",
                f"{t.load_s:.2f}",
                pct(int((t.countries != sample).sum()), len(sample)),
                "; ".join(t.notes)
                or "median of " + ", ".join(f"{s:.2f}" for s in sorted(t.seconds)) + " s",
            ]
        )
    if gt is None:
        rows.insert(0, ["geotrace", "pending", "-", "-", "-", "not measurable yet (above)"])
    print(f"\nthroughput on {args.n:,} land points:\n")
    print(
        markdown_table(
            [
                "candidate",
                "points/s",
                f"s per {args.n:,}",
                "load s",
                "≠ NE polygon",
                "notes",
            ],
            rows,
        )
    )
    if gt is not None:
        for t in timings:
            if t.name.startswith("reverse_geocoder"):
                print(f"{gt.name} / {t.name}: {gt.per_s / t.per_s:.2f}×")

    # Border set.
    answers: dict[str, np.ndarray] = dict(rg_border)
    if gt_border is not None and gt is not None:
        answers = {gt.name: gt_border[0], **answers}
    print("\nwrong de jure country on the border set, by distance to the border (km):\n")
    counts = [str(int((border.band == b).sum())) for b in BANDS]
    rows = [["points", *counts]]
    rows += [[name, *wrong_by(a, border, border.band, BANDS)] for name, a in answers.items()]
    print(markdown_table(["", *BANDS], rows))
    pair_keys = (*PAIRS, "other")
    print("\nwrong de jure country on the border set, by border:\n")
    rows = [["points", *(str(int((border.pair == k).sum())) for k in pair_keys)]]
    rows += [[name, *wrong_by(a, border, border.pair, pair_keys)] for name, a in answers.items()]
    print(markdown_table(["", *pair_keys], rows))

    wrong_high: int | None = None
    if gt_border is not None and gt is not None:
        found, confidence = gt_border
        wrong = found != border.truth
        if confidence is None:
            print("geotrace gave no confidence")
        else:
            wrong_high = int((wrong & (confidence == "high")).sum())
            levels = [*CONFIDENCES, *sorted(set(confidence) - set(CONFIDENCES))]
            rows = []
            for b in BANDS:
                here = border.band == b
                made = Counter(confidence[here].tolist())
                bad = Counter(confidence[here & wrong].tolist())
                rows.append([b, *(f"{made[c]} ({bad[c]} wrong)" for c in levels)])
            print(f"\n{gt.name}: border confidence per band (wrong answers among them):\n")
            print(markdown_table(["band", *levels], rows))
            print(f"\n{gt.name}: wrong answers flagged high: {wrong_high} (target 0)")
            for i in np.flatnonzero(wrong & (confidence == "high"))[:20]:
                print(
                    f"    {border.lat[i]:.6f},{border.lon[i]:.6f} band {border.band[i]}: "
                    f"{found[i] or '(none)'} for {border.truth[i]}"
                )
        empty = int((found == "").sum())
        if empty:
            print(f"{gt.name}: no country for {empty} border-set points")

    # Verdict.
    if gt is None or fastest_rg is None:
        why = "; ".join(problems) if gt is None else "reverse_geocoder failed"
        print(f"\nVERDICT: PENDING, not measurable: {why}")
        return 2
    ratio = gt.per_s / fastest_rg.per_s
    met = ratio >= 1.0 and wrong_high == 0
    text = (
        f"{gt.name} {gt.per_s:,.0f} points/s = {ratio:.2f}× {fastest_rg.name} "
        f"({fastest_rg.per_s:,.0f}/s, the faster mode in this run; target ≥ 1×), "
        f"wrong answers flagged high: {wrong_high if wrong_high is not None else 'n/a'} "
        f"(target 0)"
    )
    if api is None or not api.is_resolve:
        print(f"\nVERDICT: PENDING, resolve not measurable yet; the fallback gives: {text}")
        return 2
    print(f"\nVERDICT: {'MET' if met else 'MISSED'}, {text}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
