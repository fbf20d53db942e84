"""geotrace scrub against exiftool -all= and mat2: what each leaves, what it costs.

Every tool runs the way a user runs it, one process over a folder, timed from start to
exit (interpreter start-up included), on the same fresh copy of the corpus:

    geotrace scrub FOLDER -o OUT --format jsonl              (exiftool read-back on)
    geotrace scrub FOLDER -o OUT --format jsonl --no-exiftool
    exiftool -all= -ext '*' -r -o OUT/ FOLDER                 (12.57 and 13.59)
    exiftool -all= -CommonIFD0= -trailer:all= -time:all= -ext '*' -r -o OUT/ FOLDER   (13.59)
    mat2 FILE...                                              (writes NAME.cleaned.EXT)
    exiftool -all= -o OUT/REL FILE, once per file             (12.57; --each)

The last is how apps and scripts call exiftool (a spawn per picture: ExifCleaner-style
GUIs, upload hooks, shell loops), start-up paid per file.  ``--copies N`` puts N copies of
each folder's files in the folder, so that start-up is spread over N times the files and
the per-file cost shows (growth, not start-up).

``-o OUT/`` is how exiftool's documentation writes copies to another folder, which is what
``scrub -o`` does; ``-ext '*'`` makes it take the files whose extension it does not know
(the ``.fuzzed`` crashers) instead of skipping them silently.  A file is "cleaned" when an
output exists; every other file given counts as refused.

Every output (and every original, for the "original" row) is then read in one exiftool
13.59 run (``-json -a -G0:1 -ee -n``) and sorted by geotrace's own classifier
(:mod:`geotrace.audit.exiftool`), the same one for every tool; a cell counts the cleaned
files in which something of that kind remains.  Pixels are decoded (Pillow, pillow-heif,
imagecodecs for JPEG XL, PyAV's first 5 video frames) and compared with the original's;
"undecodable" means the original could not be decoded here.  Layout as in
``shared/research/audit.md``.

Run:  .venv/bin/python bench/scrub.py [--corpus DIR] [--repeat 3] [--folders jpeg,heif,...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import get_args

import numpy as np

from geotrace.audit.exiftool import Residual, ResidualCategory

ROOT = Path(__file__).resolve().parents[1]
GEOTRACE = ROOT / ".venv" / "bin" / "geotrace"
EXIFTOOL13 = Path("/opt/exiftool13/node_modules/exiftool-vendored.pl/bin/exiftool")
FOLDERS = ("jpeg", "heif", "other", "video", "malformed")
RECOMMENDED = ("-all=", "-CommonIFD0=", "-trailer:all=", "-time:all=")
FRAMES = 5


@dataclass
class Tool:
    """One way of scrubbing a folder: ``template`` is the timed command, with {src} the
    folder, {out} the output folder and a lone {files} every file in {out}."""

    name: str
    template: list[str]
    label: str
    beside: bool = False  # mat2: writes NAME.cleaned.EXT beside a staged copy (untimed)
    each: bool = False  # one process per file: {src} and {out} are a file and its output
    inside: bool = False  # run with the folder as the working directory

    def argv(self, src: Path, out: Path) -> list[str]:
        if self.template[-1] == "{files}":
            return [*self.template[:-1], *map(str, files_in(out))]
        return [a.format(src=src, out=out) for a in self.template]


@dataclass
class Outcome:
    """One tool on one folder: timings of every repeat, outputs of the first."""

    given: int = 0
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    outputs: dict[Path, Path | None] = field(default_factory=dict)  # None: refused
    failed: int = 0  # geotrace only: written, found to keep something, deleted


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def outputs(tool: Tool, folder: Path, out: Path) -> dict[Path, Path | None]:
    """Each file given and its output; every tool keeps the path inside the folder."""
    found: dict[Path, Path | None] = {}
    for src in files_in(folder):
        dest = out / src.relative_to(folder)
        if tool.beside:
            dest = dest.with_name(f"{dest.stem}.cleaned{dest.suffix}")
        found[src] = dest if dest.is_file() else None
    return found


def tools(each: bool) -> tuple[list[Tool], list[str]]:
    """The tools installed here, and a line for each that is not."""
    geotrace = [str(GEOTRACE), "scrub", "{src}", "-o", "{out}", "--format", "jsonl"]
    debian, e13, mat2 = shutil.which("exiftool"), str(EXIFTOOL13), shutil.which("mat2")
    readback = f"read back by exiftool {version(debian)} on PATH" if debian else "no read-back"
    found = [
        Tool("geotrace", geotrace, f"geotrace scrub ({readback})"),
        Tool("geotrace_noet", [*geotrace, "--no-exiftool"], "geotrace scrub --no-exiftool"),
    ]
    missing = []
    variants: list[tuple[str, str | None, tuple[str, ...]]] = [
        ("exiftool12", debian, ("-all=",)),
        ("exiftool13", e13, ("-all=",)),
        ("exiftool13_rec", e13, RECOMMENDED),
    ]
    for name, exe, strip in variants:
        if exe is None or not Path(exe).is_file():
            missing.append(f"{name} did not run: {exe or 'exiftool'} is not installed")
            continue
        # Run inside the folder on ".", so that %d (each file's folder, relative) keeps
        # sub-folders apart in OUT as scrub does; "-o OUT/" alone would flatten them.
        argv = [exe, *strip, "-ext", "*", "-r", "-q", "-q", "-o", "{out}/%d", "."]
        found.append(Tool(name, argv, f"exiftool {version(exe)} {' '.join(strip)}", inside=True))
    if debian and each:
        argv = [debian, "-all=", "-q", "-q", "-o", "{out}", "{src}"]
        found.append(
            Tool("exiftool12_each", argv, "exiftool 12.57 -all=, one process per file", each=True)
        )
    if mat2:
        label = f"mat2 {version(mat2, '--version')}"
        found.append(Tool("mat2", [mat2, "--", "{files}"], label, beside=True))
    else:
        missing.append(
            "mat2 did not run: no `mat2` command (pip install mat2 also needs PyGObject and"
            " the GdkPixbuf/Poppler/Rsvg typelibs; see research/audit.md)"
        )
    return found, missing


def version(exe: str, flag: str = "-ver") -> str:
    done = subprocess.run([exe, flag], capture_output=True, text=True, check=False)
    return done.stdout.strip().split()[-1] if done.stdout.strip() else "?"


def timed(argv: list[str], cwd: Path | None = None) -> tuple[float, float, str]:
    """Wall seconds, children's CPU seconds (user+sys) and stdout of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, done.stdout


