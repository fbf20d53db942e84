"""geotrace inspect against exiftool, the tool an investigator would otherwise run.

Issue 3's target: **at least 20x exiftool's files/s with every truth row right, and peak
memory flat in the number of files.**  Both tools run the way a user runs them, one
process over a folder, timed from start to exit (interpreter start-up included):

    geotrace inspect --json DIR
    exiftool -json -n -GPSLatitude ... -SerialNumber -ext '*' -r DIR

``-ext '*'`` is the one addition to the issue's command line: without it exiftool skips, in
a folder walk, files whose extension it does not know (the ``.fuzzed`` crashers), and
would be timed on fewer files than geotrace.

Inputs, built in a temporary folder: (a) the corpus (the files listed in truth.jsonl,
hard-linked), (b) the corpus' JPEGs replicated to ``--n`` files, each copy with a unique
4-byte counter appended after the end of the image so that no two hashes agree, (c) the
first ``--small`` of those, to show geotrace's peak RSS does not grow with the count, and
(d) an empty folder, for each tool's start-up cost.  Each replica's exiftool and geotrace
answers are compared with the answers for its original, which proves the appended bytes
changed nothing but the hash.

The speed target is judged on (b): on the 168 files of (a), a process start-up of a few
tenths of a second outweighs the reading, and the ratio there is printed for information.

Exit status: 0 target met, 1 target missed, 2 not measurable (exiftool missing, or
geotrace's reader not ready yet).

Run:  python bench/metadata.py [--n 5000] [--small 1000] [--runs 3] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scoring import (
    FIELDS,
    RIGHT,
    Expected,
    corpus_parser,
    load_truth,
    markdown_table,
    reading_from_geotrace,
    score,
    work_folder,
)

EXIFTOOL_TAGS = (
    "-GPSLatitude",
    "-GPSLongitude",
    "-GPSAltitude",
    "-GPSDateTime",
    "-DateTimeOriginal",
    "-OffsetTimeOriginal",
    "-SubSecTimeOriginal",
    "-Make",
    "-Model",
    "-SerialNumber",
)
TARGET_RATIO = 20.0
#: An empty folder: what each tool costs before it reads a single file.
STARTUP = "start-up (empty folder)"
#: "Flat": peak RSS at --n files at most this many times that at --small files.
FLAT_RSS_FACTOR = 1.25


@dataclass(frozen=True, slots=True)
class Measure:
    """One process run: wall time, its own peak RSS, exit status and captured output."""

    seconds: float
    peak_rss_mib: float
    returncode: int
    stdout: bytes
    stderr: bytes


@dataclass(frozen=True, slots=True)
class Series:
    """``runs`` runs of one tool on one input; files/s and RSS from the median run."""

    files: int
    measures: tuple[Measure, ...]

    @property
    def seconds(self) -> float:
        return statistics.median(m.seconds for m in self.measures)

    @property
    def files_per_s(self) -> float:
        return self.files / self.seconds

    @property
    def peak_rss_mib(self) -> float:
        return max(m.peak_rss_mib for m in self.measures)

    def files_per_s_text(self) -> str:
        """The median files/s, with the slowest and fastest run when there were several."""
        text = f"{self.files_per_s:,.0f}"
        if len(self.measures) > 1:
            rates = sorted(self.files / m.seconds for m in self.measures)
            text += f" ({rates[0]:,.0f}-{rates[-1]:,.0f})"
        return text


def measure(command: list[str], scratch: Path) -> Measure:
    """Run ``command`` to completion; its peak RSS comes from wait4() on that very child.

    stdout and stderr go to files, not pipes, so a large output never stalls the child
    and reading it costs nothing inside the timed span.
    """
    out_path, err_path = scratch / "stdout", scratch / "stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measure(
        seconds=elapsed,
        peak_rss_mib=usage.ru_maxrss / 1024,  # KiB on Linux
        returncode=process.returncode,
        stdout=out_path.read_bytes(),
        stderr=err_path.read_bytes(),
    )


def link_corpus(corpus: Path, truth: list[Expected], dest: Path) -> None:
    """The truth's files only (no README, no truth.jsonl), hard-linked where possible."""
    for expected in truth:
        target = dest / expected.path
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(corpus / expected.path, target)
        except OSError:
            shutil.copyfile(corpus / expected.path, target)


def replicate(sources: list[Path], count: int, dest: Path) -> dict[str, str]:
    """``count`` copies of ``sources`` in turn, each ending in its own 4-byte counter.

    Bytes after a JPEG's EOI marker are ignored by decoders and metadata readers, so each
    replica reads like its original while hashing differently (a real folder never holds
    5,000 identical files, and a reader could cache by hash).  Returns replica name ->
    original name.
    """
    dest.mkdir(parents=True)
    origin = {}
    for index in range(count):
        source = sources[index % len(sources)]
        name = f"r{index:05d}__{source.name}"
        (dest / name).write_bytes(source.read_bytes() + index.to_bytes(4, "big"))
        origin[name] = source.name
    return origin


