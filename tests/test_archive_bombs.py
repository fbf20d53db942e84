"""Archives that cost more than their size, many tiny members, and files that change
while they are read (issue 15, point 7)."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import struct
import zipfile
import zlib
from pathlib import Path
from typing import IO

from geotrace import api
from geotrace.ingest import IngestSummary, ingest_item
from geotrace.ingest_export import _zip_sibling
from geotrace.sources import Item, Refusal, ZipLimits, walk
from geotrace.store.case import Case
from tests.conftest import PHOTOS, SHARED, require_shared

_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")


def _overlap_bomb(path: Path, entries: int, kernel_bytes: int) -> list[str]:
    """David Fifield's quoted-overlap zip bomb: every local header is followed by a
    stored deflate block quoting the next one, so each member inflates every later header
    and then one shared kernel of deflated zeros.  Each member is small and of a plain
    ratio; together they inflate ``entries`` times the kernel.  Returns the names."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    kernel = squeeze.compress(bytes(kernel_bytes)) + squeeze.flush()
    names = [f"{i:04d}.jpg" for i in range(entries)]
    plain, packed = bytes(kernel_bytes), len(kernel)  # the last member's data
    headers: list[bytes] = []
    sizes: list[tuple[int, int, int]] = []
    for name in reversed(names):
        crc = zlib.crc32(plain)
        raw = name.encode()
        header = _LOCAL.pack(b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, packed, len(plain), len(raw), 0)
        header += raw
        headers.insert(0, header)
        sizes.insert(0, (crc, packed, len(plain)))
        plain = header + plain  # the previous member quotes this header, then goes on
        packed += 5 + len(header)
    body = bytearray()
    offsets = []
    for i, header in enumerate(headers):
        offsets.append(len(body))
        body += header
        if i + 1 < entries:  # a stored, non-final block holding the next header
            body += struct.pack("<BHH", 0, len(headers[i + 1]), len(headers[i + 1]) ^ 0xFFFF)
    body += kernel
    directory = b"".join(
        _CENTRAL.pack(
            b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, *sizes[i], len(name), 0, 0, 0, 0, 0, offsets[i]
        )
        + name.encode()
        for i, name in enumerate(names)
    )
    end = _END.pack(b"PK\x05\x06", 0, 0, entries, entries, len(directory), len(body), 0)
    path.write_bytes(bytes(body) + directory + end)
    return names


def _folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def _problems(case: Path) -> dict[str, list[tuple[str, str]]]:
    with sqlite3.connect(case) as db:
        rows = db.execute("SELECT code, path, message FROM problems ORDER BY path").fetchall()
    found: dict[str, list[tuple[str, str]]] = {}
    for code, path, message in rows:
        found.setdefault(code, []).append((path, message))
    return found


def test_an_overlapping_entry_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    bomb = tmp_path / "in" / "bomb.zip"
    bomb.parent.mkdir()
    names = _overlap_bomb(bomb, entries=1_000, kernel_bytes=100 * 2**10)
    with zipfile.ZipFile(bomb) as zf:  # a real bomb: zipfile inflates any member of it
        first, last = zf.read(names[0]), zf.read(names[-1])
    assert len(first) > 100 * 2**10 and last == bytes(100 * 2**10)
    assert bomb.stat().st_size < 120_000  # ~120 MB if every member were inflated

    case = tmp_path / "bomb.case"
    summary = api.ingest([bomb], case)
    assert summary.exit_code == 1
    assert summary.problems["archive_overlap"] == 1_000
    problems = _problems(case)
    refused = dict(problems["archive_overlap"])
    assert refused[f"{bomb}!/{names[1]}"] == f"data overlaps member {names[0]!r}"
    assert refused[f"{bomb}!/{names[0]}"] == f"data overlaps member {names[1]!r}"
    with sqlite3.connect(case) as db:
        kinds = dict(db.execute("SELECT kind, count(*) FROM sources GROUP BY kind").fetchall())
    assert kinds == {"archive": 1}  # the archive itself is kept, no member of it
    assert _folder_bytes(Path(f"{case}.media")) < 2 * bomb.stat().st_size


def test_duplicate_content_in_separate_members_is_read(tmp_path: Path) -> None:
    photo = sorted(require_shared(PHOTOS / "jpeg").glob("*.jpg"))[0].read_bytes()
    archive = tmp_path / "twice.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a/photo.jpg", photo)
        zf.writestr("b/same.jpg", photo)
    summary = api.ingest([archive], tmp_path / "twice.case")
    assert summary.exit_code == 0 and not summary.problems.get("archive_overlap")
    assert summary.new_sources == 3 and summary.new_media == 2  # the archive, one photo


