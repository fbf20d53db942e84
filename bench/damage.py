"""How much of a damaged export is still read?  Issue 15's robustness measurement.

Every shared export sample (``../shared/corpora/exports``, copied into a temporary folder)
is damaged ``--variants`` times at seeded random offsets, in four ways in turn: cut short,
one byte replaced by a random byte, a quote inserted, one byte deleted.  Each variant is
read by the reader ``sources.registry.detect`` picks for the ORIGINAL name and first bytes,
and the posts of the original are looked for in it (same post id, same text).

Only the posts whose bytes the damage did not touch are counted ("intact": the post's own
JSON object lies wholly before a cut, or does not hold the damaged offset); the target is
every intact post kept.  A post's bytes are the span of the JSON object its reader keeps as
``raw``, found by a small span walker here (independent of geotrace), or its line in a
JSON Lines file; a post read from inside another post's object (VK's ``copy_history``) is
only as intact as that outer object, which the reader must decode to reach it.
Exceptions out of a reader are counted apart (the target is none).

Run:  .venv/bin/python bench/damage.py [--variants 200] [--seed 15] [--src OLD/src]
      .venv/bin/python bench/damage.py --long        # one huge message: seconds per size
      .venv/bin/python bench/damage.py --decoders    # per-item decoders, us a message

``--src`` reads with another checkout's ``src`` (e.g. ``git archive OLD src | tar -x``)
to compare before and after in one machine.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from json.decoder import scanstring
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "exports"
KINDS = ("cut", "byte", "quote", "delete")
_WS = re.compile(r"[ \t\n\r]*")


def object_spans(text: str) -> dict[str, tuple[int, int]]:
    """Every JSON object of a document, by its canonical JSON, with its character span."""
    decoder = json.JSONDecoder()
    out: dict[str, tuple[int, int]] = {}

    def value(i: int) -> int:
        i = _WS.match(text, i).end()  # type: ignore[union-attr]
        if text[i] not in "{[":
            return decoder.raw_decode(text, i)[1]
        close, start = "}" if text[i] == "{" else "]", i
        i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
        while text[i] != close:
            if close == "}":
                i = _WS.match(text, scanstring(text, i + 1)[1]).end()  # type: ignore[union-attr]
                i += 1  # the colon
            i = _WS.match(text, value(i)).end()  # type: ignore[union-attr]
            if text[i] == ",":
                i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
        if close == "}":
            out.setdefault(_canonical(json.loads(text[start : i + 1])), (start, i + 1))
        return i + 1

    body = text.find("[") if text.startswith("window.") else 0
    value(body)
    return out


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _byte_offsets(text: str) -> list[int]:
    """Byte offset of every character (and of the end) in the UTF-8 encoding."""
    offsets, at = [0], 0
    for ch in text:
        at += len(ch.encode("utf-8", "surrogatepass"))
        offsets.append(at)
    return offsets


@dataclass
class Sample:
    name: str
    data: bytes
    posts: dict[str, tuple[str, tuple[int, int] | None]]  # post id -> (text, byte span)


def _read_posts(read: Callable[[Any], Any], path: Path, export_file: type) -> tuple[Any, int]:
    doc = export_file(str(path), path.stat().st_size, lambda: path.open("rb"))
    try:
        records = list(read(doc))
    except Exception:  # a crash is what this counts, not a reason to stop
        return {}, 1
    return {r.post_id: r for r in records if type(r).__name__ == "Post"}, 0


def _spans(data: bytes, posts: dict[str, Any], jsonl: bool) -> dict[str, tuple[int, int] | None]:
    if jsonl:
        lines, at = [], 0
        for line in data.splitlines(keepends=True):
            lines.append((at, at + len(line)))
            at += len(line)
        found = {}
        for pid, post in posts.items():
            number = re.match(r"line (\d+)", post.location or "")
            found[pid] = lines[int(number.group(1)) - 1] if number else None
        return found
    text = data.decode("utf-8-sig")
    shift = len(data) - len(text.encode())
    objects = object_spans(text)
    chars = _byte_offsets(text)
    spans: dict[str, tuple[int, int] | None] = {}
    for pid, post in posts.items():
        span = objects.get(_canonical(post.raw)) if isinstance(post.raw, dict) else None
        spans[pid] = None if span is None else (chars[span[0]] + shift, chars[span[1]] + shift)
    return {pid: _outermost(span, spans.values()) for pid, span in spans.items()}


def _outermost(span: tuple[int, int] | None, others: Any) -> tuple[int, int] | None:
    """A post read from inside another post's item (VK's ``copy_history``, a retweet) is
    only as intact as that item: the reader gets it by decoding the outer item."""
    if span is None:
        return None
    around = [o for o in others if o is not None and o[0] <= span[0] and span[1] <= o[1]]
    return min(around, key=lambda o: o[0])


def _damaged(data: bytes, kind: str, rng: random.Random) -> tuple[bytes, int]:
    at = rng.randrange(1, len(data))
    if kind == "cut":
        return data[:at], at
    if kind == "byte":
        return data[:at] + bytes([rng.randrange(256)]) + data[at + 1 :], at
    if kind == "quote":
        return data[:at] + b'"' + data[at:], at
    return data[:at] + data[at + 1 :], at


def _touched(span: tuple[int, int] | None, kind: str, at: int) -> bool:
    if span is None:
        return True  # not located: not counted
    if kind == "cut":
        return span[1] > at
    if kind == "quote":
        return span[0] < at < span[1]
    return span[0] <= at < span[1]


def measure(args: argparse.Namespace) -> int:
    from geotrace.sources.base import SNIFF_BYTES, ExportFile
    from geotrace.sources.registry import detect

    rows = []
    totals = [0, 0, 0, 0]
    with tempfile.TemporaryDirectory(prefix="geotrace-damage-") as tmp:
        work = Path(tmp)
        for source in sorted(SHARED.rglob("*")):
            if not source.is_file() or source.suffix not in (".json", ".jsonl", ".js"):
                continue
            data = source.read_bytes()
            reader = detect(source.name, data[:SNIFF_BYTES])
            if reader is None:
                continue
            original = work / source.name
            shutil.copyfile(source, original)
            posts, _ = _read_posts(reader.read, original, ExportFile)
            if not posts:
                continue
            spans = _spans(data, posts, source.suffix == ".jsonl")
            rng = random.Random(f"{args.seed}/{source.name}")
            intact = kept = crashes = located = 0
            for n in range(args.variants):
                kind = KINDS[n % len(KINDS)]
                broken, at = _damaged(data, kind, rng)
                path = work / f"v{n}" / source.name
                path.parent.mkdir(exist_ok=True)
                path.write_bytes(broken)
                got, crashed = _read_posts(reader.read, path, ExportFile)
                crashes += crashed
                for pid, post in posts.items():
                    if _touched(spans[pid], kind, at):
                        continue
                    intact += 1
                    again = got.get(pid)
                    kept += again is not None and again.text == post.text
                shutil.rmtree(path.parent)
            located = sum(s is not None for s in spans.values())
            rows.append(
                (source.parent.name, source.name, len(posts), located, intact, kept, crashes)
            )
            for i, v in enumerate((intact, kept, crashes, len(posts))):
                totals[i] += v
    print(f"{args.variants} variants a file ({', '.join(KINDS)} in turn), seed {args.seed}")
    print("| folder | file | posts | located | intact | kept | kept % | crashes |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for folder, name, count, located, intact, kept, crashes in rows:
        share = 100 * kept / intact if intact else 100.0
        cells = (folder, name, count, located, intact, kept, f"{share:.1f}", crashes)
        print("| " + " | ".join(map(str, cells)) + " |")
    intact, kept, crashes, count = totals
    print(f"| **total** | {len(rows)} files | {count} | | {intact} | {kept} | "
          f"{100 * kept / max(intact, 1):.2f} | {crashes} |")  # fmt: skip
    return 0


def long_message(args: argparse.Namespace) -> int:
    """Seconds to read a 3-message chat export whose middle text is N MiB long."""
    from geotrace.sources.base import ExportFile
    from geotrace.sources.telegram import TELEGRAM_DESKTOP

    with tempfile.TemporaryDirectory(prefix="geotrace-long-", dir=args.tmp) as tmp:
        path = Path(tmp) / "result.json"
        for mib in args.sizes:
            with path.open("wb") as out:
                out.write(
                    b'{\n "name": "x",\n "type": "personal_chat",\n "id": 1,\n "messages": [\n'
                )
                for k in range(3):
                    out.write(b'  {\n   "id": %d,\n   "type": "message",\n' % k)
                    out.write(b'   "date": "2024-01-01T00:00:00",\n   "text": "')
                    if k == 1:
                        block = b"0123456789abcdef" * 65536  # 1 MiB
                        for _ in range(mib):
                            out.write(block)
                    out.write(b'"\n  }' + (b",\n" if k < 2 else b"\n"))
                out.write(b" ]\n}\n")
            doc = ExportFile(str(path), path.stat().st_size, lambda p=path: p.open("rb"))
            start = time.perf_counter()
            records = list(TELEGRAM_DESKTOP.read(doc))
            seconds = time.perf_counter() - start
            kinds = [type(r).__name__ if type(r).__name__ == "Post" else r.code for r in records]
            print(f"{mib:>5} MiB text: {seconds:7.2f} s  {kinds}", flush=True)
    return 0


def decoders(args: argparse.Namespace) -> int:
    """Microseconds per Telegram message (the 2020-01 sample's, as tdesktop indents them)
    for each per-item decoder jsonstream could use; best of 3."""
    import msgspec

    sample = SHARED / "telegram_desktop_json" / "chm_telegram_2020-01.result.json"
    chats = json.loads(sample.read_bytes())["chats"]["list"]
    items = [
        json.dumps(m, ensure_ascii=False, indent=1).encode() for c in chats for m in c["messages"]
    ]
    items *= 2000 // len(items) + 1
    candidates: dict[str, Callable[[bytes], Any]] = {
        "msgspec.json.Decoder().decode": msgspec.json.Decoder().decode,
        "json.loads(bytes)": json.loads,
        "json.loads(str, strict=False)": lambda b: json.loads(b.decode(), strict=False),
    }
    try:
        import orjson

        candidates["orjson.loads"] = orjson.loads
    except ImportError:
        print("orjson: not installed")
    for name, decode in candidates.items():
        best = min(_timed(decode, items) for _ in range(3))
        print(f"{name}: {best / len(items) * 1e6:.2f} us/message ({len(items)} messages)")
    return 0


def _timed(decode: Callable[[bytes], Any], items: list[bytes]) -> float:
    start = time.perf_counter()
    for item in items:
        decode(item)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--variants", type=int, default=200, help="damaged copies a file")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--src", help="read with this src folder (an older checkout)")
    parser.add_argument("--long", action="store_true", help="time one huge message instead")
    parser.add_argument("--sizes", type=int, nargs="*", default=[8, 16, 32, 64, 500])
    parser.add_argument("--tmp", help="folder for --long's file (default: the system's)")
    parser.add_argument("--decoders", action="store_true", help="time per-item decoders")
    args = parser.parse_args()
    if args.src:
        sys.path.insert(0, str(Path(args.src).resolve()))
    if not SHARED.is_dir():
        print(f"{SHARED} is absent", file=sys.stderr)
        return 2
    if args.decoders:
        return decoders(args)
    return long_message(args) if args.long else measure(args)


if __name__ == "__main__":
    raise SystemExit(main())
