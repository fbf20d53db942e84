"""geotrace's text reading against natasha's full pipeline, on the same real posts.

Issue 18's target: **geotrace's text reading at least 20x natasha's full pipeline in
texts/s, memory flat, at the quality of ``tests/evidence/data/text_gold.jsonl``**, and the
text stage scaling with Dask workers.

Why these candidates:

- natasha 1.6 (MIT, models inside the wheel) is what a user would run on Russian text
  offline: its full pipeline (``Segmenter``, ``NewsMorphTagger``, ``NewsSyntaxParser``,
  ``NewsNERTagger``, then ``span.normalize`` of every span), one thread
  (``OMP_NUM_THREADS=1``, set before anything imports NumPy), on a fixed seeded sample of
  ``--sample`` posts (it runs ~100 times slower; the sample is the same for every run);
- geotrace: ``geotrace.evidence.text.reading.read_text`` over every corpus post (24,437,
  timed as one pass over the unique posts) and over the file repeated to ``--n`` posts
  (the throughput figure), and over the same sample as natasha for a like-for-like ratio;
- lingua 2.1 (Apache-2.0), restricted to ru/uk/be/en, as the language detector
  geotrace's own rules are measured against.

Each timed run is a freshly spawned process (models and the gazetteer loaded there, load
time reported apart), so that one system's memory does not count in the other's.  Wall and
CPU seconds of the reading loop only; resident memory (``/proc/self/statm``) after loading,
after 10,000 texts and after ``--n``; runs interleaved (geotrace, natasha, ...) ``--runs``
times, median and [min-max] reported.

Quality, in the main process: geotrace scored on the gold set (``bench/text_scoring.py``,
the scorer of ``tests/evidence/test_text_gold.py``), natasha's LOC spans on the gold set
(spans only: natasha neither resolves nor gives relations), language accuracy of geotrace
and lingua on the gold set, and a span-only check on the test set of factRuEval-2016 (MIT;
Location and LocOrg objects as gold spans, read from the bare mirror at ``--factru``, never
copied into the repository) for both systems.

Optional (``--dask N``): the registered ``text`` stage over the first N corpus posts of a
case, rerun on Dask with 1 and 2 workers after its results are deleted.

Run:  OMP_NUM_THREADS=1 .venv/bin/python bench/text.py [--n 100000] [--sample 2000]
          [--runs 3] [--dask 5000] [--also HELD_OUT.jsonl] [--skip-natasha]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # natasha's NumPy: one thread, as documented

import argparse
import csv
import json
import multiprocessing
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import text_scoring as ts

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "text" / "posts.jsonl"
FACTRU = Path("/work/.mirror/dialogue-evaluation+factRuEval-2016/repo/.git")
#: Where the memory is read a first time: after 10,000 texts every cache a reader fills on
#: the way should be full; growth from there to ``--n`` is what "flat" is judged on.
RSS_CHECKPOINT = 10_000
TARGET_RATIO = 20.0


def load_texts(path: Path = CORPUS) -> list[str]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn: Callable[[str], object], texts: Sequence[str]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        fn(text)
    return time.perf_counter() - wall, time.process_time() - cpu


def run_geotrace(texts: list[str], n: int, sample: list[str]) -> dict[str, float]:
    """One spawned run: load, then ``n`` posts (the unique posts first, timed as they pass),
    then the sample, warm."""
    start = time.perf_counter()
    from geotrace.evidence.text.reading import read_text

    read_text("Мы под Дебальцево, в/ч 12345.")  # loads the gazetteer
    out = {"load_s": time.perf_counter() - start, "rss_loaded": rss_mb()}
    checkpoint = min(RSS_CHECKPOINT, n)
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        read_text(texts[i % len(texts)])
        if i + 1 == checkpoint:
            out["rss_10k"] = rss_mb()
        if i + 1 == len(texts):
            out["unique_wall"] = time.perf_counter() - wall
            out["unique_cpu"] = time.process_time() - cpu
    out["n_wall"], out["n_cpu"] = time.perf_counter() - wall, time.process_time() - cpu
    out["rss_n"], out["peak"] = rss_mb(), peak_mb()
    out["sample_wall"], out["sample_cpu"] = _timed(read_text, sample)
    return out


def natasha_pipeline() -> Callable[[str], object]:
    from natasha import (
        Doc,
        MorphVocab,
        NewsEmbedding,
        NewsMorphTagger,
        NewsNERTagger,
        NewsSyntaxParser,
        Segmenter,
    )

    segmenter, vocab, emb = Segmenter(), MorphVocab(), NewsEmbedding()
    morph, syntax, ner = NewsMorphTagger(emb), NewsSyntaxParser(emb), NewsNERTagger(emb)

    def read(text: str) -> Any:
        doc = Doc(text)
        doc.segment(segmenter)
        doc.tag_morph(morph)
        doc.parse_syntax(syntax)
        doc.tag_ner(ner)
        for span in doc.spans:
            span.normalize(vocab)
        return doc

    return read


def run_natasha(sample: list[str]) -> dict[str, float]:
    start = time.perf_counter()
    read = natasha_pipeline()
    read("Мы под Дебальцево.")
    out = {"load_s": time.perf_counter() - start, "rss_loaded": rss_mb()}
    out["sample_wall"], out["sample_cpu"] = _timed(read, sample)
    out["rss_n"], out["peak"] = rss_mb(), peak_mb()
    return out


def spawned(fn: Callable[..., dict[str, float]], *args: Any) -> dict[str, float]:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


def spread(values: Sequence[float], fmt: str = "{:,.0f}") -> str:
    med = statistics.median(values)
    return f"{fmt.format(med)} [{fmt.format(min(values))}-{fmt.format(max(values))}]"


def speed(args: argparse.Namespace, texts: list[str], sample: list[str]) -> None:
    geo: list[dict[str, float]] = []
    nat: list[dict[str, float]] = []
    for _ in range(args.runs):  # interleaved, so that a busy moment hits both
        geo.append(spawned(run_geotrace, texts, args.n, sample))
        if not args.skip_natasha:
            nat.append(spawned(run_natasha, sample))
    m = len(sample)
    print(f"\n== speed ({os.cpu_count()} cores, {args.runs} runs, median [min-max])")
    rows = (
        [
            ("geotrace, unique posts", len(texts), geo, "unique"),
        ]
        if "unique_cpu" in geo[0]
        else []
    )
    rows += [
        (f"geotrace, {args.n:,} posts", args.n, geo, "n"),
        (f"geotrace, sample of {m:,}", m, geo, "sample"),
    ]
    if nat:
        rows.append((f"natasha full, sample of {m:,}", m, nat, "sample"))
    for label, count, runs, key in rows:
        per_wall = [count / r[f"{key}_wall"] for r in runs]
        per_cpu = [count / r[f"{key}_cpu"] for r in runs]
        load = spread([r["load_s"] for r in runs], "{:.1f}")
        print(
            f"  {label:32s} {spread(per_wall):>24s} texts/s wall"
            f"  {spread(per_cpu):>24s} texts/s CPU  load {load} s"
        )
    print(f"  memory (MiB): loaded / after {min(RSS_CHECKPOINT, args.n):,} / after n / peak")
    for label, runs in (("geotrace", geo), ("natasha", nat)):
        if runs:
            parts = [
                spread([r[k] for r in runs], "{:.0f}")
                for k in ("rss_loaded", "rss_10k", "rss_n", "peak")
                if k in runs[0]
            ]
            print(f"    {label:9s} " + " / ".join(parts))
    if nat:
        ratios = [
            (m / g["sample_cpu"]) / (m / t["sample_cpu"]) for g, t in zip(geo, nat, strict=True)
        ]
        ratios_n = [
            (args.n / g["n_cpu"]) / (m / t["sample_cpu"]) for g, t in zip(geo, nat, strict=True)
        ]
        print(
            f"  ratio geotrace/natasha, CPU texts/s: same sample {spread(ratios, '{:.0f}')}x,"
            f" {args.n:,} posts vs sample {spread(ratios_n, '{:.0f}')}x"
            f" (target {TARGET_RATIO:.0f}x)"
        )
    growth = [g["rss_n"] - g["rss_10k"] for g in geo]
    print(
        f"  geotrace RSS growth {min(RSS_CHECKPOINT, args.n):,} -> {args.n:,} texts:"
        f" {spread(growth, '{:+.1f}')} MiB"
    )


def natasha_loc(texts: Sequence[str]) -> list[list[tuple[int, int]]]:
    """natasha's LOC spans (NER only: segmenter + NER tagger, all LOC needs)."""
    from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter

    segmenter, ner = Segmenter(), NewsNERTagger(NewsEmbedding())
    out = []
    for text in texts:
        doc = Doc(text)
        doc.segment(segmenter)
        doc.tag_ner(ner)
        out.append([(s.start, s.stop) for s in doc.spans if s.type == "LOC"])
    return out


