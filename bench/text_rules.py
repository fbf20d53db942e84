"""The rule-based text finders on the whole shared corpus: speed, lingua, hit counts.

``geotrace.evidence.text.language``, ``.units`` and ``.casualty`` are regular expressions
and look-ups; issue 18 asks the text stage for >= 20x natasha's full pipeline (~80 texts/s
here), and these three are asked for >= 5,000 texts/s together on one core.  This bench
re-measures the figures their docstrings quote:

* speed: each finder alone and the three together over every post of
  ``../shared/corpora/text/posts.jsonl`` (24,437), CPU seconds of this process (the
  machine is shared: wall time is printed beside it), best of ``--runs``;
* language: agreement with a lingua 2.1 detector restricted to ru/uk/be/en/kk (anything
  but ru/uk counts as "other"), on the raw texts and with links, @mentions, #tags and code
  stripped as ``language()`` strips them; the Ukrainian addresses (``resistinua_*``) as
  each reads them; ``--disagreements N`` prints N of the posts where the two differ;
* hits: texts with a unit, with each casualty kind; ``--sample N`` prints N random unit
  spans and N random casualty texts (seeded) for reading by eye.

lingua (Apache-2.0) is a bench dependency only; without it the agreement is skipped.

Run: ``.venv/bin/python bench/text_rules.py [--runs 3] [--disagreements 30] [--sample 40]``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from geotrace.evidence.text.casualty import find_casualty
from geotrace.evidence.text.language import language
from geotrace.evidence.text.units import find_units

POSTS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "text" / "posts.jsonl"
#: What language() strips before judging (kept in step with its _NOISE by hand: the bench
#: must not import a private name).
NOISE = re.compile(r"(?:https?://|www\.)\S+|[@#]\w+|```[\s\S]*?(?:```|$)|`[^`\n]*`")


def timed(texts: list[str], read: Callable[[str], object], runs: int) -> tuple[float, float]:
    """Best texts/s over ``runs`` passes: (CPU, wall)."""
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        for text in texts:
            read(text)
        cpu.append(len(texts) / (time.process_time() - c0))
        wall.append(len(texts) / (time.perf_counter() - w0))
    return max(cpu), max(wall)


def all_three(text: str) -> None:
    language(text)
    find_units(text)
    find_casualty(text)


def lingua_agreement(rows: list[dict[str, str]], mine: Sequence[str], show: int) -> None:
    try:
        from lingua import Language, LanguageDetectorBuilder
    except ImportError:
        print("lingua not installed: agreement skipped")
        return
    detector = LanguageDetectorBuilder.from_languages(
        Language.RUSSIAN, Language.UKRAINIAN, Language.BELARUSIAN, Language.ENGLISH, Language.KAZAKH
    ).build()
    names: dict[Language | None, str] = {Language.RUSSIAN: "ru", Language.UKRAINIAN: "uk"}
    theirs: list[str] = []
    for label, prepare in (("raw", str), ("links stripped", lambda t: NOISE.sub(" ", t))):
        start = time.process_time()
        theirs = [names.get(detector.detect_language_of(prepare(r["text"])), "other") for r in rows]
        rate = len(rows) / (time.process_time() - start)
        agree = sum(a == b for a, b in zip(mine, theirs, strict=True))
        pairs = Counter((b, a) for a, b in zip(mine, theirs, strict=True) if a != b)
        print(
            f"lingua ({label}, {rate:,.0f} texts/s): agreement {agree / len(rows):.4f} "
            f"({len(rows) - agree} differ; lingua->ours {dict(pairs.most_common())})"
        )
    uk_rows = [i for i, r in enumerate(rows) if r["id"].startswith("resistinua_")]
    print(
        f"Ukrainian addresses ({len(uk_rows)}): ours {dict(Counter(mine[i] for i in uk_rows))}, "
        f"lingua {dict(Counter(theirs[i] for i in uk_rows))}"
    )
    differ = [i for i in range(len(rows)) if mine[i] != theirs[i]]
    for i in random.Random(1).sample(differ, min(show, len(differ))):
        print(f"  {rows[i]['id']}: lingua {theirs[i]}, ours {mine[i]}: {rows[i]['text'][:120]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--disagreements", type=int, default=0)
    parser.add_argument("--sample", type=int, default=0)
    args = parser.parse_args()
    rows = [json.loads(line) for line in POSTS.open(encoding="utf-8")]
    texts = [r["text"] for r in rows]
    print(f"{len(texts)} posts, mean {sum(map(len, texts)) / len(texts):.0f} characters")
    for name, read in (
        ("language", language),
        ("find_units", find_units),
        ("find_casualty", find_casualty),
        ("all three", all_three),
    ):
        cpu, wall = timed(texts, read, args.runs)
        print(f"{name:14} {cpu:9,.0f} texts/s CPU  {wall:9,.0f} wall")
    mine = [language(t) for t in texts]
    print(f"languages: {dict(Counter(mine))}")
    lingua_agreement(rows, mine, args.disagreements)
    units = [find_units(t) for t in texts]
    cues = [find_casualty(t) for t in texts]
    kinds = Counter(k for c in cues for k in {cue.kind for cue in c})
    print(
        f"units: {sum(map(bool, units))} texts, {sum(map(len, units))} spans; casualty: "
        f"{sum(map(bool, cues))} texts, by kind {dict(kinds.most_common())}"
    )
    if args.sample:
        rng = random.Random(0)
        spans = [(r["id"], s) for r, u in zip(rows, units, strict=True) for s in u]
        for ident, span in rng.sample(spans, min(args.sample, len(spans))):
            print(f"  unit {ident}: {span.text!r}")
        hit = [i for i, c in enumerate(cues) if c]
        for i in rng.sample(hit, min(args.sample, len(hit))):
            print(f"  casualty {rows[i]['id']}: {[(c.kind, c.text) for c in cues[i]]}")


if __name__ == "__main__":
    main()
