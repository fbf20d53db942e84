"""geotrace's copy finding against imagededup (PHash) and plain PDQ, on the same pictures.

Issue 6's target: **recall >= 0.95 for every transformation family, precision >= 0.99 with
the hard negatives (same scene, other shot) counted as false, and >= 2x imagededup's
images/s**; recorded in ``bench/RESULTS.md``.

The set is ``../shared/bench/provenance_set.py``'s (see its README): ``db/`` holds the first
appearances (real photos), hard negatives (another shot of a source's scene) and
distractors (graphics, diagrams); ``q/`` one transformed copy per source and type.  Pass
``--set DIR`` for a set already built, else it is built into a temporary folder with this
Python (the script needs Pillow; scikit-image, scikit-learn and matplotlib add photos).

Each tool sees every file of ``db/`` and ``q/`` and says which pairs are copies:

- **geotrace**: ``geotrace ingest db q --case CASE`` (the whole ingest: originals kept,
  metadata read, fingerprints made on both cores), then ``geotrace copies --case CASE``;
  two files are called copies when one group holds both.  Its images/s is the
  fingerprint stage's, timed alone on the ingested case (decoding and hashing every file,
  as imagededup's ``encode_image`` does); the whole ingest, the copies command (hash
  search, pixel checks of candidates, grouping) and the end-to-end rate are printed too.
- **imagededup PHash** (``max_distance_threshold=10``, its default): ``encode_image`` per
  file, then ``find_duplicates``.  imagededup's package imports torch and torchvision for
  its CNN even when only hashing; its package ``__init__`` files are skipped here (its
  hashing modules are imported as they are), so that the bench needs no 1 GB of torch.
- **PDQ** (``pdqhash``, distance <= 31, ThreatExchange's threshold), full decode: what
  auto-archiver computes.

Scoring: recall per transformation type = share of queries matched with their true source;
a false pair = a query matched with any other db file, or a hard-negative pair matched
with each other; false pairs are also counted by the category of the db file involved
(the set's README names known label noise: two OpenCV figures made from source photos
are "diagrams" that really are copies).  Precision = right pairs / (right + false).
Pairs between two queries of the same source are neither (both are copies of one
picture).  Images/s is wall time over all files, one process per tool except geotrace
(its fingerprint stage uses both cores: the machine's cores are what a user has).

Run:  python bench/provenance.py [--set DIR] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
import types
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from scoring import dist_version, markdown_table, work_folder

SET_SCRIPT = Path(__file__).resolve().parents[2] / "shared" / "bench" / "provenance_set.py"
SEED = 20261123
TARGET_RECALL = 0.95
TARGET_PRECISION = 0.99
TARGET_SPEEDUP = 2.0
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif")


@dataclass
class Truth:
    """The set's ground truth, as relative paths (``db/src000.jpg``, ``q/src000__crop.jpg``)."""

    root: Path
    source_of: dict[str, str]  # query -> its true db source ('' for none)
    kind_of: dict[str, str]  # query -> transformation type
    hard_negatives: set[frozenset[str]]
    files: list[str]
    category: dict[str, str]  # db file -> source_photo, hard_negative, graphic, diagram

    @staticmethod
    def load(root: Path) -> Truth:
        source_of, kind_of = {}, {}
        with (root / "ground_truth.csv").open(newline="") as f:
            for row in csv.DictReader(f):
                source_of[row["query"]] = row["source"]
                kind_of[row["query"]] = row["type"]
        with (root / "hard_negatives.csv").open(newline="") as f:
            hard = {frozenset((r["db_file_a"], r["db_file_b"])) for r in csv.DictReader(f)}
        files = sorted(
            str(p.relative_to(root))
            for sub in ("db", "q")
            for p in (root / sub).iterdir()
            if p.suffix.lower() in IMAGE_SUFFIXES
        )
        with (root / "db.csv").open(newline="") as f:
            category = {r["db_file"]: r["category"] for r in csv.DictReader(f)}
        return Truth(root, source_of, kind_of, hard, files, category)


@dataclass
class Outcome:
    tool: str
    seconds: float  # finding the pairs, all files
    pairs: set[frozenset[str]]
    note: str = ""
    extra_seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class Score:
    recall: dict[str, float]
    right: int
    false: int
    precision: float
    images_per_s: float
    false_by: dict[str, int]  # false pairs by the category of the db file involved


def score(truth: Truth, outcome: Outcome) -> Score:
    """Recall per type, false pairs, precision (see the module docstring)."""
    matched: dict[str, set[str]] = defaultdict(set)
    for pair in outcome.pairs:
        a, b = sorted(pair)
        matched[a].add(b)
        matched[b].add(a)
    hits: dict[str, list[bool]] = defaultdict(list)
    false_by: Counter[str] = Counter()
    right = false = 0
    for query, source in truth.source_of.items():
        found = {m for m in matched[query] if m.startswith("db/")}
        if source:
            hits[truth.kind_of[query]].append(source in found)
        right += source in found
        wrong = found - {source}
        false += len(wrong)
        for db_file in wrong:
            false_by[truth.category.get(db_file, "?")] += 1
    negatives = sum(1 for pair in truth.hard_negatives if pair in outcome.pairs)
    false += negatives
    false_by["hard_negative"] += negatives
    recall = {kind: sum(v) / len(v) for kind, v in sorted(hits.items())}
    return Score(
        recall,
        right,
        false,
        right / (right + false) if right + false else 0.0,
        len(truth.files) / outcome.seconds if outcome.seconds else 0.0,
        dict(false_by),
    )