def lingua_detector() -> Callable[[str], str]:
    from lingua import Language, LanguageDetectorBuilder

    langs = (Language.RUSSIAN, Language.UKRAINIAN, Language.BELARUSIAN, Language.ENGLISH)
    detector = LanguageDetectorBuilder.from_languages(*langs).build()
    names = {Language.RUSSIAN: "ru", Language.UKRAINIAN: "uk"}

    def detect(text: str) -> str:
        found = detector.detect_language_of(text)
        return names.get(found, "other") if found is not None else "other"

    return detect


def quality(args: argparse.Namespace, sample: list[str]) -> None:
    from geotrace.evidence.text.language import language
    from geotrace.evidence.text.reading import read_text

    for extra in args.also:  # held-out labelled sets kept outside the repository
        held = ts.load_gold(extra)
        found = {g["id"]: read_text(g["text"]).json(g["id"]) for g in held}
        print(f"\n== quality on {extra} (held out: never seen while the rules were written)")
        print(ts.format_table(ts.score(held, found), "geotrace read_text"))
    gold = ts.load_gold()
    predictions = {g["id"]: read_text(g["text"]).json(g["id"]) for g in gold}
    scores = ts.score(gold, predictions)
    print("\n== quality on the gold set (" + str(ts.GOLD.relative_to(ts.GOLD.parents[3])) + ")")
    print(ts.format_table(scores, "geotrace read_text"))
    for lang in ("ru", "uk"):
        s = scores[lang].summary()
        kinds = {k: round(v.recall, 3) for k, v in sorted(scores[lang].by_kind.items())}
        print(
            f"  {lang}: distance median {s.get('dist_median_km', '-')} km,"
            f" p90 {s.get('dist_p90_km', '-')} km, acc@10 {s['acc@10km']},"
            f" acc@161 {s['acc@161km']}; recall by kind {kinds}"
        )
        cas = {
            k: f"{v.precision:.2f}/{v.recall:.2f} (n={v.tp + v.fn})"
            for k, v in scores[lang].casualty_kind.items()
            if v.tp + v.fn + v.fp
        }
        print(f"  {lang}: casualty P/R by kind {cas}")
    if not args.skip_natasha:
        spans = dict(zip([g["id"] for g in gold], natasha_loc([g["text"] for g in gold]),
                         strict=True))  # fmt: skip
        pr = ts.spans_only(gold, spans)
        print("natasha LOC spans (spans only):")
        for lang in ("ru", "uk", "all"):
            p = pr[lang]
            print(f"  {lang:5s} P {p.precision:.3f}  R {p.recall:.3f}  F1 {p.f1:.3f}")
    detect = lingua_detector()
    for name, fn in (("geotrace language()", language), ("lingua ru/uk/be/en", detect)):
        right = {lang: [0, 0] for lang in ("ru", "uk", "other")}
        for g in gold:
            right[g["lang"]][1] += 1
            right[g["lang"]][0] += fn(g["text"]) == g["lang"]
        _, cpu = _timed(fn, sample)
        acc = ", ".join(f"{k} {a}/{n}" for k, (a, n) in right.items())
        print(f"{name:20s} language right: {acc}; {len(sample) / cpu:,.0f} texts/s CPU")
    factru(args)