def subset(source: Path, names: list[str], dest: Path) -> None:
    """Hard links to some replicas, so the small input is byte-identical to part of the big."""
    dest.mkdir(parents=True)
    for name in names:
        os.link(source / name, dest / name)


def exiftool_command(exiftool: str, folder: Path) -> list[str]:
    return [exiftool, "-json", "-n", *EXIFTOOL_TAGS, "-ext", "*", "-r", str(folder)]


def geotrace_command(geotrace: str, folder: Path) -> list[str]:
    return [geotrace, "inspect", "--json", str(folder)]


def parse_jsonl(data: bytes) -> list[dict[str, Any]]:
    """geotrace prints one JSON object per line; anything else on stdout is an error."""
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


def by_relative_path(objects: list[dict[str, Any]], key: str, root: Path) -> dict[str, Any]:
    """Index tool output by path relative to the input folder, however the tool spells it."""
    base = root.resolve()
    index = {}
    for obj in objects:
        path = Path(obj[key])
        path = path if path.is_absolute() else Path.cwd() / path
        index[path.resolve().relative_to(base).as_posix()] = obj
    return index


def geotrace_problem(series: Series, files: int) -> str | None:
    """Why geotrace's output cannot be used (not ready yet, crashed), or None if it can."""
    last = series.measures[-1]
    try:
        objects = parse_jsonl(last.stdout)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        reason = f"stdout is not JSON lines ({exc})"
    else:
        if len(objects) == files:
            return None
        reason = f"{len(objects)} JSON objects for {files} files"
    tail = last.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
    return f"{reason}, exit status {last.returncode}: {' / '.join(tail) or 'no stderr'}"


def check_truth(objects: list[dict[str, Any]], root: Path, truth: list[Expected]) -> list[str]:
    """geotrace's answers on the corpus against truth.jsonl; one line per row not fully right."""
    answers = by_relative_path(objects, "path", root)
    failures = []
    for expected in truth:
        obj = answers.get(expected.path)
        if obj is None:
            failures.append(f"{expected.path}: no output")
            continue
        verdict = score(expected, reading_from_geotrace(obj))
        wrong = [f"{name} {verdict[name]}" for name in FIELDS if verdict[name] != RIGHT]
        if wrong:
            failures.append(f"{expected.path}: {', '.join(wrong)}")
    return failures


def _rounded(value: Any) -> Any:
    """Floats to 1e-9 (a thousandth of the truth's tolerance), recursively.

    The same coordinate can come out one unit in the last place apart from one run to the
    next; that is not a different answer.
    """
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def same_as_original(
    replicas: dict[str, Any], originals: dict[str, Any], origin: dict[str, str], ignore: set[str]
) -> int:
    """How many replicas a tool answered as it answered their original (fields in ``ignore``
    aside, floats to 1e-9)."""

    def strip(obj: dict[str, Any]) -> Any:
        return _rounded({k: v for k, v in obj.items() if k not in ignore})

    return sum(
        name in replicas and strip(replicas[name]) == strip(originals[f"jpeg/{source}"])
        for name, source in origin.items()
    )