#: The fingerprint stage alone, timed in a fresh process on a case already ingested: what
#: compares with imagededup's hashing (decode + hashes of every file, on both cores).  It
#: runs the stage as ``ingest`` does, through the stage runner on a fork pool; a tree from
#: before the runner (``4c52eb3``, given by ``PYTHONPATH``) has the stage's own loop instead.
STAGE_ALONE = """
import sys, time
from pathlib import Path
try:
    from geotrace.evidence.fingerprint_stage import STAGE
    from geotrace.pipeline.executors import Processes
    from geotrace.pipeline.runner import open_case, run
except ImportError:
    from geotrace.case import Case as open_case
    from geotrace.ingest_fingerprints import fingerprint_media
    STAGE = None
with open_case(Path(sys.argv[1]), write=True) as case:
    case.db.execute("DELETE FROM fingerprint_regions")
    case.db.execute("DELETE FROM fingerprints")
    case.db.commit()
    start = time.perf_counter()
    if STAGE is None:
        done = fingerprint_media(case).done
    else:
        pool = Processes()
        try:
            done = run(case, STAGE, pool).done
        finally:
            pool.close()
    print(time.perf_counter() - start, done)
"""


def run_geotrace(truth: Truth, work: Path) -> Outcome:
    exe = Path(sys.executable).with_name("geotrace")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "geotrace"]
    case = work / "provenance.case"
    start = time.perf_counter()
    subprocess.run(
        [*command, "ingest", str(truth.root / "db"), str(truth.root / "q"), "--case", str(case)],
        check=False,
        stdout=subprocess.DEVNULL,
    )
    ingest_s = time.perf_counter() - start
    start = time.perf_counter()
    done = subprocess.run(
        [*command, "copies", "--case", str(case), "--format", "jsonl"],
        check=True,
        capture_output=True,
        text=True,
    )
    copies_s = time.perf_counter() - start
    staged = subprocess.run(
        [sys.executable, "-c", STAGE_ALONE, str(case)], check=True, capture_output=True, text=True
    )
    stage_s = float(staged.stdout.split()[0])
    pairs: set[frozenset[str]] = set()
    prefix = str(truth.root.resolve()) + os.sep
    for line in done.stdout.splitlines():
        group = json.loads(line)
        paths = sorted(
            {
                path.removeprefix(prefix)
                for member in group["members"]
                for path in member["paths"]
                if path.startswith(prefix)
            }
        )
        pairs |= {frozenset((a, b)) for i, a in enumerate(paths) for b in paths[i + 1 :]}
    n = len(truth.files)
    return Outcome(
        "geotrace",
        stage_s,
        pairs,
        note=(
            f"images/s = the fingerprint stage (decode, PDQ x8 and pHash of frame and content"
            f" box, layout descriptor; both cores); whole ingest {ingest_s:.1f} s"
            f" ({n / ingest_s:.0f} files/s: originals kept and fsynced, metadata read,"
            f" fingerprints); copies (hash search, pixel checks, groups) {copies_s:.1f} s;"
            f" end to end {n / (ingest_s + copies_s):.0f} files/s"
        ),
        extra_seconds={"ingest": ingest_s, "copies command": copies_s},
    )