def timed_each(tool: Tool, folder: Path, out: Path) -> tuple[float, float, str]:
    """One process per file, as apps call exiftool; times summed over the folder."""
    wall = cpu = 0.0
    for src in files_in(folder):
        dest = out / src.relative_to(folder)
        dest.parent.mkdir(parents=True, exist_ok=True)
        w, c, _ = timed([a.format(src=src, out=dest) for a in tool.template])
        wall, cpu = wall + w, cpu + c
    return wall, cpu, ""


def run_all(
    tools_: list[Tool], src: Path, work: Path, folders: list[str], repeat: int
) -> dict[tuple[str, str], Outcome]:
    """Every tool on every folder, ``repeat`` times, tools interleaved within a repeat so
    that a machine slowing down hurts them alike; a fresh output folder each time."""
    results = {(t.name, f): Outcome(given=len(files_in(src / f))) for t in tools_ for f in folders}
    for rep in range(repeat):
        for folder in folders:
            for tool in tools_:
                out = work / f"{tool.name}.{rep}" / folder
                if tool.beside:
                    shutil.copytree(src / folder, out)
                if tool.each:
                    wall, cpu, stdout = timed_each(tool, src / folder, out)
                else:
                    cwd = src / folder if tool.inside else None
                    wall, cpu, stdout = timed(tool.argv(src / folder, out), cwd)
                res = results[(tool.name, folder)]
                res.walls.append(wall)
                res.cpus.append(cpu)
                if rep == 0:
                    res.outputs = outputs(tool, src / folder, out)
                    res.failed = stdout.count('"status": "failed"')
    return results


def residuals(paths: list[Path]) -> dict[Path, list[Residual]]:
    """What exiftool 13.59 still reads in each file, sorted by the classifier ``geotrace
    scrub`` itself uses (``-json -a -G0:1 -ee -n``: it needs families 0 and 1)."""
    from geotrace.audit.exiftool import ExifTool, read_back

    return read_back(ExifTool(str(EXIFTOOL13), version(str(EXIFTOOL13))), paths)


