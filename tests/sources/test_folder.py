"""The read stage: folders walked safely, zip archives refused member by member."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

from geotrace.sources import Item, Refusal, ZipLimits, walk


def _zip_with(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return path


def _mark_encrypted(path: Path, name: bytes) -> None:
    """Set the "encrypted" flag bit of a member, as zipfile cannot write one."""
    data = bytearray(path.read_bytes())
    for sig, flag_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        pos = data.find(sig)
        while pos != -1:
            if data[pos + name_at : pos + name_at + len(name)] == name:
                data[pos + flag_at] |= 0x1
            pos = data.find(sig, pos + 4)
    path.write_bytes(bytes(data))


def _by_code(entries: list[Item | Refusal]) -> dict[str, list[str]]:
    codes: dict[str, list[str]] = {}
    for e in entries:
        codes.setdefault(e.code if isinstance(e, Refusal) else e.kind, []).append(e.path)
    return codes


def test_hostile_members_are_refused_one_by_one(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("link.jpg")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = _zip_with(
        tmp_path / "hostile.zip",
        [
            ("ok/photo.jpg", b"\xff\xd8\xff\xd9"),
            ("../../etc/cron.d/evil", b"x"),
            ("a/../../up.jpg", b"x"),
            ("/etc/passwd", b"x"),
            ("C:\\Windows\\evil.jpg", b"x"),
            (link, b"/etc/shadow"),
            ("locked.jpg", b"x"),
            ("ok/second.jpg", b"\xff\xd8\xff\xd9 second"),
        ],
    )
    _mark_encrypted(archive, b"locked.jpg")
    codes = _by_code(list(walk([archive])))
    assert len(codes["archive_path_traversal"]) == 2
    assert len(codes["archive_absolute_path"]) == 2
    assert codes["archive_symlink"] == [f"{archive}!/link.jpg"]
    assert codes["archive_encrypted"] == [f"{archive}!/locked.jpg"]
    assert codes["archive"] == [str(archive)]
    assert codes["archive_member"] == [f"{archive}!/ok/photo.jpg", f"{archive}!/ok/second.jpg"]


def test_a_zip_bomb_is_refused_without_decompressing(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    zeros = bytes(1 << 20)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("zeros.jpg", "w", force_zip64=True) as member:
            for _ in range(200):  # 200 MB of zeros, ~200 KB compressed
                member.write(zeros)
        zf.writestr("fine.jpg", b"\xff\xd8\xff\xd9")
    assert archive.stat().st_size < 2_000_000
    codes = _by_code(list(walk([archive])))
    assert codes["archive_bomb"] == [f"{archive}!/zeros.jpg"]
    assert codes["archive_member"] == [f"{archive}!/fine.jpg"]


def test_size_total_and_count_caps(tmp_path: Path) -> None:
    archive = _zip_with(
        tmp_path / "many.zip", [(f"{i}.jpg", bytes(100) + b"%d" % i) for i in range(6)]
    )
    limits = ZipLimits(max_members=4, max_member_bytes=1000, max_total_bytes=250)
    codes = _by_code(list(walk([archive], limits)))
    assert len(codes["archive_member"]) == 2
    assert len(codes["archive_total_too_large"]) == 2
    assert codes["archive_too_many_members"] == [str(archive)]
    tight = ZipLimits(max_member_bytes=50)
    assert len(_by_code(list(walk([archive], tight)))["archive_member_too_large"]) == 6


def test_a_broken_zip_is_kept_as_a_file_and_reported(tmp_path: Path) -> None:
    good = _zip_with(tmp_path / "x.zip", [("a.jpg", b"abc")])
    broken = tmp_path / "broken.zip"
    broken.write_bytes(good.read_bytes()[:-10] + b"PK\x05\x06" + bytes(18))
    entries = list(walk([broken]))
    assert isinstance(entries[0], Item) and entries[0].path == str(broken)


def test_folders_skip_links_and_special_files(tmp_path: Path) -> None:
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.jpg").write_bytes(b"a")
    (root / "b.jpg").write_bytes(b"b")
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    os.symlink(outside, root / "link.jpg")
    os.symlink(tmp_path, root / "loop")
    os.mkfifo(root / "pipe.jpg")
    entries = list(walk([root, tmp_path / "missing"]))
    codes = _by_code(entries)
    assert codes["file"] == [str(root / "b.jpg"), str(root / "sub" / "a.jpg")]
    assert sorted(codes["symlink_skipped"]) == [str(root / "link.jpg"), str(root / "loop")]
    assert codes["not_a_regular_file"] == [str(root / "pipe.jpg")]
    assert codes["not_found"] == [str(tmp_path / "missing")]