def _import_phash() -> type:
    """imagededup's ``PHash`` without its package ``__init__`` files, which import torch,
    torchvision and matplotlib for the CNN and plots even when only hashing (checked:
    ``from imagededup.methods import PHash`` fails without torchvision).  The hashing
    modules themselves are imported as they are."""
    spec = importlib.util.find_spec("imagededup")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("imagededup is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    for package in ("imagededup", "imagededup.utils", "imagededup.methods"):
        module = types.ModuleType(package)
        module.__path__ = [str(root.joinpath(*package.split(".")[1:]))]
        sys.modules.setdefault(package, module)
    from imagededup.methods.hashing import PHash

    return PHash  # type: ignore[no-any-return]


def run_imagededup(truth: Truth) -> Outcome:
    hasher = _import_phash()(verbose=False)
    start = time.perf_counter()
    encodings = {f: hasher.encode_image(image_file=str(truth.root / f)) for f in truth.files}
    found = hasher.find_duplicates(
        encoding_map={f: e for f, e in encodings.items() if e}, max_distance_threshold=10
    )
    seconds = time.perf_counter() - start
    pairs = {frozenset((a, b)) for a, matches in found.items() for b in matches}
    return Outcome("imagededup PHash <= 10", seconds, pairs, note="one process")


def run_pdq(truth: Truth) -> Outcome:
    import numpy as np
    import pdqhash
    from PIL import Image

    start = time.perf_counter()
    hashes, names = [], []
    for f in truth.files:
        with Image.open(truth.root / f) as im:
            pixels = np.asarray(im.convert("RGB"))
        vector, _quality = pdqhash.compute(pixels)
        hashes.append(np.packbits(vector.astype(np.uint8)))
        names.append(f)
    packed = np.array(hashes)
    distance = np.unpackbits(packed[:, None, :] ^ packed[None, :, :], axis=2).sum(axis=2)
    seconds = time.perf_counter() - start
    i, j = np.nonzero(np.triu(distance <= 31, k=1))
    pairs = {frozenset((names[a], names[b])) for a, b in zip(i.tolist(), j.tolist(), strict=True)}
    return Outcome("PDQ <= 31 (full decode)", seconds, pairs, note="one process")


def versions() -> str:
    return (
        f"Python {platform.python_version()}; geotrace {dist_version('geotrace')}, imagededup "
        f"{dist_version('imagededup')}, pdqhash {dist_version('pdqhash')}; {os.cpu_count()} CPUs; "
        f"{platform.platform()}"
    )


def report(truth: Truth, outcomes: Iterable[Outcome]) -> int:
    scored = {o.tool: (o, score(truth, o)) for o in outcomes}
    kinds = sorted({k for _, s in scored.values() for k in s.recall})
    rows = [
        [kind, *(f"{s.recall.get(kind, 0.0):.2f}" for _, s in scored.values())] for kind in kinds
    ]
    rows += [
        ["right pairs", *(str(s.right) for _, s in scored.values())],
        ["false pairs", *(str(s.false) for _, s in scored.values())],
        *(
            [
                f"  with a {c.replace('_', ' ')}",
                *(str(s.false_by.get(c, 0)) for _, s in scored.values()),
            ]
            for c in ("hard_negative", "diagram", "graphic", "source_photo")
        ),
        ["precision", *(f"{s.precision:.3f}" for _, s in scored.values())],
        ["images/s", *(f"{s.images_per_s:.1f}" for _, s in scored.values())],
    ]
    print(markdown_table(["type", *scored], rows))
    for outcome, _ in scored.values():
        extra = "".join(f"; {k} {v:.1f} s" for k, v in outcome.extra_seconds.items())
        print(f"{outcome.tool}: {outcome.seconds:.1f} s; {outcome.note}{extra}")
    if "geotrace" not in scored:
        print("\nVERDICT: NOT MEASURABLE (geotrace did not run)")
        return 2
    ours = scored["geotrace"][1]
    base = [s for name, (_, s) in scored.items() if name.startswith("imagededup")]
    speedup = ours.images_per_s / base[0].images_per_s if base else float("nan")
    low = {k: v for k, v in ours.recall.items() if v < TARGET_RECALL}
    met = not low and ours.precision >= TARGET_PRECISION and speedup >= TARGET_SPEEDUP
    below = ", ".join(f"{k} {v:.2f}" for k, v in low.items())
    print(
        f"\nVERDICT: {'MET' if met else 'MISSED'}: recall >= {TARGET_RECALL} per type "
        f"({'all' if not low else 'below on ' + below}), precision {ours.precision:.3f} "
        f"(target {TARGET_PRECISION}), {speedup:.1f}x imagededup's images/s "
        f"(target {TARGET_SPEEDUP}x)"
    )
    return 0 if met else 1


def build_set(work: Path) -> Path:
    out = work / "set"
    subprocess.run(
        [sys.executable, str(SET_SCRIPT), "--out", str(out), "--seed", str(SEED)], check=True
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--set", type=Path, default=None, help="a set already built")
    parser.add_argument("--keep", action="store_true", help="keep the case and the set")
    parser.add_argument(
        "--only", action="append", default=None, help="geotrace, imagededup or pdq (repeatable)"
    )
    args = parser.parse_args(argv)
    with work_folder("geotrace-provenance-", args.keep) as work:
        root = args.set or build_set(work)
        truth = Truth.load(root)
        print(versions())
        print(f"set {root}: {len(truth.files)} files, {len(truth.source_of)} queries")
        runners: dict[str, Callable[[], Outcome]] = {
            "geotrace": lambda: run_geotrace(truth, work),
            "imagededup": lambda: run_imagededup(truth),
            "pdq": lambda: run_pdq(truth),
        }
        outcomes = []
        for name, runner in runners.items():
            if args.only and name not in args.only:
                continue
            print(f"running {name} ...", file=sys.stderr)
            try:
                outcomes.append(runner())
            except (ImportError, subprocess.CalledProcessError) as exc:
                print(f"{name}: not run ({type(exc).__name__}: {exc})")
        return report(truth, outcomes)


if __name__ == "__main__":
    sys.exit(main())