def decoded(path: Path) -> list[np.ndarray] | None:
    """The picture's pixels (a video's first frames); None when it cannot be decoded."""
    from geotrace.evidence.sniff import sniff

    with path.open("rb") as fh:
        fmt = sniff(fh.read(64), path.name)
    try:
        if fmt.kind == "video":
            import av

            with av.open(str(path)) as movie:
                frames = movie.decode(video=0)
                return [f.to_ndarray(format="rgb24") for f in islice(frames, FRAMES)]
        if fmt.mime == "image/jxl":
            import imagecodecs

            return [np.asarray(imagecodecs.jpegxl_decode(path.read_bytes()))]
        import pillow_heif
        from PIL import Image

        pillow_heif.register_heif_opener()
        with Image.open(path) as im:
            im.load()
            return [np.asarray(im)]
    except Exception:  # a damaged or exotic file: "undecodable", the bench goes on
        return None


def digest(arrays: list[np.ndarray] | None) -> str | None:
    if not arrays:
        return None
    h = hashlib.sha256()
    for a in arrays:
        h.update(f"{a.shape}{a.dtype}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def psnr(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    err = np.mean(
        [np.mean((x.astype(float) - y.astype(float)) ** 2) for x, y in zip(a, b, strict=True)]
    )
    return float("inf") if err == 0 else float(10 * np.log10(255.0**2 / err))


def pixels(outputs: dict[Path, Path | None], originals: dict[Path, str | None]) -> str:
    """The pixels cell: how many cleaned outputs decode to the original's pixels."""
    kinds: Counter[str] = Counter()
    psnrs = []
    for src, out in outputs.items():
        if out is None:
            continue
        if originals[src] is None:
            kinds["undecodable"] += 1
            continue
        got = decoded(out)
        if got is None:
            kinds["output undecodable"] += 1
        elif digest(got) == originals[src]:
            kinds["identical"] += 1
        else:
            ref = decoded(src) or []
            if [a.shape for a in got] == [a.shape for a in ref]:
                kinds["re-encoded"] += 1
                psnrs.append(psnr(ref, got))
            else:
                kinds["resized/rotated"] += 1
    cell = ", ".join(f"{k} {n}" for k, n in kinds.most_common())
    if psnrs:
        cell += f" (median PSNR {statistics.median(psnrs):.1f} dB)"
    return cell


def spread(values: list[float], fmt: str) -> str:
    med = statistics.median(values)
    return f"{med:{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"


def table(
    folder: str,
    tools_: list[Tool],
    results: dict[tuple[str, str], Outcome],
    left: dict[Path, set[str]],
    originals: dict[Path, str | None],
    src: Path,
) -> list[str]:
    """research/audit.md's table of one folder; a column for each category found in it."""
    given = files_in(src / folder)
    outs = {t.name: [o for o in results[(t.name, folder)].outputs.values() if o] for t in tools_}
    seen = {c for p in (*given, *chain(*outs.values())) for c in left.get(p, ())}
    cols = [c for c in get_args(ResidualCategory) if c in seen]
    head = ["tool", "cleaned / refused", *cols, "pixels", "files/s (spread)", "CPU s (spread)"]
    lines = [f"**{folder}/ ({len(given)} files)**", ""]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    orig = Counter(c for p in given for c in left.get(p, set()))
    lines.append(f"| original | {len(given)} / 0 | " + " | ".join(_n(orig[c]) for c in cols))
    lines[-1] += " |  |  |  |"
    for tool in tools_:
        res, cleaned = results[(tool.name, folder)], outs[tool.name]
        count = Counter(c for o in cleaned for c in left.get(o, set()))
        failed = f" ({res.failed} failed)" if res.failed else ""
        rate = [res.given / w for w in res.walls]
        cells = [tool.name, f"{len(cleaned)} / {res.given - len(cleaned)}{failed}"]
        cells += [_n(count[c]) for c in cols]
        cells += [pixels(res.outputs, originals), spread(rate, ".1f"), spread(res.cpus, ".2f")]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _n(n: int) -> str:
    return str(n) if n else ""


