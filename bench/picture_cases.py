"""Cases of N real pictures for the scale benchmarks, each picture a new file of its own.

The method of ``../shared/research/scale.md``: a pool of real pictures (the provenance set
that ``../shared/bench/provenance_set.py --seed 20261123`` builds, plus the JPEGs of
``../shared/corpora/photos/jpeg``); file i is pool[i mod len(pool)] with the pool file's own
EXIF APP1 segment dropped and a new one spliced in right after SOI: the same pixels, but its
own GPS fix (a random walk in eastern Ukraine), its own DateTimeOriginal (with offset and a
matching GPS time stamp) and a make/model.  So every file is byte-distinct (its own SHA-256,
its own sighting), while the pixels repeat every len(pool) files: a copy-heavy case, close
to the worst case for ``copies`` and realistic for a viral-picture investigation.

Why real pictures and not generated ones: decode cost, ORB features, hash collisions and
the number of pixel checks all depend on real content; noise or gradients would make
``copies`` look cheaper than it is.  Why the EXIF is written here with ``struct`` and not
by a library: the bytes must be the same whatever is installed, and the segment is tiny
(IFD0 make/model, the Exif IFD's time, the GPS IFD).

Deterministic: the same pool, n and seed give the same bytes.  The pool's size depends on
what ``provenance_set.py`` finds installed (its README lists the Debian and PyPI packages);
``build`` prints it, and the manifest beside the output (``OUT.csv``) names each file's pool source.

    python bench/picture_cases.py --n 5000 --out /tmp/cases/5k [--verify]

``--verify`` reads every copy back with ``geotrace inspect --json`` and checks its fix and
time against the manifest.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SET_SCRIPT = SHARED / "bench" / "provenance_set.py"
PHOTOS = SHARED / "corpora" / "photos" / "jpeg"
SEED = 20261123

#: Where the provenance set is built when no ``--set`` is given (never inside ../shared).
DEFAULT_SET = Path(os.environ.get("GEOTRACE_POOL_SET", "/tmp/h20/pool/set"))

#: Start of the random walk (near Kramatorsk) and the box it stays in: eastern Ukraine.
START = (48.72, 37.56)
BOX = ((47.0, 49.9), (36.0, 39.8))
#: Step of the walk in degrees (standard deviation): ~1 km.
STEP_DEG = 0.01
#: First capture time, local wall clock, and its offset (Kyiv, summer time).
FIRST = datetime(2024, 6, 1, 6, 0, 0)
OFFSET = timedelta(hours=3)

CAMERAS = (
    ("Apple", "iPhone 13"),
    ("Apple", "iPhone 11"),
    ("samsung", "SM-A525F"),
    ("samsung", "SM-G991B"),
    ("Xiaomi", "Redmi Note 10"),
    ("Google", "Pixel 6a"),
    ("Canon", "Canon EOS 80D"),
    ("NIKON CORPORATION", "NIKON D5300"),
)

SOI = b"\xff\xd8"
EXIF_HEADER = b"Exif\x00\x00"


class NotJpeg(ValueError):
    """A pool file whose JPEG segments cannot be walked (it is left out of the pool)."""


@dataclass(frozen=True, slots=True)
class Shot:
    """What one copy's new EXIF says."""

    lat: float
    lon: float
    local: datetime  # wall clock at OFFSET
    make: str
    model: str


# --- JPEG segments -----------------------------------------------------------------------


def strip_exif(data: bytes) -> bytes:
    """The JPEG without its EXIF APP1 segments (XMP and every other segment kept): the
    bytes after SOI, ready for a new APP1 in front.  Raises :class:`NotJpeg` when the
    markers before the scan cannot be walked."""
    if not data.startswith(SOI):
        raise NotJpeg("no SOI")
    kept = bytearray()
    pos = 2
    while True:
        if pos + 4 > len(data) or data[pos] != 0xFF:
            raise NotJpeg(f"no marker at byte {pos}")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # standalone
            kept += data[pos : pos + 2]
            pos += 2
            continue
        if marker in (0xDA, 0xD9):  # start of scan (or end): the rest as it is
            kept += data[pos:]
            return bytes(kept)
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise NotJpeg(f"segment {marker:#x} at byte {pos} runs past the end")
        if not (marker == 0xE1 and data[pos + 4 : pos + 10] == EXIF_HEADER):
            kept += data[pos:end]
        pos = end


# --- TIFF / EXIF -------------------------------------------------------------------------

BYTE, ASCII, SHORT, LONG, RATIONAL = 1, 2, 3, 4, 5
_SIZE = {BYTE: 1, ASCII: 1, SHORT: 2, LONG: 4, RATIONAL: 8}

Entry = tuple[int, int, int, bytes]  # tag, type, count, value (little-endian bytes)


def _ascii(tag: int, text: str) -> Entry:
    raw = text.encode("ascii") + b"\x00"
    return (tag, ASCII, len(raw), raw)


def _rationals(tag: int, pairs: Sequence[tuple[int, int]]) -> Entry:
    return (tag, RATIONAL, len(pairs), b"".join(struct.pack("<II", n, d) for n, d in pairs))