def test_the_work_an_archive_may_cost_is_bounded_by_its_size(tmp_path: Path) -> None:
    """Members of 1 MiB of zeros each (a ratio of ~1000, small enough to pass the
    member's ratio check) in separate, honest entries: the archive's own budget stops them."""
    limits = ZipLimits()
    count = limits.archive_floor_bytes // 2**20 + 40
    archive = tmp_path / "zeros.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for i in range(count):
            zf.writestr(f"{i:04d}.bin", bytes(2**20))
    assert limits.max_ratio * archive.stat().st_size < limits.archive_floor_bytes
    entries = list(walk([archive], limits))
    kept = [e for e in entries if isinstance(e, Item) and e.kind == "archive_member"]
    refused = [e for e in entries if isinstance(e, Refusal)]
    assert len(kept) == limits.archive_floor_bytes // 2**20
    assert [e.code for e in refused] == ["archive_expands_too_far"] * 40
    assert str(limits.archive_floor_bytes) in refused[0].message


class _Rewritten:
    """A file opened for reading while another program rewrites it: after the first
    4 KiB are read, ``change`` is applied to the file on disk."""

    def __init__(self, path: Path, change: str) -> None:
        self.path, self.change, self.read_so_far = path, change, 0
        self.stream: IO[bytes] = path.open("rb")

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(4096)
        if self.read_so_far == 0 and data:
            if self.change == "append":
                with self.path.open("ab") as out:
                    out.write(b"appended while read")
            else:
                with self.path.open("r+b") as out:
                    out.truncate(self.path.stat().st_size // 2)
        self.read_so_far += len(data)
        return data

    def __enter__(self) -> _Rewritten:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stream.close()


def test_a_file_rewritten_while_it_is_read_is_said_so(tmp_path: Path) -> None:
    photos = sorted(require_shared(PHOTOS / "jpeg").glob("*.jpg"))[:3]
    with Case(tmp_path / "c.case", write=True) as case:
        summary = IngestSummary()
        for photo, change in zip(photos, ["append", "truncate", None], strict=True):
            path = Path(shutil.copy(photo, tmp_path / photo.name))
            if change is None:
                item = Item(str(path), "file", lambda p=path: p.open("rb"))
            else:
                item = Item(str(path), "file", lambda p=path, c=change: _Rewritten(p, c))
            ingest_item(case, item, summary)
        stored = {
            path: case.media.path_of(sha).read_bytes()
            for path, sha in case.db.execute("SELECT path, sha256 FROM sources")
        }
        problems = case.db.execute(
            "SELECT path, sha256, message FROM problems WHERE code = 'changed_while_read'"
            " ORDER BY path"
        ).fetchall()
    assert summary.problems["changed_while_read"] == 2 and summary.exit_code == 1
    assert sorted(p for p, _, _ in problems) == sorted(str(tmp_path / p.name) for p in photos[:2])
    for path, sha, message in problems:
        kept = stored[path]  # what was read is what is kept, and the message says so
        assert hashlib.sha256(kept).hexdigest() == sha
        assert f"the original kept is the {len(kept)} bytes read" in message
    untouched = str(tmp_path / photos[2].name)
    assert stored[untouched] == photos[2].read_bytes()  # the run went on, the next file whole


def test_an_export_rewritten_while_it_is_kept_is_said_so(tmp_path: Path) -> None:
    """A result.json still being written (Telegram Desktop appends as it exports) is kept as
    read, its posts come from those bytes, and the source says it changed."""
    sample = require_shared(SHARED / "corpora" / "exports" / "telegram_desktop_json")
    path = Path(shutil.copy(sample / "chm_telegram_2020-01.result.json", tmp_path / "result.json"))
    opened: list[int] = []

    def opener() -> IO[bytes] | _Rewritten:  # the first open is the format's sniff
        opened.append(1)
        return path.open("rb") if len(opened) == 1 else _Rewritten(path, "append")

    with Case(tmp_path / "c.case", write=True) as case:
        summary = IngestSummary()
        ingest_item(case, Item(str(path), "file", opener), summary)  # type: ignore[arg-type]
        (sha, message), *_ = case.db.execute(
            "SELECT sha256, message FROM problems WHERE code = 'changed_while_read'"
        ).fetchall()
        kept = case.media.path_of(sha).read_bytes()
    assert summary.problems["changed_while_read"] == 1 and summary.exit_code == 1
    assert summary.posts == 50  # every message, read from the bytes kept
    assert hashlib.sha256(kept).hexdigest() == sha
    assert f"the original kept is the {len(kept)} bytes read" in message


def test_an_export_never_opens_an_overlapping_sibling(tmp_path: Path) -> None:
    """A document's sibling (an X archive's account.js beside tweets.js) is opened under the
    walk's checks: a member of an overlap bomb is refused there too."""
    bomb = tmp_path / "bomb.zip"
    names = _overlap_bomb(bomb, 50, 1 << 16)
    assert _zip_sibling(str(bomb), names[1]) is None
    honest = tmp_path / "honest.zip"
    with zipfile.ZipFile(honest, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data/account.js", "window.YTD.account.part0 = []")
    sibling = _zip_sibling(str(honest), "data/account.js")
    assert sibling is not None
    with sibling.open() as stream:
        assert stream.read().startswith(b"window.YTD")