def totals(
    tools_: list[Tool],
    results: dict[tuple[str, str], Outcome],
    folders: list[str],
    left: dict[Path, set[str]],
) -> list[str]:
    """Per tool: files/s over all folders (sum of median walls), ratio to exiftool."""
    rate = {}
    for tool in tools_:
        given = sum(results[(tool.name, f)].given for f in folders)
        wall = sum(statistics.median(results[(tool.name, f)].walls) for f in folders)
        rate[tool.name] = given / wall
    lines = []
    for tool in tools_:
        outs = [o for f in folders for o in results[(tool.name, f)].outputs.values() if o]
        dirty = sum(bool(left.get(o)) for o in outs)
        cpu = sum(statistics.median(results[(tool.name, f)].cpus) for f in folders)
        ratios = ", ".join(
            f"{rate[tool.name] / rate[ref]:.2f}x {ref}"
            for ref in ("exiftool12", "exiftool13", "exiftool12_each")
            if ref in rate
        )
        lines.append(
            f"{tool.name:<15} {len(outs):>4} cleaned, {rate[tool.name]:6.1f} files/s,"
            f" CPU {cpu:6.2f} s; {ratios}; zero residuals: {'no' if dirty else 'yes'}"
            + (f" ({dirty} outputs keep something)" if dirty else "")
        )
    return lines


def details(
    results: dict[tuple[str, str], Outcome], found: dict[Path, list[Residual]]
) -> list[str]:
    """What the cells hide: each output that keeps something, and its first tags."""
    lines = []
    for (name, folder), res in results.items():
        for out in sorted(o for o in res.outputs.values() if o and found.get(o)):
            tags = "; ".join(f"{r.category} {r.tag}={r.value}" for r in found[out][:4])
            tags = " ".join(tags.split())  # values with line breaks stay on one line
            more = f" (+{len(found[out]) - 4})" if len(found[out]) > 4 else ""
            lines.append(f"  {name} {folder}/{out.name}: {tags}{more}")
    return lines


def header(tools_: list[Tool], missing: list[str], args: argparse.Namespace) -> list[str]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((x.split(":", 1)[1].strip() for x in cpuinfo if x.startswith("model name")), "?")
    git = ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git, capture_output=True, text=True, check=False).stdout.strip()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cpus = len(os.sched_getaffinity(0))  # what nproc prints
    lines = [
        f"# bench/scrub.py, {now}; {cpus} CPUs ({model}); geotrace {commit}",
        f"# corpus {args.corpus} x{args.copies}, repeat {args.repeat}; files/s = files given"
        " / wall"
        " (median, min-max); CPU = children's user+sys",
    ]
    lines += [f"# {t.name}: {t.label}" for t in tools_]
    lines += [f"# {m}" for m in missing]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("/work/shared/corpora/photos"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--folders", default=",".join(FOLDERS))
    parser.add_argument("--keep-temp", action="store_true", help="leave the temp folder")
    parser.add_argument("--copies", type=int, default=1, help="copies of each folder's files")
    parser.add_argument(
        "--each",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also exiftool once per file, as apps call it",
    )
    args = parser.parse_args()
    folders = [f for f in args.folders.split(",") if f]
    if not EXIFTOOL13.is_file():
        print(f"exiftool 13 ({EXIFTOOL13}) is needed to read the outputs back", file=sys.stderr)
        return 2
    tools_, missing = tools(args.each)
    print("\n".join(header(tools_, missing, args)), flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="geotrace-scrub-bench-"))
    try:
        src = tmp / "in"
        for folder in folders:
            for n in range(args.copies):
                dest = src / folder if args.copies == 1 else src / folder / f"copy{n}"
                shutil.copytree(args.corpus / folder, dest)
        results = run_all(tools_, src, tmp / "out", folders, args.repeat)
        given = [p for f in folders for p in files_in(src / f)]
        outs = [o for r in results.values() for o in r.outputs.values() if o is not None]
        found = residuals(given + outs)
        left: dict[Path, set[str]] = {p: {r.category for r in rs} for p, rs in found.items()}
        warnings.simplefilter("ignore")  # Pillow's complaints about the damaged originals
        originals = {p: digest(decoded(p)) for p in given}
        for folder in folders:
            print("\n" + "\n".join(table(folder, tools_, results, left, originals, src)))
        print("\n" + "\n".join(totals(tools_, results, folders, left)))
        print("\nOutputs that keep something (exiftool 13.59, first 4 tags):")
        print("\n".join(details(results, found)) or "  none")
    finally:
        if args.keep_temp:
            print(f"# temp folder kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