def _long(tag: int, value: int) -> Entry:
    return (tag, LONG, 1, struct.pack("<I", value))


def _ifd_size(entries: Sequence[Entry]) -> int:
    return 2 + 12 * len(entries) + 4 + sum(_padded(len(v)) for *_, v in entries if len(v) > 4)


def _padded(n: int) -> int:
    return n + (n & 1)


def _ifd(entries: Sequence[Entry], start: int) -> bytes:
    """One IFD at TIFF offset ``start``: its entries (sorted by tag), a zero next-IFD
    pointer, then the values that do not fit in an entry."""
    head = bytearray(struct.pack("<H", len(entries)))
    data = bytearray()
    data_at = start + 2 + 12 * len(entries) + 4
    for tag, kind, count, value in sorted(entries):
        if len(value) <= 4:
            head += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\x00")
        else:
            head += struct.pack("<HHII", tag, kind, count, data_at + len(data))
            data += value + b"\x00" * (len(value) & 1)
    return bytes(head + b"\x00\x00\x00\x00" + data)


def _dms(value: float) -> list[tuple[int, int]]:
    """Degrees, minutes and seconds (1e-4 s: 3e-9 degrees) of ``abs(value)``."""
    total = round(abs(value) * 3600 * 10_000)
    deg, rest = divmod(total, 3600 * 10_000)
    minutes, sec = divmod(rest, 60 * 10_000)
    return [(deg, 1), (minutes, 1), (sec, 10_000)]


def exif_app1(shot: Shot) -> bytes:
    """The whole APP1 segment (marker, length, ``Exif\\0\\0``, little-endian TIFF)."""
    utc = shot.local - OFFSET
    hours = int(OFFSET.total_seconds()) // 3600
    exif = [
        _ascii(0x9003, shot.local.strftime("%Y:%m:%d %H:%M:%S")),
        _ascii(0x9011, f"+{hours:02d}:00"),
    ]
    gps = [
        (0x0000, BYTE, 4, bytes([2, 3, 0, 0])),
        _ascii(0x0001, "N" if shot.lat >= 0 else "S"),
        _rationals(0x0002, _dms(shot.lat)),
        _ascii(0x0003, "E" if shot.lon >= 0 else "W"),
        _rationals(0x0004, _dms(shot.lon)),
        _rationals(0x0007, [(utc.hour, 1), (utc.minute, 1), (utc.second, 1)]),
        _ascii(0x001D, utc.strftime("%Y:%m:%d")),
    ]
    base = [_ascii(0x010F, shot.make), _ascii(0x0110, shot.model)]
    ifd0_size = _ifd_size([*base, _long(0x8769, 0), _long(0x8825, 0)])
    exif_at = 8 + ifd0_size
    gps_at = exif_at + _ifd_size(exif)
    ifd0 = _ifd([*base, _long(0x8769, exif_at), _long(0x8825, gps_at)], 8)
    tiff = b"II*\x00" + struct.pack("<I", 8) + ifd0 + _ifd(exif, exif_at) + _ifd(gps, gps_at)
    payload = EXIF_HEADER + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


# --- the case ----------------------------------------------------------------------------


def ensure_set(set_dir: Path = DEFAULT_SET, python: str = sys.executable) -> Path:
    """The provenance set at ``set_dir``, built there first when it is not (its sources
    need the Debian and PyPI packages its README lists; without them it is smaller)."""
    if not (set_dir / "ground_truth.csv").exists():
        cmd = [python, str(SET_SCRIPT), "--out", str(set_dir), "--seed", str(SEED)]
        subprocess.run(cmd, check=True)
    return set_dir


def pool_files(set_dir: Path = DEFAULT_SET, photos: Path = PHOTOS) -> list[Path]:
    """The pool, in a fixed order: the set's ``db/`` and ``q/`` pictures, then the photo
    corpus's JPEGs."""
    files = sorted((set_dir / "db").glob("*.jpg")) + sorted((set_dir / "q").glob("*.jpg"))
    if photos.is_dir():
        files += sorted(p for p in photos.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))
    return files


def load_pool(files: Sequence[Path]) -> tuple[list[tuple[Path, bytes]], list[str]]:
    """Each pool file's bytes without EXIF; the files left out, with why."""
    pool: list[tuple[Path, bytes]] = []
    left: list[str] = []
    for path in files:
        try:
            pool.append((path, strip_exif(path.read_bytes())))
        except NotJpeg as exc:
            left.append(f"{path.name}: {exc}")
    return pool, left


def shots(n: int, seed: int = SEED) -> list[Shot]:
    """n points of a random walk inside :data:`BOX`, seconds to minutes apart."""
    rng = random.Random(seed)
    lat, lon = START
    local = FIRST
    out: list[Shot] = []
    for _ in range(n):
        lat = min(max(lat + rng.gauss(0.0, STEP_DEG), BOX[0][0]), BOX[0][1])
        lon = min(
            max(lon + rng.gauss(0.0, STEP_DEG / math.cos(math.radians(lat))), BOX[1][0]), BOX[1][1]
        )
        local += timedelta(seconds=rng.randint(5, 900))
        make, model = CAMERAS[rng.randrange(len(CAMERAS))]
        out.append(Shot(round(lat, 7), round(lon, 7), local, make, model))
    return out