def factru_docs(git_dir: Path) -> list[tuple[str, list[tuple[int, int]]]]:
    """factRuEval-2016 test documents and their Location/LocOrg extents."""

    def show(path: str) -> str:
        return subprocess.run(
            ["git", "--git-dir", str(git_dir), "show", f"HEAD:{path}"],
            capture_output=True,
            check=True,
        ).stdout.decode("utf-8")

    listing = subprocess.run(
        ["git", "--git-dir", str(git_dir), "ls-tree", "--name-only", "HEAD", "testset/"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    files = set(listing.split())
    docs = []
    for name in sorted(p[: -len(".txt")] for p in files if p.endswith(".txt")):
        if name + ".spans" not in files:  # list.txt and the like
            continue
        spans: dict[str, tuple[int, int]] = {}
        for line in show(name + ".spans").splitlines():
            fields = line.split("#")[0].split()
            if len(fields) >= 4:
                spans[fields[0]] = (int(fields[2]), int(fields[2]) + int(fields[3]))
        gold = []
        for line in show(name + ".objects").splitlines():
            fields = line.split("#")[0].split()
            if len(fields) >= 3 and fields[1] in ("Location", "LocOrg"):
                parts = [spans[s] for s in fields[2:] if s in spans]
                if parts:
                    gold.append((min(a for a, _ in parts), max(b for _, b in parts)))
        docs.append((show(name + ".txt"), gold))
    return docs


def factru(args: argparse.Namespace) -> None:
    if not args.factru.exists():
        print(f"\nfactRuEval-2016: skipped, no mirror at {args.factru}")
        return
    from geotrace.evidence.text.reading import read_text

    docs = factru_docs(args.factru)
    gold = [
        {"id": i, "lang": "ru", "places": [{"start": a, "end": b} for a, b in spans]}
        for i, (_, spans) in enumerate(docs)
    ]
    systems: dict[str, list[list[tuple[int, int]]]] = {
        "geotrace": [[(p.start, p.end) for p in read_text(t).places] for t, _ in docs]
    }
    if not args.skip_natasha:
        systems["natasha LOC"] = natasha_loc([t for t, _ in docs])
    n_gold = sum(len(s) for _, s in docs)
    print(f"\nfactRuEval-2016 test set, {len(docs)} texts, {n_gold} Location/LocOrg (spans only):")
    for name, found in systems.items():
        pr = ts.spans_only(gold, dict(enumerate(found)))["all"]
        print(f"  {name:12s} P {pr.precision:.3f}  R {pr.recall:.3f}  F1 {pr.f1:.3f}")


def dask_scaling(n: int) -> None:
    try:
        from geotrace import api
        from geotrace.evidence import text_stage  # noqa: F401
    except ImportError as exc:
        print(f"\nDask: skipped, the text stage does not import ({exc})")
        return
    folder = Path(tempfile.mkdtemp(prefix="bench-text-"))
    try:
        table = folder / "posts.csv"
        with CORPUS.open(encoding="utf-8") as f, table.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["id", "at", "account", "text"])
            for i, line in enumerate(f):
                if i == n:
                    break
                post = json.loads(line)
                author = post.get("channel") or "addresses"
                writer.writerow([post["id"], post["posted_utc"], author, post["text"]])
        case = folder / "c.case"
        columns = {"id": "id", "at": "at", "account": "account", "text": "text"}
        api.ingest([table], case, columns=columns, executor="local")
        print(f"\n== text stage on Dask, {n:,} posts (LocalCluster start included)")
        for workers in (1, 2, 1, 2):
            with sqlite3.connect(case) as db:
                db.execute("DELETE FROM mentions")
                db.execute("DELETE FROM text_readings")
                db.execute("DELETE FROM sightings WHERE method = 'text_toponym'")
            wall = time.perf_counter()
            api.run(["text"], case, executor="dask", workers=workers)
            took = time.perf_counter() - wall
            print(f"  {workers} worker(s): {took:.1f} s wall, {n / took:,.0f} posts/s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="posts read for throughput")
    parser.add_argument("--sample", type=int, default=2_000, help="posts natasha reads")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--dask", type=int, default=0, help="posts for the Dask run (0: off)")
    parser.add_argument("--factru", type=Path, default=FACTRU, help="factRuEval-2016 git dir")
    parser.add_argument(
        "--also", type=Path, action="append", default=[], help="another labelled set to score"
    )
    parser.add_argument("--skip-natasha", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    texts = load_texts()
    sample = random.Random(args.seed).sample(texts, args.sample)
    print(
        f"corpus: {len(texts):,} posts ({sum(map(len, texts)) / len(texts):.0f} chars mean),"
        f" sample {len(sample):,} ({sum(map(len, sample)) / len(sample):.0f} chars mean)"
    )
    if not args.skip_speed:
        speed(args, texts, sample)
    quality(args, sample)
    if args.dask:
        dask_scaling(args.dask)


if __name__ == "__main__":
    main()