def main(argv: list[str] | None = None) -> int:
    parser = corpus_parser(__doc__)
    parser.add_argument("--n", type=int, default=5000, help="replicated JPEGs (default 5000)")
    parser.add_argument(
        "--small",
        type=int,
        default=1000,
        help="smaller replica set for the memory comparison (default 1000)",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="runs per tool and input; time is the median (default 3)",
    )
    parser.add_argument(
        "--geotrace", default=None, help="geotrace executable (default: the one beside this Python)"
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where to build the inputs (default: the system temp folder)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the built inputs")
    args = parser.parse_args(argv)
    if not 0 < args.small < args.n:
        parser.error("need 0 < --small < --n")

    exiftool = shutil.which("exiftool")
    if exiftool is None:
        print("exiftool not found: apt-get install libimage-exiftool-perl", file=sys.stderr)
        return 2
    beside = Path(sys.executable).with_name("geotrace")
    geotrace = args.geotrace or (str(beside) if beside.exists() else shutil.which("geotrace"))

    truth = load_truth(args.corpus)
    with work_folder("geotrace-bench-", args.keep, args.workdir, "inputs") as work:
        return run(args, exiftool, geotrace, truth, work)


def run(
    args: argparse.Namespace,
    exiftool: str,
    geotrace: str | None,
    truth: list[Expected],
    work: Path,
) -> int:
    """Build the inputs, time both tools on each, check answers, print figures and verdict."""
    print("building inputs ...", file=sys.stderr)
    corpus_dir, big_dir, small_dir = work / "corpus", work / f"jpeg-{args.n}", work / "jpeg-small"
    link_corpus(args.corpus, truth, corpus_dir)
    jpegs = sorted((corpus_dir / "jpeg").iterdir())
    origin = replicate(jpegs, args.n, big_dir)
    subset(big_dir, sorted(origin)[: args.small], small_dir)
    inputs = {
        "corpus": (corpus_dir, len(truth)),
        f"{args.n:,} JPEGs": (big_dir, args.n),
        f"{args.small:,} JPEGs": (small_dir, args.small),
        STARTUP: (work / "empty", 0),
    }
    (work / "empty").mkdir()

    scratch = work / "scratch"
    scratch.mkdir()
    results: dict[tuple[str, str], Series] = {}
    pending = None if geotrace else "no geotrace executable found"
    for label, (folder, files) in inputs.items():
        print(f"timing {label} ...", file=sys.stderr)
        tools = {"exiftool": exiftool_command(exiftool, folder)}
        if geotrace and pending is None:
            tools["geotrace"] = geotrace_command(geotrace, folder)
        runs: dict[str, list[Measure]] = {tool: [] for tool in tools}
        for _ in range(args.runs):
            for tool, command in tools.items():
                runs[tool].append(measure(command, scratch))
        for tool, measures in runs.items():
            results[(tool, label)] = Series(files, tuple(measures))
        if "geotrace" in tools and files:
            pending = geotrace_problem(results[("geotrace", label)], files)

    print(f"exiftool {exiftool_version(exiftool)}; geotrace at {geotrace}")
    rows = []
    for label, (_, files) in list(inputs.items())[:-1]:
        ex = results[("exiftool", label)]
        gt = results.get(("geotrace", label)) if pending is None else None
        rows.append(
            [
                label,
                f"{files:,}",
                ex.files_per_s_text(),
                gt.files_per_s_text() if gt else "pending",
                f"{gt.files_per_s / ex.files_per_s:.1f}×" if gt else "pending",
                f"{ex.peak_rss_mib:.0f}",
                f"{gt.peak_rss_mib:.0f}" if gt else "pending",
            ]
        )
    print(
        f"\nfiles/s: median of {args.runs} runs (slowest-fastest), whole process;"
        " peak RSS in MiB:\n"
    )
    print(
        markdown_table(
            [
                "input",
                "files",
                "exiftool files/s",
                "geotrace files/s",
                "geotrace/exiftool",
                "exiftool RSS",
                "geotrace RSS",
            ],
            rows,
        )
    )

    startup = {
        tool: results[(tool, STARTUP)].seconds
        for tool in ("exiftool", "geotrace")
        if (tool, STARTUP) in results
    }
    print("\nstart-up, " + ", ".join(f"{tool} {sec:.2f} s" for tool, sec in startup.items()))
    big_label, small_label = f"{args.n:,} JPEGs", f"{args.small:,} JPEGs"
    exif_corpus = by_relative_path(
        json.loads(results[("exiftool", "corpus")].measures[-1].stdout), "SourceFile", corpus_dir
    )
    exif_big = by_relative_path(
        json.loads(results[("exiftool", big_label)].measures[-1].stdout), "SourceFile", big_dir
    )
    same = same_as_original(exif_big, exif_corpus, origin, {"SourceFile"})
    print(f"\nexiftool answers each replica as its original: {same:,}/{args.n:,}")

    if pending is not None:
        print(f"geotrace: pending ({pending})")
        print("\nVERDICT: PENDING, geotrace could not be measured yet")
        return 2

    gt_corpus = parse_jsonl(results[("geotrace", "corpus")].measures[-1].stdout)
    failures = check_truth(gt_corpus, corpus_dir, truth)
    right = len(truth) - len(failures)
    gt_same = same_as_original(
        by_relative_path(
            parse_jsonl(results[("geotrace", big_label)].measures[-1].stdout), "path", big_dir
        ),
        by_relative_path(gt_corpus, "path", corpus_dir),
        origin,
        {"path", "sha256"},
    )
    print(f"geotrace answers each replica as its original: {gt_same:,}/{args.n:,}")
    print(f"geotrace truth rows fully right on the corpus: {right}/{len(truth)}")
    for line in failures:
        print(f"    {line}")
    kinds = Counter(line.split(": ", 1)[1] for line in failures)
    if kinds:
        print("    by fields: " + "; ".join(f"{k} ({n})" for k, n in kinds.most_common()))

    ratios = {
        label: results[("geotrace", label)].files_per_s / results[("exiftool", label)].files_per_s
        for label in ("corpus", big_label)
    }
    rss_small = results[("geotrace", small_label)].peak_rss_mib
    rss_big = results[("geotrace", big_label)].peak_rss_mib
    met = (
        ratios[big_label] >= TARGET_RATIO
        and right == len(truth)
        and rss_big <= FLAT_RSS_FACTOR * rss_small
    )
    print(
        f"\nVERDICT: {'MET' if met else 'MISSED'}, target ≥ {TARGET_RATIO:.0f}× exiftool with "
        f"every truth row right: {ratios[big_label]:.1f}× on {big_label} "
        f"({ratios['corpus']:.1f}× on the {len(truth)}-file corpus, where start-up weighs), "
        f"{right}/{len(truth)} rows right, "
        f"peak RSS {rss_small:.0f} → {rss_big:.0f} MiB from {small_label} to {big_label}"
    )
    return 0 if met else 1


def exiftool_version(exiftool: str) -> str:
    return subprocess.run(
        [exiftool, "-ver"], capture_output=True, text=True, check=True
    ).stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