def relative(i: int) -> str:
    """File i's path inside the case folder: folders of 1,000 files."""
    return f"{i // 1000:03d}/p{i:06d}.jpg"


def manifest(out_dir: Path) -> Path:
    """The case folder's manifest, beside it (inside, ``ingest`` would read it as a
    table of points)."""
    return out_dir.with_name(out_dir.name + ".csv")


def build(
    n: int,
    out_dir: Path,
    seed: int = SEED,
    *,
    set_dir: Path = DEFAULT_SET,
    photos: Path = PHOTOS,
) -> list[Path]:
    """Write n pictures under ``out_dir`` (emptied first) and their :func:`manifest`
    (file, pool source, lat, lon, local time, offset, make, model); the files' paths."""
    pool, left = load_pool(pool_files(ensure_set(set_dir), photos))
    if not pool:
        raise SystemExit(f"no pool: nothing in {set_dir} or {photos}")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    paths: list[Path] = []
    hours = int(OFFSET.total_seconds()) // 3600
    with manifest(out_dir).open("w", newline="") as f:
        rows = csv.writer(f)
        rows.writerow(["file", "source", "lat", "lon", "local", "offset", "make", "model"])
        for i, shot in enumerate(shots(n, seed)):
            source, body = pool[i % len(pool)]
            path = out_dir / relative(i)
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(SOI + exif_app1(shot) + body)
            paths.append(path)
            rows.writerow(
                [
                    relative(i),
                    source.name,
                    shot.lat,
                    shot.lon,
                    shot.local.isoformat(),
                    f"+{hours:02d}:00",
                    shot.make,
                    shot.model,
                ]
            )
    print(
        f"{n} pictures in {out_dir} from a pool of {len(pool)} "
        f"({len(left)} pool files left out{': ' + '; '.join(left) if left else ''})",
        file=sys.stderr,
    )
    return paths


def verify(out_dir: Path, geotrace: str | None = None) -> list[str]:
    """Every copy read back by ``geotrace inspect --json``: its fix within 1e-6 degree,
    its local time and its UTC instant as written.  The mismatches (empty: all right)."""
    exe = geotrace or str(Path(sys.executable).with_name("geotrace"))
    expected: dict[str, dict[str, str]] = {}
    with manifest(out_dir).open() as f:
        for row in csv.DictReader(f):
            expected[str((out_dir / row["file"]).resolve())] = row
    done = subprocess.run(
        [exe, "inspect", "--json", str(out_dir)], capture_output=True, text=True, check=False
    )
    bad: list[str] = []
    seen = set()
    for line in done.stdout.splitlines():
        got = json.loads(line)
        path = str(Path(got["path"]).resolve())
        if path not in expected:
            continue
        row = expected[path]
        seen.add(path)
        gps = got.get("gps") or {}
        taken = got.get("taken") or {}
        local = datetime.fromisoformat(row["local"])
        utc = (local - OFFSET).replace(tzinfo=UTC)
        problems = []
        if gps.get("lat") is None or abs(gps["lat"] - float(row["lat"])) > 1e-6:
            problems.append(f"lat {gps.get('lat')} != {row['lat']}")
        if gps.get("lon") is None or abs(gps["lon"] - float(row["lon"])) > 1e-6:
            problems.append(f"lon {gps.get('lon')} != {row['lon']}")
        if taken.get("local", "")[:19] != local.isoformat():
            problems.append(f"local {taken.get('local')} != {local.isoformat()}")
        got_utc = taken.get("utc")
        if not got_utc or datetime.fromisoformat(got_utc.replace("Z", "+00:00")) != utc:
            problems.append(f"utc {got_utc} != {utc.isoformat()}")
        dev = got.get("device") or {}
        if (dev.get("make"), dev.get("model")) != (row["make"], row["model"]):
            problems.append(f"device {dev.get('make')}/{dev.get('model')}")
        if problems:
            bad.append(f"{row['file']} ({row['source']}): {'; '.join(problems)}")
    bad += [f"{expected[p]['file']}: not read" for p in expected.keys() - seen]
    return bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--n", type=int, required=True, help="how many pictures")
    parser.add_argument("--out", type=Path, required=True, help="the folder (emptied first)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="the provenance set")
    parser.add_argument("--photos", type=Path, default=PHOTOS, help="more JPEGs for the pool")
    parser.add_argument("--verify", action="store_true", help="read each copy back")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    build(args.n, args.out, args.seed, set_dir=args.set, photos=args.photos)
    print(f"built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    if args.verify:
        bad = verify(args.out)
        for line in bad[:20]:
            print("MISMATCH", line)
        print(f"verified: {args.n - len(bad)} of {args.n} read their own fix and time")
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
